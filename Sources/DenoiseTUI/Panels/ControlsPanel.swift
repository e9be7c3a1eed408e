import DenoiseCore

/// The active controls: classifier probability (bar and number), whether the rounded words
/// already say it (judged from the text as `denoise eval` does) and its history over the steps,
/// the guidance settings, and what the classifier reads in the latent.
enum ControlsPanel {
    static func draw(_ frame: inout Frame, _ rect: Rect, _ c: PanelContext) {
        let settings = c.engine.settings, s = c.snapshot
        let guidedNow = s.guidanceNorm > 0
        let title = settings.controls.isEmpty ? "controls"
            : "controls \(c.glyphs.separator) \(guidedNow ? "guided" : "unguided") w \(Describe.trimmed(Double(settings.guidance.weight)))"
        frame.box(rect, title: title, titleRole: guidedNow ? .guided : .title)
        let inner = rect.inset(1)
        guard inner.height >= 1, inner.width >= 8 else { return }
        var y = inner.y
        func room() -> Int { inner.maxY - y }

        let sentence = TokenText.sentence(s.sentenceTokens)
        let unmet = settings.controls.filter { !ControlSets.meets([$0], text: sentence) }
        var extras: [(String, Role)] = []
        if s.step == s.totalSteps && !unmet.isEmpty {
            extras.append(("chain ended without " + unmet.map(\.description).joined(separator: ", "), .error))
        }
        if let length = settings.lengthMode.exactLength { extras.append(("length \(length) tokens", .guided)) }
        if let infill = settings.lengthMode.template { extras.append(("infill \(infill)", .guided)) }
        if !settings.controls.isEmpty && c.summary.kind.isDiscrete {
            // A discrete chain's guidance: exact scores of committed or changed words, or the first-order term.
            let gs = settings.guidance, sep = c.glyphs.separator
            let event = c.summary.kind == .masked ? "commit" : "change"
            let how = gs.candidates > 0 ? "\(gs.candidates) candidates per \(event)" : "first-order"
            extras.append(("\(how) \(sep) nudge \(Describe.fixed(Double(s.guidanceNorm), 2))", .dim))
        } else if !settings.controls.isEmpty {
            let gs = settings.guidance, sep = c.glyphs.separator
            let latentSteps = "\u{3bb} \(Describe.trimmed(Double(gs.lambda))) \(sep) \(gs.iterations)x\(Describe.trimmed(Double(gs.stepSize)))"
            let nudge = "nudge \(Describe.fixed(Double(s.guidanceNorm), 2))"
            // The steps on x0-hat too when the panel is wide enough (one column per Character here).
            let short = "\(latentSteps) \(sep) \(nudge)"
            let full = gs.predictionIterations > 0
                ? "\(latentSteps) \(sep) \(c.glyphs.x0Label) \(gs.predictionIterations)x\(Describe.trimmed(Double(gs.predictionStepSize))) \(sep) \(nudge)"
                : short
            extras.append((full.count <= inner.width ? full : short, .dim))
        }
        if settings.controls.isEmpty {
            let hint = inner.width >= 32 ? "no controls \(c.glyphs.separator) press c to add one" : "no controls: c adds one"
            frame.put(hint, x: inner.x, y: y, role: .dim, limit: inner.width)
            y += 1
            if c.summary.fields.isEmpty && room() > 0 {
                frame.put("no classifier in this model", x: inner.x, y: y, role: .dim, limit: inner.width)
                y += 1
            }
        } else {
            let controls = settings.controls
            let labelWidth = min(controls.map { $0.description.count }.max() ?? 0, inner.width / 2 - 2)
            let barWidth = max(3, inner.width - labelWidth - 12)
            let chartRows = min(4, max(0, (room() - extras.count) / controls.count - 1))
            for control in controls where room() > 0 {
                let key = control.description
                let score = s.scores[key]
                frame.put(key, x: inner.x, y: y, role: .guided, limit: labelWidth)
                frame.bar(x: inner.x + labelWidth + 1, y: y, width: barWidth, fraction: Double(score ?? 0),
                          role: guidedNow ? .guided : .bar)
                frame.put(score.map { Describe.fixed(Double($0), 2) } ?? " -- ",
                          x: inner.x + labelWidth + 2 + barWidth, y: y, limit: 4)
                let met = !unmet.contains(control)
                frame.put(met ? "met" : "unmet", x: inner.x + labelWidth + 7 + barWidth, y: y,
                          role: met ? .guided : .dim, limit: 5)
                y += 1
                let rows = min(chartRows, room())
                guard rows > 0 else { continue }
                let series = HistoryDigest.scores(c.engine, key: key, totalSteps: c.digest.totalSteps)
                let chart = Rect(x: inner.x + 2, y: y, width: inner.width - 2, height: rows)
                frame.columnChart(Series.bucket(series, cells: chart.width), in: chart, range: 0...1,
                                  highlight: Series.cell(of: s.step, count: series.count, cells: chart.width))
                y += rows
            }
        }
        for (text, role) in extras where room() > 0 {
            frame.put(text, x: inner.x, y: y, role: role, limit: inner.width)
            y += 1
        }
        drawGuesses(&frame, inner, y: y, c)
    }

    /// What the classifier reads in the latent, most confident first, in the rows left.
    static func drawGuesses(_ frame: inout Frame, _ inner: Rect, y start: Int, _ c: PanelContext) {
        let guesses = c.snapshot.fieldGuesses.filter { $0.value != "none" }.sorted { $0.probability > $1.probability }
        guard inner.maxY - start >= 2, !guesses.isEmpty else { return }
        var y = start
        frame.put("classifier reads:", x: inner.x, y: y, role: .dim)
        y += 1
        for guess in guesses where y < inner.maxY {
            let label = "\(guess.field)=\(guess.value)"
            let value = Describe.fixed(Double(guess.probability), 2)
            frame.put(label, x: inner.x + 1, y: y, limit: inner.width - value.count - 2)
            frame.put(value, x: inner.maxX - value.count, y: y, role: .dim)
            y += 1
        }
    }
}
