import DenoiseCore

/// How close the latent is to real words: mean rounding distance now and over the steps, how
/// many tokens changed, and for every position the step its token locked in (the last step at
/// which it changed: a taller mark is a later lock-in).
enum RoundingPanel {
    static func draw(_ frame: inout Frame, _ rect: Rect, _ c: PanelContext) {
        let s = c.snapshot, d = c.digest
        frame.box(rect, title: "rounding")
        let inner = rect.inset(1)
        guard inner.height >= 3, inner.width >= 10 else { return }
        let length = s.sentenceTokens.count
        let distance = Describe.fixed(Double(s.meanDistance), 3)
        let stats = inner.width >= 30
            ? "mean dist \(distance)   changed \(s.changed.count)/\(length)"
            : "dist \(distance)  chg \(s.changed.count)/\(length)"
        frame.put(stats, x: inner.x, y: inner.y, limit: inner.width)

        let chartX = inner.x + 5, chartWidth = inner.width - 5
        let caption = inner.height >= 6 ? 1 : 0
        let lockWanted = max(1, (length + chartWidth - 1) / chartWidth)
        let lockRows = min(lockWanted, 3, max(1, inner.height - 2 - caption))
        let distRows = max(1, inner.height - 1 - lockRows - caption)
        let chart = Rect(x: chartX, y: inner.y + 1, width: chartWidth, height: distRows)
        frame.put("dist", x: inner.x, y: chart.maxY - 1, role: .dim)
        frame.columnChart(Series.bucket(d.meanDistances, cells: chartWidth), in: chart,
                          range: Series.range(d.meanDistances),
                          highlight: Series.cell(of: s.step, count: d.meanDistances.count, cells: chartWidth))
        let lockY = chart.maxY
        frame.put("lock", x: inner.x, y: lockY, role: .dim)
        if caption > 0 {
            let text = inner.width >= 34 ? "lock: step each position last changed" : "lock: last change"
            frame.put(text, x: inner.x, y: inner.maxY - 1, role: .dim, limit: inner.width)
        }
        guard length > 0 else { return }
        drawLocks(&frame, Rect(x: chartX, y: lockY, width: chartWidth, height: lockRows), c)
    }

    /// One cell per position (wrapped over the rows), or per group of positions when they do
    /// not fit; the inspected position is shown reversed.
    static func drawLocks(_ frame: inout Frame, _ rect: Rect, _ c: PanelContext) {
        let s = c.snapshot, d = c.digest, levels = c.glyphs.levels
        let length = d.lockSteps.count
        let perPosition = length <= rect.width * rect.height
        let cellCount = perPosition ? length : rect.width * rect.height
        let rowWidth = perPosition ? min(rect.width, length) : rect.width
        for cell in 0..<cellCount {
            let lo = cell * length / cellCount
            let positions = lo..<max(lo + 1, (cell + 1) * length / cellCount)
            let lock = positions.map { d.lockSteps[$0] }.max() ?? 0
            let level = s.step > 0 ? lock * (levels.count - 1) / s.step : 0
            let role: Role = lock == s.step && s.step > 0 ? .changed
                : (s.step - lock >= d.lockWindow ? .lockedIn : .text)
            frame[rect.x + cell % rowWidth, rect.y + cell / rowWidth] =
                Cell(character: levels[level], role: role, reverse: positions.contains(c.inspected))
        }
    }
}
