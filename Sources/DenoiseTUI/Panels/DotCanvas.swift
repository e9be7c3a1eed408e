/// A grid of dots over a rectangle of cells, 2 x 4 dots a cell (braille), or one `.` a cell in
/// ASCII: how the geometry view draws thousands of words as a faint cloud.
struct DotCanvas {
    let rect: Rect
    private var bits: [UInt8]

    init(_ rect: Rect) {
        self.rect = rect
        bits = [UInt8](repeating: 0, count: rect.width * rect.height)
    }

    var dotWidth: Int { rect.width * 2 }
    var dotHeight: Int { rect.height * 4 }

    /// Braille's dot numbering: bit of the dot at column (0, 1) and row (0...3) of a cell.
    private static let dotBits: [[UInt8]] = [[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]]

    /// Sets the dot at dot coordinates (x, y), (0, 0) top left; outside is ignored.
    mutating func set(_ x: Int, _ y: Int) {
        guard x >= 0, y >= 0, x < dotWidth, y < dotHeight else { return }
        bits[(y / 4) * rect.width + x / 2] |= Self.dotBits[x % 2][y % 4]
    }

    /// Draws every cell holding a dot, skipping cells `skip` says are taken.
    func draw(into frame: inout Frame, role: Role, skip: (Int, Int) -> Bool) {
        for row in 0..<rect.height {
            for column in 0..<rect.width {
                let b = bits[row * rect.width + column]
                guard b != 0, !skip(column, row) else { continue }
                let character: Character = frame.glyphs.isASCII ? "." : Character(Unicode.Scalar(0x2800 + UInt32(b))!)
                frame[rect.x + column, rect.y + row] = Cell(character: character, role: role)
            }
        }
    }
}

/// The marks the geometry and timeline views draw with, in Unicode or ASCII. Each kind has its
/// own glyph, so the monochrome theme keeps every distinction.
struct LatentGlyphs {
    let changed: Character
    let uncertain: Character
    let settled: Character
    let position: Character
    let trail: Character
    let trailOld: Character
    let word: Character
    let projected: Character
    let prediction: Character
    let boundary: Character
    let cursor: Character
    let column: Character
    /// Timeline shades, nearest (lowest rounding distance) first.
    let shades: [Character]

    static let unicode = LatentGlyphs(changed: "◆", uncertain: "○", settled: "●", position: "•", trail: "•",
                                      trailOld: "·", word: "■", projected: "◇", prediction: "✕", boundary: "│",
                                      cursor: "▶", column: "▼", shades: ["░", "▒", "▓", "█"])
    static let ascii = LatentGlyphs(changed: "*", uncertain: "?", settled: "O", position: "o", trail: "+",
                                    trailOld: ".", word: "#", projected: "o", prediction: "x", boundary: "|",
                                    cursor: ">", column: "v", shades: [".", ":", "=", "#"])

    static func of(_ glyphs: Glyphs) -> LatentGlyphs { glyphs.isASCII ? .ascii : .unicode }
}
