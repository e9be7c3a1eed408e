/// Boxes, bars and sparklines: the few shapes every panel is made of.
extension Frame {
    /// A box around `rect` with an optional title in its top edge.
    public mutating func box(_ rect: Rect, title: String? = nil, role: Role = .border,
                             titleRole: Role = .title) {
        guard rect.width >= 2, rect.height >= 2 else { return }
        let g = glyphs
        let right = rect.maxX - 1, bottom = rect.maxY - 1
        for x in rect.x + 1..<right {
            self[x, rect.y] = Cell(character: g.horizontal, role: role)
            self[x, bottom] = Cell(character: g.horizontal, role: role)
        }
        for y in rect.y + 1..<bottom {
            self[rect.x, y] = Cell(character: g.vertical, role: role)
            self[right, y] = Cell(character: g.vertical, role: role)
        }
        self[rect.x, rect.y] = Cell(character: g.topLeft, role: role)
        self[right, rect.y] = Cell(character: g.topRight, role: role)
        self[rect.x, bottom] = Cell(character: g.bottomLeft, role: role)
        self[right, bottom] = Cell(character: g.bottomRight, role: role)
        if let title, rect.width > 4 {
            put(" \(title) ", x: rect.x + 1, y: rect.y, role: titleRole, bold: true, limit: rect.width - 2)
        }
    }

    /// A horizontal bar `width` cells long filled to `fraction` (0...1), with eighth-cell
    /// resolution in Unicode mode; the unfilled part is a dim track.
    public mutating func bar(x: Int, y: Int, width: Int, fraction: Double, role: Role = .bar) {
        guard width > 0 else { return }
        let clamped = fraction.isFinite ? min(max(fraction, 0), 1) : 0
        let eighths = Int((clamped * Double(width * 8)).rounded())
        for column in 0..<width {
            let filled = min(max(eighths - column * 8, 0), 8)
            if filled == 0 {
                self[x + column, y] = Cell(character: glyphs.barTrack, role: .dim)
            } else {
                self[x + column, y] = Cell(character: glyphs.eighths[filled], role: role)
            }
        }
    }

    /// One cell per value, its height the value's place in `range`; nil values stay blank.
    /// `highlight` marks one cell (a cursor) in the highlight role.
    public mutating func sparkline(_ values: [Double?], x: Int, y: Int, range: ClosedRange<Double>,
                                   role: Role = .bar, highlight: Int? = nil) {
        columnChart(values, in: Rect(x: x, y: y, width: values.count, height: 1), range: range,
                    role: role, highlight: highlight)
    }

    /// A column chart `rect.height` rows tall, one column per value, filled from the bottom with
    /// eighth-cell resolution; nil values stay blank, the `highlight` column is the cursor.
    public mutating func columnChart(_ values: [Double?], in rect: Rect, range: ClosedRange<Double>,
                                     role: Role = .bar, highlight: Int? = nil) {
        let levels = glyphs.levels
        let span = range.upperBound - range.lowerBound
        for (i, value) in values.prefix(rect.width).enumerated() {
            var eighths = 0
            if let value, value.isFinite {
                let unit = span > 0 ? min(max((value - range.lowerBound) / span, 0), 1) : 0.5
                eighths = max(1, Int((unit * Double(rect.height * 8)).rounded()))
            }
            let cellRole = i == highlight ? Role.highlight : role
            for row in 0..<rect.height {
                let filled = min(max(eighths - row * 8, 0), 8)
                let character: Character = filled == 0 ? " " : levels[filled - 1]
                self[rect.x + i, rect.maxY - 1 - row] = Cell(character: character, role: cellRole)
            }
        }
    }
}

/// Turning a series indexed by step into a fixed number of cells.
enum Series {
    /// Buckets `values` (index = step) into `cells` cells by averaging the known values of each
    /// bucket; when there are fewer values than cells, one value per cell.
    static func bucket(_ values: [Double?], cells: Int) -> [Double?] {
        guard cells > 0, !values.isEmpty else { return [] }
        if values.count <= cells { return values }
        var out: [Double?] = []
        out.reserveCapacity(cells)
        for c in 0..<cells {
            let lo = c * values.count / cells, hi = max(lo + 1, (c + 1) * values.count / cells)
            var sum = 0.0, n = 0
            for v in values[lo..<hi] { if let v { sum += v; n += 1 } }
            out.append(n > 0 ? sum / Double(n) : nil)
        }
        return out
    }

    /// The cell that holds index `i` after `bucket(_, cells:)` of `count` values.
    static func cell(of i: Int, count: Int, cells: Int) -> Int {
        guard count > cells, count > 0 else { return max(0, min(i, cells - 1)) }
        var c = min(cells - 1, i * cells / count)
        while c < cells - 1 && max((c * count / cells) + 1, (c + 1) * count / cells) <= i { c += 1 }
        return c
    }

    /// The smallest and largest finite value, widened when they coincide.
    static func range(_ values: [Double?]) -> ClosedRange<Double> {
        let finite = values.compactMap { $0 }.filter(\.isFinite)
        guard let lo = finite.min(), let hi = finite.max() else { return 0...1 }
        return lo < hi ? lo...hi : (lo - 0.5)...(hi + 0.5)
    }
}
