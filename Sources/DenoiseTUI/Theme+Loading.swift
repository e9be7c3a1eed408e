import Foundation
import DenoiseCore

/// A theme that cannot be used, with a message naming the file and the problem.
public struct ThemeError: Error, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Reading `Themes/NAME.json`:
///
/// ```json
/// { "description": "dark background",
///   "roles": { "changed": { "fg": 220, "fg8": "yellow", "attrs": ["bold"] }, ... } }
/// ```
///
/// `fg`/`bg` take 0...255 or "default"; `fg8`/`bg8` an ANSI colour name or "default";
/// `attrs` (and `attrs8`, for 8-colour terminals) a list of bold, reverse, underline, dim.
/// Anything unknown is an error rather than silently ignored, so a typo shows up at once.
extension Theme {
    static let colorNames = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"]
    static let roleKeys: Set<String> = ["fg", "bg", "fg8", "bg8", "attrs", "attrs8"]
    static let topLevelKeys: Set<String> = ["description", "roles"]

    /// Theme names (file names without `.json`) in `directory`, sorted, `default` first.
    public static func available(in directory: String) -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let names = files.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
        return names.filter { $0 == "default" } + names.filter { $0 != "default" }
    }

    /// Loads `directory/name.json`.
    public static func load(named name: String, from directory: String) throws -> Theme {
        let path = (directory as NSString).appendingPathComponent("\(name).json")
        guard let data = FileManager.default.contents(atPath: path) else {
            let names = available(in: directory)
            let list = names.isEmpty ? "none (is \(directory) the themes folder?)" : names.joined(separator: ", ")
            throw ThemeError("theme \"\(name)\" not found in \(directory); available: \(list)")
        }
        return try parse(data, name: name, path: path)
    }

    /// Parses a theme file's contents; `path` only appears in error messages.
    public static func parse(_ data: Data, name: String, path: String) throws -> Theme {
        func fail(_ problem: String) -> ThemeError { ThemeError("\(path): \(problem)") }
        if let problem = JSONText.problem(data) { throw fail(problem) }
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw fail("not valid JSON (\(jsonProblem(error)))")
        }
        guard let object = json as? [String: Any] else { throw fail("expected a JSON object at the top") }
        for key in object.keys.sorted() where !topLevelKeys.contains(key) {
            throw fail("unknown key \"\(key)\" (expected: description, roles)")
        }
        guard let roles = object["roles"] as? [String: Any] else {
            throw fail("missing \"roles\" object")
        }
        var styles: [Role: Style] = [:]
        for (roleName, value) in roles.sorted(by: { $0.key < $1.key }) {
            guard let role = Role(rawValue: roleName) else {
                let known = Role.allCases.map(\.rawValue).joined(separator: ", ")
                throw fail("unknown role \"\(roleName)\" (known roles: \(known))")
            }
            guard let spec = value as? [String: Any] else {
                throw fail("role \"\(roleName)\" must be an object")
            }
            styles[role] = try style(spec, role: roleName, fail: fail)
        }
        return Theme(name: name, styles: styles)
    }

    private static func style(_ spec: [String: Any], role: String,
                              fail: (String) -> ThemeError) throws -> Style {
        for key in spec.keys.sorted() where !roleKeys.contains(key) {
            throw fail("role \"\(role)\": unknown key \"\(key)\" (expected: fg, bg, fg8, bg8, attrs, attrs8)")
        }
        func color256(_ key: String) throws -> Int? {
            guard let value = spec[key] else { return nil }
            if let text = value as? String, text == "default" { return nil }
            if let number = value as? NSNumber, !(value is Bool),
               number.doubleValue == Double(number.intValue), (0...255).contains(number.intValue) {
                return number.intValue
            }
            throw fail("role \"\(role)\": \(key) must be 0...255 or \"default\", got \(value)")
        }
        func color8(_ key: String) throws -> Int? {
            guard let value = spec[key] else { return nil }
            if let text = value as? String {
                if text == "default" { return nil }
                if let index = colorNames.firstIndex(of: text) { return index }
            }
            throw fail("role \"\(role)\": \(key) must be one of \(colorNames.joined(separator: ", ")) or \"default\", got \(value)")
        }
        func attributes(_ key: String) throws -> Style.Attributes? {
            guard let value = spec[key] else { return nil }
            guard let list = value as? [String] else {
                throw fail("role \"\(role)\": \(key) must be a list such as [\"bold\"]")
            }
            var result: Style.Attributes = []
            for name in list {
                guard let attribute = Style.Attributes.names.first(where: { $0.0 == name })?.1 else {
                    throw fail("role \"\(role)\": unknown attribute \"\(name)\" (known: bold, reverse, underline, dim)")
                }
                result.insert(attribute)
            }
            return result
        }
        return Style(fg: try color256("fg"), bg: try color256("bg"), fg8: try color8("fg8"),
                     bg8: try color8("bg8"), attributes: try attributes("attrs") ?? [],
                     attributes8: try attributes("attrs8"))
    }

    /// Foundation's JSON errors carry the useful part (line, column) in the debug description.
    private static func jsonProblem(_ error: Error) -> String {
        let info = (error as NSError).userInfo
        if let detail = info[NSDebugDescriptionErrorKey] as? String { return detail }
        return "\(error)"
    }
}
