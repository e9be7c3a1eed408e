import DenoiseCore

/// Summaries of a discrete chain's history (masked or uniform), computed once per frame from
/// the snapshots 0...current: which positions were committed or changed at which step, with
/// the probability the prediction gave the word then, and the mean entropy per step.
struct DiscreteDigest {
    /// One commit (masked) or change (uniform) of a position.
    struct Event: Equatable {
        var step: Int
        var text: String
        var probability: Float?
    }

    /// Per position: its events, oldest first.
    let events: [[Event]]
    /// Positions whose token changed at the current step.
    let changedNow: Int
    /// Mean entropy (nats) of the prediction per step 0...totalSteps (nil where not computed).
    let meanEntropies: [Double?]
    /// Per step 0...totalSteps: the mean over positions of the top word's probability.
    let meanConfidences: [Double?]

    init(_ engine: EngineState) {
        let snapshot = engine.snapshot
        let total = max(snapshot.totalSteps, 1)
        var events = [[Event]](repeating: [], count: snapshot.xt.count)
        var entropies = [Double?](repeating: nil, count: total + 1)
        var confidences = [Double?](repeating: nil, count: total + 1)
        // An event is a position whose token differs from the step before: a commit or change
        // of a reverse chain (its `changed`), a word masked or replaced by a forward walk (whose
        // `changed` follows the prediction instead).
        var previous: StepSnapshot?
        var now = 0
        for s in engine.history.prefix(engine.current + 1) {
            if let before = previous, s.step > 0 {
                now = 0
                for p in 0..<min(events.count, s.xt.count, before.xt.count) where s.xt[p].text != before.xt[p].text {
                    events[p].append(Event(step: s.step, text: s.xt[p].text,
                                           probability: Self.probability(of: s.xt[p].text, at: p, in: s)))
                    now += 1
                }
            }
            previous = s
            guard (0...total).contains(s.step), !s.x0.isEmpty else { continue }
            if let detail = s.discrete { entropies[s.step] = Double(detail.meanEntropy) }
            let known = s.x0.compactMap(\.probability)
            if !known.isEmpty { confidences[s.step] = Double(known.reduce(0, +)) / Double(known.count) }
        }
        self.events = events
        changedNow = now
        meanEntropies = entropies
        meanConfidences = confidences
    }

    /// The probability snapshot `s`'s prediction gave `text` at position p (from the token itself,
    /// the candidate list or the top word; nil when none of them names it).
    static func probability(of text: String, at p: Int, in s: StepSnapshot) -> Float? {
        if p < s.xt.count, s.xt[p].text == text, let q = s.xt[p].probability { return q }
        if p < s.candidates.count, let c = s.candidates[p].first(where: { $0.text == text }), let q = c.probability { return q }
        if p < s.x0.count, s.x0[p].text == text { return s.x0[p].probability }
        return nil
    }

    /// Every event so far, all positions.
    var allEvents: [Event] { events.flatMap { $0 } }

    /// Mean probability at commit or change over the events that know it (nil: none).
    var meanConfidenceAtCommit: Double? {
        let known = allEvents.compactMap(\.probability)
        return known.isEmpty ? nil : Double(known.reduce(0, +)) / Double(known.count)
    }

    /// Mean over the computed steps of the mean entropy (nil: no prediction yet).
    var meanEntropy: Double? {
        let known = meanEntropies.compactMap { $0 }
        return known.isEmpty ? nil : known.reduce(0, +) / Double(known.count)
    }
}

extension StepSnapshot {
    /// True for a masked or uniform chain's step.
    var isDiscrete: Bool { discrete != nil }
}

extension Glyphs {
    /// What a MASK position shows in the strip: a shaded block, or underscores without UTF-8.
    var mask: String { isASCII ? "___" : "░░░" }
    /// "α" for a discrete chain's alpha(t), spelled out in ASCII.
    var alpha: String { isASCII ? "alpha" : "α" }
}

extension ModelKind {
    /// The kind as the header and titles write it.
    var label: String { rawValue }
}

/// A discrete chain's noise: alpha(t) (the chance a token is still clean), what it means for
/// this kind, the masked count of a masked chain, and alpha over all K steps with a cursor.
enum DiscreteNoisePanel {
    static func draw(_ frame: inout Frame, _ rect: Rect, _ c: PanelContext) {
        let s = c.snapshot, g = c.glyphs
        frame.box(rect, title: "noise \(g.separator) \(c.summary.kind.label)")
        let inner = rect.inset(1)
        guard inner.height >= 3, inner.width >= 8 else { return }
        let length = s.xt.count
        let alpha = "\(g.alpha) \(Describe.fixed(s.alphaBar, 3))"
        let second: String
        if c.summary.kind == .masked {
            second = "masked \(s.discrete?.maskedCount ?? 0)/\(length)"
        } else {
            second = "random p \(Describe.fixed(1 - s.alphaBar, 2))"
        }
        var lines = ["step \(s.step) of \(s.totalSteps)   \(alpha)", second]
        if inner.width < 26 { lines = ["step \(s.step)/\(s.totalSteps)", "\(alpha)  \(second)"] }
        let chartRows = inner.height - lines.count - 1
        let hint = chartRows >= 6
            ? (c.summary.kind == .masked ? ["\(g.alpha) = chance a word is unmasked", "(0 all MASK, 1 clean)"]
                                         : ["\(g.alpha) = chance a word is the clean one", "(else a random word)"])
            : []
        for (i, line) in (lines + hint).enumerated() {
            frame.put(line, x: inner.x, y: inner.y + i, role: i >= lines.count ? .dim : .text, limit: inner.width)
        }
        let chart = Rect(x: inner.x, y: inner.y + lines.count + hint.count, width: inner.width,
                         height: max(1, chartRows - hint.count))
        let series = alphas(c)
        let cursor = Series.cell(of: s.step, count: series.count, cells: chart.width)
        frame.columnChart(Series.bucket(series, cells: chart.width), in: chart, range: 0...1, highlight: cursor)
        let label = "step \(s.step)"
        let cursorX = inner.x + cursor, y = chart.maxY
        guard y < inner.maxY else { return }
        frame.put(String(g.cursor), x: cursorX, y: y, role: .highlight)
        let labelX = cursorX + 2 + label.count <= inner.maxX ? cursorX + 2 : cursorX - 1 - label.count
        frame.put(label, x: max(inner.x, labelX), y: y, role: .dim, limit: inner.maxX - max(inner.x, labelX))
    }

    /// alpha(t) at steps 0...K: recorded where the history has it, else the log-linear schedule
    /// the discrete kinds use (alpha = 1 - t, t falling linearly from 1 over the steps; a
    /// forward walk runs it the other way).
    static func alphas(_ c: PanelContext) -> [Double?] {
        let k = max(c.snapshot.totalSteps, 1)
        let times = DiscreteSchedule.times(steps: k)
        let schedule = DiscreteSchedule(diffusionSteps: max(c.summary.diffusionSteps, 1))
        let forward = c.engine.direction == .forward
        var values: [Double?] = (0...k).map { step in
            // A reverse step k runs at time index k - 1 (step 0 shows the start).
            let index = forward ? k - max(step - 1, 0) : max(step - 1, 0)
            return schedule.alpha(times[max(0, min(k, index))])
        }
        if forward { values[0] = 1 }
        for snapshot in c.engine.history.prefix(c.engine.current + 1) where (0...k).contains(snapshot.step) {
            values[snapshot.step] = snapshot.alphaBar
        }
        return values
    }
}

/// The rounding panel's place for a discrete chain: nothing is rounded, words are committed
/// (masked) or changed (uniform). How many, how sure the prediction was when they were, and the
/// mean entropy of the prediction over the steps.
enum CommitPanel {
    static func draw(_ frame: inout Frame, _ rect: Rect, _ c: PanelContext, _ d: DiscreteDigest) {
        let s = c.snapshot
        let masked = c.summary.kind == .masked
        if c.engine.direction == .forward { return drawForward(&frame, rect, c, d) }
        frame.box(rect, title: masked ? "commits" : "changes")
        let inner = rect.inset(1)
        guard inner.height >= 3, inner.width >= 10 else { return }
        let length = s.xt.count
        let committed = masked ? length - (s.discrete?.maskedCount ?? 0) : d.allEvents.count
        let confidence = d.meanConfidenceAtCommit.map { Describe.fixed($0, 2) } ?? "-"
        let entropy = d.meanEntropy.map { Describe.fixed($0, 2) } ?? "-"
        let first = masked ? "unmasked \(committed)/\(length)   now \(s.changed.count)"
                           : "changes \(committed)   now \(s.changed.count)"
        let lines = [first, "mean p at \(masked ? "commit" : "change") \(confidence)", "mean entropy \(entropy) nats"]
        for (i, line) in lines.enumerated() where i < inner.height - 1 {
            frame.put(line, x: inner.x, y: inner.y + i, limit: inner.width)
        }
        let used = min(lines.count, inner.height - 1)
        let chart = Rect(x: inner.x + 5, y: inner.y + used, width: inner.width - 5, height: inner.height - used)
        guard chart.height >= 1, chart.width >= 4 else { return }
        frame.put("H", x: inner.x, y: chart.maxY - 1, role: .dim)
        frame.columnChart(Series.bucket(d.meanEntropies, cells: chart.width), in: chart,
                          range: Series.range(d.meanEntropies),
                          highlight: Series.cell(of: s.step, count: d.meanEntropies.count, cells: chart.width))
    }
}

extension CommitPanel {
    /// A forward walk corrupts instead of committing: how many words are masked (or were
    /// replaced) so far, and how sure the denoiser still is of its guess.
    static func drawForward(_ frame: inout Frame, _ rect: Rect, _ c: PanelContext, _ d: DiscreteDigest) {
        let s = c.snapshot, masked = c.summary.kind == .masked
        frame.box(rect, title: masked ? "masking" : "replacing")
        let inner = rect.inset(1)
        guard inner.height >= 2, inner.width >= 10 else { return }
        let first = masked ? "masked \(s.discrete?.maskedCount ?? 0)/\(s.xt.count)   now \(d.changedNow)"
                           : "replaced \(d.allEvents.count)   now \(d.changedNow)"
        let top = s.x0.compactMap(\.probability)
        let second = top.isEmpty ? "no prediction at step 0"
            : "prediction's mean top p \(Describe.fixed(Double(top.reduce(0, +)) / Double(top.count), 2))"
        for (i, line) in [first, second].enumerated() { frame.put(line, x: inner.x, y: inner.y + i, limit: inner.width) }
    }
}

/// The inspected position of a discrete chain: its top five words with probabilities, the
/// word it holds now and how sure the prediction was of it, and its commits or changes.
enum DiscreteInspectorPanel {
    static func draw(_ frame: inout Frame, _ rect: Rect, _ c: PanelContext, _ d: DiscreteDigest) {
        let s = c.snapshot, g = c.glyphs
        let p = min(c.inspected, max(0, s.xt.count - 1))
        guard p < s.xt.count else {
            frame.box(rect, title: "inspector")
            return
        }
        let token = s.xt[p]
        let word = token.text == Vocabulary.mask ? "MASK" : "\"\(token.text)\""
        let events = p < d.events.count ? d.events[p] : []
        let masked = c.summary.kind == .masked
        let since: String
        let forward = c.engine.direction == .forward
        if forward {
            since = events.last.map { masked ? "masked at step \($0.step)" : "replaced at step \($0.step)" } ?? "clean so far"
        } else if let last = events.last {
            since = masked ? "committed at step \(last.step)" : "last changed at step \(last.step)"
        } else {
            // A masked chain starts every free position as MASK: a word there without a commit was fixed.
            since = masked ? (token.text == Vocabulary.mask ? "still masked" : "fixed from step 0") : "unchanged since step 0"
        }
        let pinned = c.engine.settings.pin(at: p, step: s.step).map { "pinned \"\($0.word)\" since step \($0.step)" }
        let chosen = token.probability.map { "p \(Describe.fixed(Double($0), 2))" }
        let sep = " \(g.separator) "
        let titles = [
            ["inspector", "position \(p) \(word)", chosen, pinned ?? since].compactMap { $0 },
            ["pos \(p) \(word)", chosen, pinned ?? since].compactMap { $0 },
            ["pos \(p) \(word)"],
        ].map { $0.joined(separator: sep) }
        frame.box(rect, title: titles.first { $0.count + 4 <= rect.width } ?? titles.last!)
        let inner = rect.inset(1)
        guard inner.height >= 1, inner.width >= 10 else { return }
        let candidates = p < s.candidates.count ? s.candidates[p].filter { $0.probability != nil } : []
        let body: Rect
        if inner.height >= 4 && !candidates.isEmpty {
            let listWidth = min(40, inner.width / 3)
            drawCandidates(&frame, candidates, Rect(x: inner.x, y: inner.y, width: listWidth, height: inner.height), g)
            for y in inner.y..<inner.maxY { frame[inner.x + listWidth + 1, y] = Cell(character: g.vertical, role: .border) }
            body = Rect(x: inner.x + listWidth + 3, y: inner.y, width: inner.width - listWidth - 3, height: inner.height)
        } else {
            var x = inner.x
            if candidates.isEmpty { frame.put("no prediction yet (step 0)", x: x, y: inner.y, role: .dim) }
            for (i, candidate) in candidates.enumerated() {
                let text = "\(candidate.text) \(Describe.fixed(Double(candidate.probability ?? 0), 2))"
                if x + text.count + 3 > inner.maxX { break }
                if i > 0 { x += frame.put(" \(g.vertical) ", x: x, y: inner.y, role: .border) }
                x += frame.put(text, x: x, y: inner.y, role: i == 0 ? .title : .text, bold: i == 0)
            }
            body = Rect(x: inner.x, y: inner.y + 1, width: inner.width, height: inner.height - 1)
        }
        guard body.height > 0 else { return }
        let finalWord = finalChoice(c, position: p)
        var lines: [(String, Role)] = []
        if !forward, let finalWord, finalWord.step > 0 || !masked {
            let probability = finalWord.probability.map { " with p \(Describe.fixed(Double($0), 2))" } ?? ""
            lines.append(("chosen in the end: \"\(finalWord.text)\"\(probability) at step \(finalWord.step)", .title))
        }
        let verb = forward ? "went through" : masked ? "committed" : "went through"
        let items = (masked && !forward ? [] : ["(\(p < c.engine.history.first?.xt.count ?? 0 ? c.engine.history[0].xt[p].text : "?") step 0)"])
            + events.map { e in "\(e.text) (step \(e.step)\(e.probability.map { ", p \(Describe.fixed(Double($0), 2))" } ?? ""))" }
        lines.append(("\(verb): " + (items.isEmpty ? "not yet" : items.suffix(6).joined(separator: " \(g.arrow) ")), .text))
        if let entropy = s.discrete?.entropy, p < entropy.count, !s.x0.isEmpty {
            lines.append(("entropy of its prediction \(Describe.fixed(Double(entropy[p]), 2)) nats", .dim))
        }
        for (i, line) in lines.prefix(body.height).enumerated() {
            frame.put(line.0, x: body.x, y: body.y + i, role: line.1, limit: body.width)
        }
    }

    /// The position's word at the newest computed step with the probability it was committed
    /// or changed with (nil while it is still masked).
    static func finalChoice(_ c: PanelContext, position p: Int) -> (text: String, step: Int, probability: Float?)? {
        guard let last = c.engine.history.last, p < last.xt.count, last.xt[p].text != Vocabulary.mask else { return nil }
        var step = 0, probability: Float?
        for s in c.engine.history where s.step > 0 && s.changed.contains(p) {
            step = s.step
            probability = DiscreteDigest.probability(of: s.xt[p].text, at: p, in: s)
        }
        return (last.xt[p].text, step, probability)
    }

    /// One word a row: the word, its probability, a bar as long as the probability.
    static func drawCandidates(_ frame: inout Frame, _ candidates: [Candidate], _ rect: Rect, _ g: Glyphs) {
        let shown = Array(candidates.prefix(min(5, rect.height)))
        let wordWidth = min(shown.map(\.text.count).max() ?? 0, rect.width / 2)
        let barX = rect.x + wordWidth + 6
        for (i, candidate) in shown.enumerated() {
            let y = rect.y + i
            let q = Double(candidate.probability ?? 0)
            frame.put(candidate.text, x: rect.x, y: y, role: i == 0 ? .title : .text, bold: i == 0, limit: wordWidth)
            frame.put(Describe.fixed(q, 2), x: rect.x + wordWidth + 1, y: y, role: .dim, limit: 4)
            frame.bar(x: barX, y: y, width: rect.maxX - barX, fraction: q, role: i == 0 ? .lockedIn : .bar)
        }
    }
}

/// The geometry view of a discrete chain: its states are words, not vectors, so there is no
/// latent to place on the embedding map; the view says so instead of drawing an empty map.
enum DiscreteGeometryNote {
    static func draw(_ frame: inout Frame, _ rect: Rect, _ c: PanelContext) {
        frame.box(rect, title: "geometry")
        let inner = rect.inset(1)
        let lines = [
            "The geometry view is for continuous models.",
            "A \(c.summary.kind.label) chain's state is a row of words (and MASK), not vectors:",
            "there is no latent to place on the embedding map. Press v for the timeline.",
        ]
        for (i, line) in lines.enumerated() where i < inner.height {
            frame.put(line, x: inner.x + 1, y: inner.y + inner.height / 2 - 1 + i, role: i == 0 ? .title : .dim,
                      limit: inner.width - 1)
        }
    }
}
