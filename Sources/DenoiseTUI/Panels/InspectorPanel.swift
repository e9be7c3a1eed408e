import DenoiseCore

/// The inspected position: its nearest words with distances, and the tokens it went through.
enum InspectorPanel {
    static func draw(_ frame: inout Frame, _ rect: Rect, _ c: PanelContext) {
        let s = c.snapshot, g = c.glyphs
        let tokens = s.sentenceTokens
        guard c.inspected < tokens.count else {
            frame.box(rect, title: "inspector")
            return
        }
        let token = tokens[c.inspected]
        let lock = c.digest.lockSteps[c.inspected]
        let unpinned = lock == 0 ? "unchanged since step 0" : (s.step - lock >= c.digest.lockWindow
            ? "locked in at step \(lock)" : "last changed at step \(lock)")
        let since = c.engine.settings.pin(at: c.inspected, step: s.step).map { "pinned \"\($0.word)\" since step \($0.step)" } ?? unpinned
        let d = Describe.fixed(Double(token.distance), 2), m = Describe.fixed(Double(token.margin), 2)
        let sep = " \(g.separator) "
        let titles = [
            ["inspector", "position \(c.inspected) \"\(token.text)\"", "dist \(d)", "margin \(m)", since],
            ["pos \(c.inspected) \"\(token.text)\"", "dist \(d)", "margin \(m)", since],
            ["pos \(c.inspected) \"\(token.text)\"", "d \(d)", "m \(m)", since],
        ].map { $0.joined(separator: sep) }
        frame.box(rect, title: titles.first { $0.count + 4 <= rect.width } ?? titles.last!)
        let inner = rect.inset(1)
        guard inner.height >= 1, inner.width >= 10 else { return }

        let candidates = c.inspected < s.candidates.count ? s.candidates[c.inspected] : []
        let body: Rect
        if inner.height >= 5 && !candidates.isEmpty {
            let listWidth = min(40, inner.width / 3)
            drawCandidateList(&frame, candidates, Rect(x: inner.x, y: inner.y, width: listWidth, height: inner.height), g)
            for y in inner.y..<inner.maxY {
                frame[inner.x + listWidth + 1, y] = Cell(character: g.vertical, role: .border)
            }
            body = Rect(x: inner.x + listWidth + 3, y: inner.y, width: inner.width - listWidth - 3, height: inner.height)
        } else {
            drawCandidateRow(&frame, candidates, x: inner.x, y: inner.y, width: inner.width, g)
            body = Rect(x: inner.x, y: inner.y + 1, width: inner.width, height: inner.height - 1)
        }
        guard body.height > 0 else { return }
        if inner.height >= 3, c.inspected < s.xt.count, !s.x0.isEmpty {
            let latent = s.xt[c.inspected]
            frame.put("x_t rounds to \"\(latent.text)\"  dist \(Describe.fixed(Double(latent.distance), 2))  margin \(Describe.fixed(Double(latent.margin), 2))",
                      x: body.x, y: body.maxY - 1, role: .dim, limit: body.width)
        }
        let historyRows = body.height - (inner.height >= 3 ? 1 : 0)
        guard historyRows > 0 else { return }
        let runs = HistoryDigest.tokenRuns(c.engine, position: c.inspected)
        drawHistory(&frame, runs, x: body.x, y: body.y, width: body.width, rows: historyRows, glyphs: g)
    }

    /// "Italian 0.12 │ Indian 0.54 │ ..." on one line, as many as fit.
    static func drawCandidateRow(_ frame: inout Frame, _ candidates: [Candidate], x start: Int, y: Int,
                                 width: Int, _ g: Glyphs) {
        if candidates.isEmpty { frame.put("no candidates", x: start, y: y, role: .dim) }
        var x = start
        for (i, candidate) in candidates.enumerated() {
            let distance = Describe.fixed(Double(candidate.distance), 2)
            let need = candidate.text.count + 1 + distance.count + (i > 0 ? 3 : 0)
            if x + need > start + width { break }
            if i > 0 {
                frame.put(" \(g.vertical) ", x: x, y: y, role: .border)
                x += 3
            }
            x += frame.put(candidate.text, x: x, y: y, role: i == 0 ? .title : .text, bold: i == 0)
            x += 1
            x += frame.put(distance, x: x, y: y, role: .dim)
        }
    }

    /// One candidate per row with its distance and a bar (shorter = nearer).
    static func drawCandidateList(_ frame: inout Frame, _ candidates: [Candidate], _ rect: Rect, _ g: Glyphs) {
        let shown = Array(candidates.prefix(rect.height))
        let wordWidth = min(shown.map(\.text.count).max() ?? 0, rect.width / 2)
        let farthest = Double(shown.map(\.distance).max() ?? 1)
        let barX = rect.x + wordWidth + 7
        for (i, candidate) in shown.enumerated() {
            let y = rect.y + i
            frame.put(candidate.text, x: rect.x, y: y, role: i == 0 ? .title : .text, bold: i == 0, limit: wordWidth)
            frame.put(Describe.fixed(Double(candidate.distance), 2), x: rect.x + wordWidth + 1, y: y, role: .dim, limit: 5)
            frame.bar(x: barX, y: y, width: rect.maxX - barX,
                      fraction: farthest > 0 ? Double(candidate.distance) / farthest : 0, role: i == 0 ? .lockedIn : .bar)
        }
    }

    /// "went through: a (0) → b (12) → c (121)", newest kept when it does not fit.
    static func drawHistory(_ frame: inout Frame, _ runs: [(text: String, step: Int)], x: Int, y: Int,
                            width: Int, rows: Int, glyphs g: Glyphs) {
        let label = "went through "
        let items = runs.map { "\($0.text) (\($0.step))" }
        let arrow = " \(g.arrow) "
        var kept: [String] = []
        var used = label.count
        let budget = width * rows - rows * arrow.count - 2
        for item in items.reversed() {
            if used + item.count + arrow.count > budget { break }
            used += item.count + arrow.count
            kept.insert(item, at: 0)
        }
        var cx = x, cy = y
        func emit(_ text: String, _ role: Role) {
            var text = text
            if cx + text.count > x + width && cx > x {
                cy += 1
                cx = x
                while text.first == " " { text.removeFirst() }
            }
            guard cy < y + rows else { return }
            cx += frame.put(text, x: cx, y: cy, role: role, limit: x + width - cx)
        }
        emit(label, .dim)
        if kept.count < items.count { emit("\(g.ellipsis)\(arrow)", .dim) }
        for (i, item) in kept.enumerated() {
            if i > 0 { emit(arrow, .dim) }
            emit(item, i == kept.count - 1 ? .title : .text)
        }
    }
}
