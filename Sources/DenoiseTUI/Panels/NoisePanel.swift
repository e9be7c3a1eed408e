import DenoiseCore

/// How noisy the latent still is: t, alpha-bar, sigma, SNR, and alpha-bar over all K steps with
/// a cursor at the current one (a sparkline, or a taller chart when there is room).
enum NoisePanel {
    static func draw(_ frame: inout Frame, _ rect: Rect, _ c: PanelContext) {
        let s = c.snapshot, g = c.glyphs
        frame.box(rect, title: "noise")
        let inner = rect.inset(1)
        guard inner.height >= 3, inner.width >= 8 else { return }
        let numbers = inner.width >= 30
            ? ["t \(s.t) of \(c.summary.diffusionSteps)   step \(s.step) of \(s.totalSteps)",
               "\(g.alphaBar) \(Describe.fixed(s.alphaBar, 3))   \(g.sigma) \(Describe.fixed(s.sigma, 3))   SNR \(Describe.fixed(s.snrDB, 1)) dB"]
            : ["t \(s.t)/\(c.summary.diffusionSteps)   \(g.sigma) \(Describe.fixed(s.sigma, 3))",
               "\(g.alphaBar) \(Describe.fixed(s.alphaBar, 3))   SNR \(Describe.fixed(s.snrDB, 1)) dB"]
        let chartRows = inner.height - numbers.count - 1
        let hint = chartRows >= 6 ? ["\(g.alphaBar) = share of signal left in x_t", "(0 pure noise, 1 clean)"] : []
        for (i, line) in (numbers + hint).enumerated() {
            frame.put(line, x: inner.x, y: inner.y + i, role: i >= numbers.count ? .dim : .text, limit: inner.width)
        }
        let chart = Rect(x: inner.x, y: inner.y + numbers.count + hint.count, width: inner.width,
                         height: chartRows - hint.count)
        let series = alphaBars(c)
        let cursor = Series.cell(of: s.step, count: series.count, cells: chart.width)
        frame.columnChart(Series.bucket(series, cells: chart.width), in: chart, range: 0...1, highlight: cursor)
        let label = "step \(s.step)"
        let cursorX = inner.x + cursor, y = chart.maxY
        frame.put(String(g.cursor), x: cursorX, y: y, role: .highlight)
        let labelX = cursorX + 2 + label.count <= inner.maxX ? cursorX + 2 : cursorX - 1 - label.count
        frame.put(label, x: max(inner.x, labelX), y: y, role: .dim, limit: inner.maxX - max(inner.x, labelX))
    }

    /// alpha-bar at steps 0...K: the recorded value where the history has it, the respaced sqrt
    /// schedule (the only one Denoise trains with) for steps not yet taken.
    static func alphaBars(_ c: PanelContext) -> [Double?] {
        let k = max(c.snapshot.totalSteps, 1), t = c.summary.diffusionSteps
        var values = [Double?](repeating: nil, count: k + 1)
        if t >= 2, k <= t {
            let schedule = NoiseSchedule(sqrtSteps: t).respaced(to: k).alphaBars
            // A reverse step k runs at schedule index K - k; a forward step k at index k - 1, after
            // the clean sentence (alphaBar 1) at step 0.
            let forward = c.engine.direction == .forward
            for step in 1...k { values[step] = schedule[forward ? step - 1 : k - step] }
            values[0] = forward ? 1 : values[1]
        }
        for snapshot in c.engine.history.prefix(c.engine.current + 1) where (0...k).contains(snapshot.step) {
            values[snapshot.step] = snapshot.alphaBar
        }
        return values
    }
}
