/// The characters the panels draw with. Unicode when the locale is UTF-8, plain ASCII otherwise,
/// so a `LANG=C` terminal still gets a readable screen instead of mojibake.
public struct Glyphs: Sendable, Equatable {
    public var isASCII: Bool
    public var topLeft: Character
    public var topRight: Character
    public var bottomLeft: Character
    public var bottomRight: Character
    public var horizontal: Character
    public var vertical: Character
    /// Sparkline levels, lowest first (8 of them).
    public var levels: [Character]
    /// Bar eighths: index 0 is empty, 8 is a full cell.
    public var eighths: [Character]
    public var barTrack: Character
    public var changedMark: Character
    public var unchangedMark: Character
    /// Under the positions where a tagging classifier places a control's value.
    public var locatedMark: Character
    public var cursor: Character
    public var ellipsis: Character
    public var separator: String
    public var arrow: String
    public var playing: String
    public var paused: String
    /// Row label of the rounded prediction x0-hat.
    public var x0Label: String
    public var alphaBar: String
    public var sigma: String

    public static let unicode = Glyphs(
        isASCII: false, topLeft: "┌", topRight: "┐", bottomLeft: "└", bottomRight: "┘",
        horizontal: "─", vertical: "│", levels: ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"],
        eighths: [" ", "▏", "▎", "▍", "▌", "▋", "▊", "▉", "█"], barTrack: "·",
        changedMark: "●", unchangedMark: "·", locatedMark: "▔", cursor: "▲", ellipsis: "…", separator: "·",
        arrow: "→", playing: "▶", paused: "❚❚", x0Label: "x\u{0302}0", alphaBar: "ᾱ", sigma: "σ")

    public static let ascii = Glyphs(
        isASCII: true, topLeft: "+", topRight: "+", bottomLeft: "+", bottomRight: "+",
        horizontal: "-", vertical: "|", levels: ["_", ".", ",", "-", "=", "+", "*", "#"],
        eighths: [" ", " ", " ", " ", "=", "=", "=", "=", "#"], barTrack: ".",
        changedMark: "*", unchangedMark: ".", locatedMark: "=", cursor: "^", ellipsis: "~", separator: "|",
        arrow: "->", playing: ">", paused: "||", x0Label: "x0", alphaBar: "abar", sigma: "sigma")

    /// ASCII spellings of the symbols the UI's own strings use.
    static let spellings: [Character: String] = [
        "→": "->", "←": "<-", "…": "...", "·": "|", "×": "x", "λ": "lambda", "ᾱ": "abar",
        "σ": "sigma", "↵": "Ent", "▲": "^", "▶": ">", "❚": "|", "≥": ">=",
        "↑": "Up", "↓": "Down", "√": "sqrt ", "²": "^2", "▼": "v",
        "₀": "0", "ε": "eps", "−": "-", "≈": "~",
    ]

    /// `text` with the UI's symbols spelled in ASCII (other characters are left alone).
    static func transliterate(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 >= 0x80 }) else { return text }
        var out = ""
        for character in text {
            if let spelling = spellings[character] {
                out += spelling
            } else if character == "x\u{0302}" {
                out += "x"
            } else {
                out.append(character)
            }
        }
        return out
    }
}
