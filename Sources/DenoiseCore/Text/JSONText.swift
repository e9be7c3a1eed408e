import Foundation

/// The gate every JSON file passes before a JSON parser sees it: the bytes must be UTF-8, and
/// every string in it well formed (no raw control characters, only JSON's escapes, surrogate
/// escapes in pairs).
///
/// Swift 6.0's JSONDecoder (the toolchain Debian 13 ships) stops the process, instead of
/// throwing, when a string it decodes is malformed: invalid UTF-8, a raw control character, a
/// bad escape. So without this check a damaged config, vocabulary, theme, trace or safetensors
/// header would crash `denoise` instead of giving its one-line error. JSONSerialization readers
/// go through the same gate, so all readers reject the same files the same way.
public enum JSONText {
    /// What the error says when the bytes are not UTF-8.
    public static let accepted = "not UTF-8 text (accepted: JSON in UTF-8)"

    /// Whether `data` is well-formed UTF-8 (no overlong forms, surrogates or values past U+10FFFF).
    public static func isUTF8(_ data: Data) -> Bool {
        data.withUnsafeBytes { raw in
            var bytes = raw.makeIterator()
            var decoder = UTF8()
            while true {
                switch decoder.decode(&bytes) {
                case .scalarValue: continue
                case .emptyInput: return true
                case .error: return false
                }
            }
        }
    }

    /// The first malformed string in `data` ("line 3: a control character inside a string"), or
    /// nil. Only strings are checked; the parser itself reports everything else.
    public static func stringProblem(_ data: Data) -> String? {
        data.withUnsafeBytes { raw -> String? in
            let bytes = raw.bindMemory(to: UInt8.self)
            let n = bytes.count
            var line = 1, i = 0, inString = false
            func hex4(_ at: Int) -> UInt32? {
                guard at + 4 <= n else { return nil }
                var value: UInt32 = 0
                for k in at..<(at + 4) {
                    let c = bytes[k]
                    let digit: UInt8
                    switch c {
                    case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = c - UInt8(ascii: "0")
                    case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c - UInt8(ascii: "a") + 10
                    case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = c - UInt8(ascii: "A") + 10
                    default: return nil
                    }
                    value = value << 4 | UInt32(digit)
                }
                return value
            }
            while i < n {
                let c = bytes[i]
                guard inString else {
                    if c == UInt8(ascii: "\"") { inString = true } else if c == UInt8(ascii: "\n") { line += 1 }
                    i += 1
                    continue
                }
                switch c {
                case UInt8(ascii: "\""):
                    inString = false
                    i += 1
                case UInt8(ascii: "\\"):
                    guard i + 1 < n else { return "line \(line): a string that never ends" }
                    switch bytes[i + 1] {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                         UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                        i += 2
                    case UInt8(ascii: "u"):
                        guard let unit = hex4(i + 2) else { return "line \(line): a \\u escape without four hex digits" }
                        i += 6
                        if (0xDC00...0xDFFF).contains(unit) { return "line \(line): a lone surrogate escape in a string" }
                        if (0xD800...0xDBFF).contains(unit) {
                            guard i + 1 < n, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u"),
                                  let low = hex4(i + 2), (0xDC00...0xDFFF).contains(low) else {
                                return "line \(line): a lone surrogate escape in a string"
                            }
                            i += 6
                        }
                    default:
                        return "line \(line): an unknown escape in a string"
                    }
                case 0..<0x20:
                    return "line \(line): a control character inside a string"
                default:
                    i += 1
                }
            }
            return inString ? "line \(line): a string that never ends" : nil
        }
    }

    /// Why `data` cannot be given to a JSON parser, as the rest of a one-line error, or nil.
    public static func problem(_ data: Data) -> String? {
        guard isUTF8(data) else { return accepted }
        return stringProblem(data).map { "not valid JSON (\($0); accepted: JSON text as in RFC 8259)" }
    }

    /// `data` itself when a JSON parser may read it; otherwise a `DenoiseError` naming `file`.
    @discardableResult
    public static func checked(_ data: Data, file: String) throws -> Data {
        if let problem = problem(data) { throw DenoiseError.corrupt(file: file, problem) }
        return data
    }
}
