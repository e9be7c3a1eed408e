/// How one role looks. Colours are xterm-256 indices (`fg`, `bg`) for 256-colour terminals and
/// the eight ANSI colours (`fg8`, `bg8`, 0 black ... 7 white) for the rest; nil means the
/// terminal's own colour. `attributes8`, when set, replaces `attributes` on 8-colour terminals
/// (where a grey has to become "dim white", for instance).
public struct Style: Sendable, Equatable {
    public struct Attributes: OptionSet, Sendable, Hashable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        public static let bold = Attributes(rawValue: 1)
        public static let reverse = Attributes(rawValue: 2)
        public static let underline = Attributes(rawValue: 4)
        public static let dim = Attributes(rawValue: 8)

        static let names: [(String, Attributes)] = [
            ("bold", .bold), ("reverse", .reverse), ("underline", .underline), ("dim", .dim),
        ]
    }

    public var fg: Int?
    public var bg: Int?
    public var fg8: Int?
    public var bg8: Int?
    public var attributes: Attributes
    public var attributes8: Attributes?

    public init(fg: Int? = nil, bg: Int? = nil, fg8: Int? = nil, bg8: Int? = nil,
                attributes: Attributes = [], attributes8: Attributes? = nil) {
        self.fg = fg; self.bg = bg; self.fg8 = fg8; self.bg8 = bg8
        self.attributes = attributes; self.attributes8 = attributes8
    }
}

/// A theme maps every `Role` to a `Style`. Roles a theme file leaves out look like `text`.
public struct Theme: Sendable, Equatable {
    public var name: String
    public var styles: [Role: Style]

    public init(name: String, styles: [Role: Style]) {
        self.name = name; self.styles = styles
    }

    public func style(for role: Role) -> Style {
        styles[role] ?? styles[.text] ?? Style()
    }

    /// No colours at all, only bold/reverse/underline/dim: for NO_COLOR and colourless terminals.
    /// `Themes/mono.json` says the same; this copy is used when the file is missing.
    public static let monochrome = Theme(name: "mono", styles: [
        .text: Style(),
        .dim: Style(attributes: .dim),
        .header: Style(attributes: [.reverse, .bold]),
        .footer: Style(attributes: .reverse),
        .key: Style(attributes: [.reverse, .bold]),
        .title: Style(attributes: .bold),
        .border: Style(),
        .changed: Style(attributes: [.bold, .underline]),
        .lockedIn: Style(),
        .uncertain: Style(attributes: .dim),
        .guided: Style(attributes: .bold),
        .bar: Style(),
        .highlight: Style(attributes: .reverse),
        .selected: Style(attributes: .reverse),
        .error: Style(attributes: [.bold, .reverse]),
    ])
}
