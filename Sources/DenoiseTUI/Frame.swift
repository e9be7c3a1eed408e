/// One character cell of the off-screen screen: what to show and what it means.
public struct Cell: Sendable, Equatable {
    public var character: Character
    public var role: Role
    public var bold: Bool
    public var reverse: Bool

    public init(character: Character, role: Role = .text, bold: Bool = false, reverse: Bool = false) {
        self.character = character; self.role = role; self.bold = bold; self.reverse = reverse
    }

    public static let blank = Cell(character: " ")
}

/// A rectangle of cells; `x`, `y` are the top-left corner.
public struct Rect: Sendable, Equatable, CustomStringConvertible {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x; self.y = y; self.width = max(0, width); self.height = max(0, height)
    }

    public var maxX: Int { x + width }
    public var maxY: Int { y + height }
    public var isEmpty: Bool { width == 0 || height == 0 }
    public var description: String { "(\(x),\(y) \(width)x\(height))" }

    /// The rectangle shrunk by `n` cells on every side (the inside of a box).
    public func inset(_ n: Int) -> Rect { Rect(x: x + n, y: y + n, width: width - 2 * n, height: height - 2 * n) }

    public func contains(_ other: Rect) -> Bool {
        other.x >= x && other.y >= y && other.maxX <= maxX && other.maxY <= maxY
    }

    public func intersects(_ other: Rect) -> Bool {
        !isEmpty && !other.isEmpty && x < other.maxX && other.x < maxX && y < other.maxY && other.y < maxY
    }
}

/// An off-screen grid of styled cells. Panels draw into it with no terminal in sight; the ncurses
/// driver blits it, and tests compare `text` with stored snapshots. One `Character` fills one
/// column (the vocabulary is Latin script; combining marks such as the hat of x̂ stay in their
/// base character's cell). Drawing outside the grid is clipped, never a crash.
public struct Frame: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public let glyphs: Glyphs
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int, glyphs: Glyphs = .unicode) {
        self.width = max(0, width)
        self.height = max(0, height)
        self.glyphs = glyphs
        self.cells = Array(repeating: .blank, count: self.width * self.height)
    }

    public var bounds: Rect { Rect(x: 0, y: 0, width: width, height: height) }

    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set {
            guard x >= 0, y >= 0, x < width, y < height else { return }
            cells[y * width + x] = newValue
        }
    }

    /// Writes `text` from (x, y) on one line, at most `limit` columns (cut with an ellipsis when it
    /// does not fit). In ASCII mode the UI's own symbols (arrows, dots, Greek letters) are spelled
    /// out. Returns the number of columns written.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, role: Role = .text, bold: Bool = false,
                             reverse: Bool = false, limit: Int? = nil) -> Int {
        guard y >= 0, y < height else { return 0 }
        let room = min(limit ?? Int.max, width - x)
        guard room > 0 else { return 0 }
        let text = glyphs.isASCII ? Glyphs.transliterate(text) : text
        let count = text.count
        var column = 0
        for character in text {
            if column == room { break }
            let shown: Character = (count > room && column == room - 1) ? glyphs.ellipsis : character
            self[x + column, y] = Cell(character: shown, role: role, bold: bold, reverse: reverse)
            column += 1
        }
        return column
    }

    /// Fills `rect` with `character` in `role`.
    public mutating func fill(_ rect: Rect, role: Role = .text, character: Character = " ",
                              reverse: Bool = false) {
        for y in rect.y..<rect.maxY {
            for x in rect.x..<rect.maxX {
                self[x, y] = Cell(character: character, role: role, reverse: reverse)
            }
        }
    }

    /// Changes the look of existing cells without touching their characters.
    public mutating func restyle(x: Int, y: Int, width: Int, role: Role? = nil, bold: Bool? = nil,
                                 reverse: Bool? = nil) {
        guard y >= 0, y < height else { return }
        for column in max(0, x)..<min(self.width, x + width) {
            var cell = self[column, y]
            if let role { cell.role = role }
            if let bold { cell.bold = bold }
            if let reverse { cell.reverse = reverse }
            self[column, y] = cell
        }
    }

    /// The screen as plain text: one line per row, trailing blanks removed.
    public var text: String {
        var lines: [String] = []
        lines.reserveCapacity(height)
        for y in 0..<height {
            var line = String()
            for x in 0..<width { line.append(cells[y * width + x].character) }
            while line.last == " " { line.removeLast() }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

}
