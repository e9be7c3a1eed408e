import DenoiseCore
import Foundation

/// The timeline view: the chain as a positions x steps grid. Columns are positions, rows are
/// steps (bucketed to fit), each cell shaded by that position's rounding distance and marked
/// where its word changed; the current step's row is marked, and rows past the newest computed
/// step stay blank.
enum TimelineView {
    /// Rows of the box that are not grid: the box edges, the header line and the text line.
    static let chromeRows = 4
    static let labelWidth = 6

    /// Grid rows on a screen of this size (the main area's height minus the chrome).
    static func gridRows(screenWidth: Int, screenHeight: Int) -> Int {
        let layout = Layout(width: max(screenWidth, Layout.minimumWidth), height: max(screenHeight, Layout.minimumHeight))
        return max(1, (layout?.strip.height ?? Layout.minimumHeight) - chromeRows)
    }

    /// The row holding `step` when steps 0...totalSteps are bucketed into `rows` rows.
    static func row(of step: Int, totalSteps: Int, rows: Int) -> Int {
        Series.cell(of: step, count: totalSteps + 1, cells: rows)
    }

    /// The steps of one row (clamped to the rows that exist).
    static func steps(ofRow r: Int, totalSteps: Int, rows: Int) -> Range<Int> {
        let count = totalSteps + 1
        guard count > rows else { let s = max(0, min(r, count - 1)); return s..<s + 1 }
        let row = max(0, min(r, rows - 1))
        let lo = row * count / rows
        return lo..<max(lo + 1, (row + 1) * count / rows)
    }

    static func firstStep(ofRow r: Int, totalSteps: Int, rows: Int) -> Int {
        steps(ofRow: r, totalSteps: totalSteps, rows: rows).lowerBound
    }

    static func draw(_ frame: inout Frame, _ rect: Rect, _ c: PanelContext) {
        let history = c.engine.history
        let total = c.snapshot.totalSteps
        let newest = history.last?.step ?? 0
        let firstStep = history.first?.step ?? 0
        frame.box(rect, title: "timeline · steps 0-\(total) down, positions across")
        let inner = rect.inset(1)
        let rows = max(1, inner.height - 2)
        let length = c.snapshot.sentenceTokens.count
        guard inner.width > labelWidth + 2, length > 0 else { return }
        let g = LatentGlyphs.of(c.glyphs), sep = c.glyphs.separator
        let gridWidth = inner.width - labelWidth - 1
        let cellWidth = max(1, min(3, gridWidth / length))
        let shown = min(length, gridWidth / cellWidth)
        let gridX = inner.x + labelWidth + 1

        // Distance range over the whole computed history, on a log scale (distances fall by
        // orders of magnitude as the noise goes).
        var low = Float.infinity, high: Float = 0
        for s in history { for t in s.sentenceTokens where t.distance > 0 { low = min(low, t.distance); high = max(high, t.distance) } }
        let logLow = log(max(low, 1e-6)), logSpan = max(log(max(high, 1e-6)) - logLow, 1e-6)

        let usedRows = min(rows, total + 1)
        let cursorRow = row(of: c.snapshot.step, totalSteps: total, rows: usedRows)
        for r in 0..<usedRows {
            let range = steps(ofRow: r, totalSteps: total, rows: usedRows)
            let y = inner.y + 1 + r
            let isCursor = r == cursorRow
            frame.put(String(format: "%4d", range.lowerBound), x: inner.x, y: y, role: isCursor ? .highlight : .dim)
            if isCursor { frame[inner.x + labelWidth - 1, y] = Cell(character: g.cursor, role: .highlight, bold: true) }
            // History index i holds step firstStep + i (an edit's chain starts past step 0).
            let computed = range.filter { $0 >= firstStep && $0 - firstStep < history.count }.map { $0 - firstStep }
            guard let last = computed.last else { continue }
            let tokens = history[last].sentenceTokens
            for p in 0..<min(shown, tokens.count) {
                let changedHere = computed.contains { $0 > 0 && history[$0].changed.contains(p) }
                let x = gridX + p * cellWidth
                let character: Character
                let role: Role
                if changedHere {
                    character = g.changed; role = .changed
                } else {
                    // A discrete chain's cell is shaded by the prediction's doubt (1 - its top word's
                    // probability), a continuous one's by the rounding distance.
                    let unit = tokens[p].probability.map { 1 - $0 } ?? (log(max(tokens[p].distance, 1e-6)) - logLow) / logSpan
                    character = g.shades[min(g.shades.count - 1, max(0, Int(unit * Float(g.shades.count))))]
                    role = p == c.inspected ? .selected : .bar
                }
                for k in 0..<cellWidth { frame[x + k, y] = Cell(character: character, role: role, bold: changedHere || isCursor) }
            }
        }

        // Header: which column is inspected and what a cell means.
        if c.inspected < shown {
            frame[gridX + c.inspected * cellWidth + (cellWidth - 1) / 2, inner.y] = Cell(character: g.column, role: .selected, bold: true)
        }
        frame.put("step", x: inner.x, y: inner.y, role: .dim)
        // The legend sits in the bottom edge of the box, where it costs no grid row.
        let discrete = c.snapshot.isDiscrete
        let shading = discrete ? "prediction's confidence, sure to unsure" : "rounding distance, near to far"
        let mark = discrete ? (c.summary.kind == .masked ? "word committed" : "word changed") : "word changed"
        let legend = " \(g.shades.first!)..\(g.shades.last!) \(shading) \(sep) \(g.changed) \(mark) \(sep) \(g.cursor) step \(c.snapshot.step) \(sep) \(g.column) position \(c.inspected) "
        frame.put(legend, x: rect.x + 2, y: rect.maxY - 1, role: .dim, limit: rect.width - 4)

        // The last computed row's words: the final text once the chain has run to the end.
        let lastTokens = history.last?.sentenceTokens ?? []
        let text = TokenText.sentence(lastTokens)
        let line = newest >= total
            ? "final: \(text)"
            : "steps \(newest + 1)-\(total) not computed yet (blank) \(sep) step \(newest) reads: \(text)"
        frame.put(line, x: inner.x + 1, y: inner.maxY - 1, role: newest >= total ? .title : .dim, limit: inner.width - 1)
    }
}
