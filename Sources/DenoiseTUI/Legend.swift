/// How many colours the terminal shows, as far as naming them goes.
public enum ColourDepth: Sendable, Equatable {
    /// xterm's 256 colours: a theme's `fg` values.
    case full
    /// The eight ANSI colours: a theme's `fg8` values (and `attrs8`).
    case eight
    /// No colours: attributes only.
    case none
}

/// The key to the token strip's colours, worded from the theme in use: each mark is named as
/// the terminal shows it (its colour when it has one of its own, else its attributes), and a
/// mark that looks like plain text is left out rather than named wrongly.
public struct Legend: Sendable, Equatable {
    /// One mark: how it looks ("yellow", "bold underlined") and what it means.
    public struct Entry: Sendable, Equatable {
        public var look: String
        public var role: Role
    }

    public var entries: [Entry]

    /// The roles the strip uses for its marks, in the order the legend lists them.
    static let roles: [Role] = [.changed, .lockedIn, .uncertain]

    public init(entries: [Entry]) { self.entries = entries }

    public init(theme: Theme, depth: ColourDepth) {
        let text = Self.look(theme.style(for: .text), depth: depth)
        let looks = Self.roles.map { (role: $0, look: Self.look(theme.style(for: $0), depth: depth)) }
        let names = looks.map { $0.look.describe(against: text) }
        entries = zip(looks, names).compactMap { item, name in
            guard let name else { return nil }
            // Two marks of one colour are told apart by their attributes ("dim yellow").
            let shared = names.filter { $0 == name }.count > 1
            let adjectives = item.look.adjectives(against: text)
            return Entry(look: shared && !adjectives.isEmpty && name != adjectives ? "\(adjectives) \(name)" : name,
                         role: item.role)
        }
    }

    /// "yellow = changed this step · green = settled · rose = could still flip"
    public func long(separator: String) -> String {
        entries.map { "\($0.look) = \(Self.meaning($0.role, short: false))" }.joined(separator: " \(separator) ")
    }

    /// "yellow changed · green settled · rose could flip"
    public func short(separator: String) -> String {
        entries.map { "\($0.look) \(Self.meaning($0.role, short: true))" }.joined(separator: " \(separator) ")
    }

    /// "yellow: changed this step · green: settled · rose: could flip" (the help overlay's line).
    public func help(separator: String) -> String {
        entries.map { "\($0.look): \(Self.meaning($0.role, short: $0.role != .changed))" }.joined(separator: " \(separator) ")
    }

    static func meaning(_ role: Role, short: Bool) -> String {
        switch role {
        case .changed: return short ? "changed" : "changed this step"
        case .lockedIn: return "settled"
        case .uncertain: return short ? "could flip" : "could still flip"
        default: return role.rawValue
        }
    }

    /// What a style shows at a colour depth.
    struct Look {
        var colour: String?
        var attributes: Style.Attributes

        /// The look's name where it differs from `text`: its colour, or its attributes; nil
        /// when it cannot be told from plain text.
        func describe(against text: Look) -> String? {
            if let colour, colour != text.colour { return colour }
            let words = adjectives(against: text)
            return words.isEmpty ? nil : words
        }

        /// The attributes it has and `text` lacks, as words ("bold underlined"), or "".
        func adjectives(against text: Look) -> String {
            let own = attributes.subtracting(text.attributes)
            return Style.Attributes.adjectives.filter { own.contains($0.0) }.map(\.1).joined(separator: " ")
        }
    }

    static func look(_ style: Style, depth: ColourDepth) -> Look {
        switch depth {
        case .full: return Look(colour: style.fg.map(ColourNames.xterm), attributes: style.attributes)
        case .eight: return Look(colour: style.fg8.map(ColourNames.ansi), attributes: style.attributes8 ?? style.attributes)
        case .none: return Look(colour: nil, attributes: style.attributes)
        }
    }
}

extension Style.Attributes {
    /// How each attribute reads in a legend, in the order they are listed.
    static let adjectives: [(Style.Attributes, String)] = [
        (.bold, "bold"), (.underline, "underlined"), (.reverse, "reversed"), (.dim, "dim"),
    ]
}

/// Plain names of terminal colours, for legends.
enum ColourNames {
    static let ansiNames = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"]

    /// One of the eight ANSI colours (0 black ... 7 white).
    static func ansi(_ index: Int) -> String {
        ansiNames.indices.contains(index) ? ansiNames[index] : "colour \(index)"
    }

    /// An xterm-256 colour by its hue: the 16 system colours by their ANSI names, the 6x6x6
    /// cube by hue family (with "rose" for soft light reds), the grey ramp as grey.
    static func xterm(_ index: Int) -> String {
        switch index {
        case 0..<16:
            if index == 8 { return "grey" }
            return ansi(index % 8)
        case 16..<232:
            let levels = [0, 95, 135, 175, 215, 255]
            let n = index - 16
            return hueName(r: levels[n / 36], g: levels[n / 6 % 6], b: levels[n % 6])
        case 232..<256:
            let level = 8 + 10 * (index - 232)
            return level < 40 ? "black" : level > 230 ? "white" : "grey"
        default:
            return "colour \(index)"
        }
    }

    static func hueName(r: Int, g: Int, b: Int) -> String {
        let high = max(r, g, b), low = min(r, g, b)
        let value = Double(high) / 255, saturation = high == 0 ? 0 : Double(high - low) / Double(high)
        if saturation < 0.15 { return value > 0.85 ? "white" : value < 0.2 ? "black" : "grey" }
        let span = Double(high - low)
        var hue: Double
        if high == r {
            hue = 60 * (Double(g - b) / span)
        } else if high == g {
            hue = 60 * (Double(b - r) / span) + 120
        } else {
            hue = 60 * (Double(r - g) / span) + 240
        }
        if hue < 0 { hue += 360 }
        switch hue {
        case ..<15, 345...: return saturation < 0.5 && value > 0.6 ? "rose" : "red"
        case ..<45: return "orange"
        case ..<70: return "yellow"
        case ..<160: return "green"
        case ..<195: return "cyan"
        case ..<255: return "blue"
        case ..<290: return "purple"
        default: return "magenta"
        }
    }
}
