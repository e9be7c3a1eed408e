import DenoiseCore

/// What `E` explains: a panel, and for the main area the view shown in it.
public enum ExplainTopic: String, Sendable, CaseIterable {
    case strip, geometry, timeline, noise, controls, rounding, inspector, forward

    /// The topic of the focused panel in `state`.
    public static func of(_ state: AppState) -> ExplainTopic {
        switch state.focusedPanel {
        case .main:
            switch state.mainView {
            case .strip: return .strip
            case .geometry: return .geometry
            case .timeline: return .timeline
            }
        case .noise: return .noise
        case .controls: return .controls
        case .rounding: return .rounding
        case .inspector: return .inspector
        }
    }
}

/// The explanations behind `E`: short texts about one panel each, written with the numbers of
/// the step on screen, formatted exactly as the panels print them (same decimals), so what the
/// text says can be checked against the screen. Pure: (AppState, EngineState, ModelSummary) in,
/// lines out. A new topic is one case in `ExplainTopic` and one entry in `writers`.
public enum Explain {
    /// A titled explanation: paragraphs, wrapped to the overlay's width when drawn.
    public struct Page: Sendable, Equatable {
        public var title: String
        public var paragraphs: [String]
    }

    /// The live values every explanation draws on: the same context the panels draw from.
    typealias Facts = PanelContext

    // Each writer is wrapped in a closure: Swift 6.0.3 (Debian 13's compiler) crashes on the
    // bare function references here ("tuple_expr element type mismatch" between the @Sendable
    // dictionary value type and the functions' non-Sendable type).
    static let writers: [ExplainTopic: @Sendable (Facts) -> Page] = [
        .noise: { noise($0) }, .strip: { strip($0) }, .rounding: { rounding($0) },
        .inspector: { inspector($0) }, .controls: { controls($0) }, .geometry: { geometry($0) },
        .timeline: { timeline($0) }, .forward: { forward($0) },
    ]

    /// The explanation of the focused panel at the engine's current step (nil before the
    /// engine's first state).
    public static func page(state: AppState, engine: EngineState?, summary: ModelSummary) -> Page? {
        var topic = ExplainTopic.of(state)
        // The strip of a forward walk shows the forward process, not a generation.
        if topic == .strip, engine?.direction == .forward { topic = .forward }
        return page(topic, state: state, engine: engine, summary: summary)
    }

    public static func page(_ topic: ExplainTopic, state: AppState, engine: EngineState?, summary: ModelSummary) -> Page? {
        guard let engine, engine.hasSnapshot, let writer = writers[topic] else { return nil }
        let f = facts(state: state, engine: engine, summary: summary)
        if engine.snapshot.isDiscrete, let page = discretePage(topic, f) { return page }
        return writer(f)
    }

    static func facts(state: AppState, engine: EngineState, summary: ModelSummary) -> Facts {
        PanelContext(state: state, engine: engine, summary: summary, glyphs: state.ascii ? .ascii : .unicode)
    }

    static let hat = "x\u{0302}0"

    static func fixed(_ value: Double, _ digits: Int) -> String { Describe.fixed(value, digits) }
    static func fixed(_ value: Float, _ digits: Int) -> String { Describe.fixed(Double(value), digits) }
    static func percent(_ fraction: Double) -> String { "\(Int((fraction * 100).rounded()))%" }

    // MARK: Topics

    static func noise(_ f: Facts) -> Page {
        let s = f.snapshot, bigT = f.summary.diffusionSteps, k = max(s.totalSteps, 1)
        let a = fixed(s.alphaBar, 3), rest = fixed(1 - s.alphaBar, 3)
        let ratio = s.alphaBar < 1 ? fixed(s.alphaBar / (1 - s.alphaBar), 3) : "inf"
        let db = fixed(s.snrDB, 1)
        let side = s.snrDB < 0 ? "more noise than signal" : "more signal than noise"
        return Page(title: "noise: t, ᾱ, σ, SNR", paragraphs: [
            "t = \(s.t) of T = \(bigT) noise levels (step \(s.step) of \(s.totalSteps)). The model was trained on all \(bigT); this chain visits \(k) of them, evenly spread (respacing), so one step jumps about \(bigT / k) levels.",
            "ᾱ = \(a): x_t = √\(a)·x₀ + √\(rest)·ε, so \(percent(s.alphaBar.squareRoot())) of the signal's amplitude is left and the noise ε has amplitude σ = \(fixed(s.sigma, 3)).",
            "SNR = ᾱ/(1−ᾱ) = \(ratio), or \(db) dB: \(side) (0 dB is equal parts).",
            "ᾱ follows the sqrt schedule ᾱ(t) ≈ 1 − √(t/T), so most steps are spent at high noise; the chart is ᾱ at every step, ▲ this one.",
            sampler(f),
        ])
    }

    /// How this chain makes x_{t−1} from x_t and x̂0.
    static func sampler(_ f: Facts) -> String {
        let settings = f.engine.settings
        switch settings.samplerKind {
        case .ddpm:
            return "DDPM: each step draws x_{t−1} from q(x_{t−1} | x_t, \(hat)), its mean plus new noise. b switches to DDIM; B compares the two from one x_T."
        case .ddim:
            let noise = settings.etaValue == 0 ? "no new noise" : "η of DDPM's noise"
            return "DDIM η \(Describe.trimmed(Double(settings.etaValue))): x_{t−1} = √ᾱ_{t−1}·\(hat) + √(1−ᾱ_{t−1}−σ²)·ε̂ + σz reuses the noise ε̂ that x_t holds, σ adds \(noise)."
        }
    }

    static func strip(_ f: Facts) -> Page {
        let s = f.snapshot, words = TokenText.sentence(s.sentenceTokens).split(separator: " ")
        let shown = words.prefix(10).joined(separator: " ") + (words.count > 10 ? " …" : "")
        var paragraphs = [
            "Each column is one of the \(f.length) positions. x_t (lower row) is the noisy latent at t = \(s.t), rounded to its nearest word; at ᾱ = \(fixed(s.alphaBar, 3)) it reads as \(s.alphaBar < 0.9 ? "noise" : "almost words").",
            "\(hat) (upper row) is the denoiser's guess of the clean sentence from x_t and t\(f.summary.selfConditioned ? ", and from its own guess one step earlier (self-conditioning)" : ""), rounded to the nearest words. Now it reads \"\(shown)\".",
            "\(s.changed.count) of \(f.length) \(hat) words changed at this step (marked below them). A position unchanged for \(f.digest.lockWindow) steps is locked in: \(f.lockedCount) are now.",
        ]
        paragraphs.append(fixedPositions(f))
        return Page(title: "token strip: x_t and \(hat)", paragraphs: paragraphs)
    }

    /// Which positions the settings fix, and why.
    static func forward(_ f: Facts) -> Page {
        let s = f.snapshot, source = f.engine.source ?? ""
        let words = Tokenizer.tokenize(source)
        let a = fixed(s.alphaBar, 3), rest = fixed(1 - s.alphaBar, 3)
        // The source's words stand at positions 1...n, after START.
        func kept(_ tokens: [RoundedToken]) -> Int {
            words.enumerated().filter { i, w in i + 1 < tokens.count && tokens[i + 1].text == w }.count
        }
        var paragraphs = [
            "Forward mode: the sentence \"\(source)\" is noised, not generated. Step \(s.step) of \(s.totalSteps), t = \(s.t): x_t = √\(a)·x₀ + √\(rest)·ε, with one ε drawn for the whole walk, so every word is lost at a step of its own.",
            "x_t still rounds to the source word at \(kept(s.xt)) of \(words.count) positions.",
        ]
        if !s.x0.isEmpty {
            paragraphs.append("\(hat), the denoiser's guess of the clean sentence from x_t, recovers \(kept(s.x0)) of \(words.count): it reads far more than the latent shows, until the noise hides which sentence this was.")
        }
        paragraphs.append("→ adds noise, ← removes it. b starts a reverse chain from this very x_t with the branch menu's controls (editing by noising); B compares the edit with the source.")
        return Page(title: "forward mode: noising a sentence", paragraphs: paragraphs)
    }

    static func fixedPositions(_ f: Facts) -> String {
        let pins = f.engine.settings.pins.filter { $0.step <= f.snapshot.step }
        guard !pins.isEmpty else { return lengthAndInfill(f) }
        let list = pins.map { "\"\($0.word)\" at \($0.position) since step \($0.step)" }.joined(separator: ", ")
        return lengthAndInfill(f) + " Pinned (w): \(list); after every step \(pins.count == 1 ? "it is" : "they are") reset to the word, as infill words are, and the model writes the rest around \(pins.count == 1 ? "it" : "them")."
    }

    static func lengthAndInfill(_ f: Facts) -> String {
        let settings = f.engine.settings, last = f.length - 1
        if let n = settings.lengthMode.exactLength {
            return "Length \(n): START is fixed at position 0, END at \(n + 1) and PAD from \(n + 2) to \(last); after every step those positions are reset to their words, so only 1 to \(n) are free."
        }
        if let template = settings.lengthMode.template {
            let tokens = Tokenizer.tokenize(template)
            let free = tokens.enumerated().filter { $0.element == "_" }.map { String($0.offset + 1) }
            return "Infill \"\(template)\": START at 0, the template's words at their positions, END at \(tokens.count + 1), PAD after; after every step those are reset to their words, so only positions \(free.joined(separator: ", ")) are free to change."
        }
        return "No position is fixed but START at 0: the length is \(settings.lengthMode == .free ? "left to the model (it decides where END goes)" : "drawn from the training sentences' lengths"). c sets an exact length or an infill template."
    }

    static func rounding(_ f: Facts) -> Page {
        let s = f.snapshot, clamp = f.engine.settings.clamp
        return Page(title: "rounding: distance, flips, lock-in, clamping", paragraphs: [
            "mean dist \(fixed(s.meanDistance, 3)): the average distance from each position's \(hat) to its nearest word embedding (the word it shows); the chart is its history, ▲ this step.",
            "changed \(s.changed.count)/\(f.length): words that flipped at this step. A flip is \(hat) crossing the line where the nearest and the runner-up word are equally far: the margin (their distance gap) went through 0.",
            "lock: the step each position last changed (taller = later). Unchanged for \(f.digest.lockWindow) steps is locked in: \(f.lockedCount) of \(f.length) now.",
            clamp
                ? "Clamping is on: after every step \(hat) is replaced by its nearest word's embedding before x_{t−1} is made from it, so the chain commits to words early. x turns it off (a branch from here)."
                : "Clamping is off: \(hat) is used as predicted, between words, and words settle late. x turns it on (a branch from here).",
        ])
    }

    static func inspector(_ f: Facts) -> Page {
        let s = f.snapshot, p = f.inspected
        guard p < s.sentenceTokens.count else { return Page(title: "inspector", paragraphs: ["No position to inspect."]) }
        let token = s.sentenceTokens[p], d = token.distance, m = token.margin
        let candidates = p < s.candidates.count ? s.candidates[p] : []
        let runnerUp = candidates.count > 1 ? "\"\(candidates[1].text)\" (\(fixed(candidates[1].distance, 2)))" : "the runner-up"
        let lock = f.digest.lockSteps[p]
        let since = lock == 0 ? "has not changed since step 0" : (s.step - lock >= f.digest.lockWindow
            ? "locked in at step \(lock)" : "last changed at step \(lock)")
        let runs = HistoryDigest.tokenRuns(f.engine, position: p)
        let relative = d + m > 0 ? Double(m / (d + m)) : 0
        let threshold = Double(PanelContext.uncertainMargin)
        var paragraphs = [
            "Position \(p) shows \"\(token.text)\": its \(hat) is \(fixed(d, 2)) from that word's embedding (dist); the runner-up \(runnerUp) is \(fixed(m, 2)) farther (margin).",
            "Relative margin m/(d+m) = \(percent(relative)): \(relative < threshold ? "below \(percent(threshold)), so the word could still flip" : "\(percent(threshold)) or more, so the word is fairly safe").",
            "It went through \(runs.count) word\(runs.count == 1 ? "" : "s") and \(since).",
        ]
        if let pin = f.engine.settings.pin(at: p, step: s.step) {
            paragraphs.append("Pinned: \"\(pin.word)\" since step \(pin.step). Every step resets this row of x_t and \(hat) to the word, as for an infill word; B compares with the chain without it.")
        } else if let pin = f.engine.settings.pins.first(where: { $0.position == p }) {
            paragraphs.append("Pinned from step \(pin.step) on: \"\(pin.word)\" will hold this position once the chain gets there.")
        }
        if p < s.xt.count, !s.x0.isEmpty {
            let latent = s.xt[p]
            paragraphs.append("x_t itself rounds to \"\(latent.text)\" (dist \(fixed(latent.distance, 2))): at σ = \(fixed(s.sigma, 3)) the latent is far from every word; only the prediction \(hat) reads.")
        }
        paragraphs.append("Tab / S-Tab or i picks another position; w pins a word.")
        return Page(title: "inspector: position \(p)", paragraphs: paragraphs)
    }

    static func controls(_ f: Facts) -> Page {
        let s = f.snapshot, settings = f.engine.settings, g = settings.guidance
        guard !settings.controls.isEmpty else {
            var paragraphs = ["No control is active: the chain samples freely. c adds one (a field=value the classifier knows), as a new branch from this step."]
            if f.summary.fields.isEmpty {
                paragraphs.append("This model has no classifier, so there is nothing to guide with.")
            } else if let top = s.fieldGuesses.filter({ $0.value != "none" }).max(by: { $0.probability < $1.probability }) {
                paragraphs.append("The classifier reads the latent even so: its surest guess is \(top.field)=\(top.value) with p = \(fixed(top.probability, 2)).")
            }
            return Page(title: "controls: classifier and guidance", paragraphs: paragraphs)
        }
        var paragraphs: [String] = []
        for control in settings.controls.prefix(2) {
            let key = control.description
            let p = s.scores[key].map { fixed($0, 2) } ?? "--"
            paragraphs.append("p(\(key) | x_t) = \(p): the classifier reads the noisy latent x_t at t = \(s.t) and gives the probability that the finished sentence says \(key).")
        }
        let onPrediction = g.predictionIterations > 0
            ? "; then \(g.predictionIterations) steps of \(Describe.trimmed(Double(g.predictionStepSize))) on \(hat) before it is rounded" : ""
        paragraphs.append("A guidance step: after the denoiser, \(g.iterations) gradient steps of size \(Describe.trimmed(Double(g.stepSize))) on x_{t−1} raise log p(c | x), held near the denoiser's mean μ by λ·|μ−x|²/σ with λ = \(Describe.trimmed(Double(g.lambda)))\(onPrediction). The weight w = \(Describe.trimmed(Double(g.weight))) scales the classifier's pull.")
        let why = s.totalSteps - s.step < g.unguidedTail(steps: s.totalSteps)
            ? "the last steps are left unguided so the words can settle"
            : g.saturating ? "the words \(hat) rounds to already say every control, so saturation stops the push" : "no gradient"
        paragraphs.append(s.guidanceNorm > 0
            ? "nudge \(fixed(s.guidanceNorm, 2)): how far guidance moved the latent at this step (L2 norm)."
            : "nudge \(fixed(s.guidanceNorm, 2)): no guidance at this step (\(why)).")
        if g.saturating {
            paragraphs.append("Saturation: each step is scaled by 1 − p of the least satisfied control, scored on the words \(hat) rounds to, so the push fades once the words say it.")
        }
        return Page(title: "controls: classifier and guidance", paragraphs: paragraphs)
    }

    static func geometry(_ f: Facts) -> Page {
        let s = f.snapshot, p = f.inspected
        let marked = f.state.mapShowsPrediction ? hat : "x_t"
        var paragraphs = [
            "Map: the \(f.summary.words.count) word embeddings (dots) on the embedding table's two principal axes, and the \(f.length) positions' \(marked) (p switches x_t and \(hat)).",
            "x_t = √ᾱ·x₀ + σ·ε sits at √ᾱ = \(fixed(s.alphaBar.squareRoot(), 3)) of the words' scale, plus noise of size σ = \(fixed(s.sigma, 3)); a draws x_t/√ᾱ instead\(f.state.mapScaled ? " (it does now)" : "").",
        ]
        if let projection = f.summary.projection,
           let plane = RoundingPlanePane.plane(s, position: p, projection: projection) {
            let words = f.summary.words
            func word(_ id: Int32) -> String { Int(id) < words.count ? words[Int(id)] : "#\(id)" }
            let d1 = fixed(plane.nearest.distance, 3), d2 = fixed(plane.second.distance, 3)
            paragraphs.append("Plane: position \(p)'s \(hat) with its two nearest words, e1 \(word(plane.nearest.id)) at \(d1) and e2 \(word(plane.second.id)) at \(d2); margin \(fixed(plane.margin, 3)) = d2 − d1. It rounds to e1; crossing the line d1 = d2 would flip it.")
        }
        paragraphs.append("The map is a projection, so distances on it are approximate; the plane's distances to e1 and e2 are exact.")
        return Page(title: "geometry: the latent among the words", paragraphs: paragraphs)
    }

    static func timeline(_ f: Facts) -> Page {
        let s = f.snapshot
        return Page(title: "timeline: every step at once", paragraphs: [
            "Rows are steps 0 to \(s.totalSteps), bucketed to fit, ▶ the current step \(s.step); columns are the positions 0 to \(f.length - 1).",
            "Shade is the rounding distance of each position's \(hat), light near a word, dark far from it; the change mark (see the legend under the grid) shows a row in which its word changed.",
            "Reading down a column shows one position settling: the shade lightens and the marks stop at its lock-in step. \(f.lockedCount) of \(f.length) are locked in at step \(s.step).",
            "↑ / ↓ move the step cursor one row; → and ← one step.",
        ])
    }

    /// `paragraphs` word-wrapped to `width` columns, one line per row.
    static func wrap(_ paragraphs: [String], width: Int) -> [String] {
        var lines: [String] = []
        for paragraph in paragraphs {
            var line = ""
            for word in paragraph.split(separator: " ") {
                if !line.isEmpty && line.count + 1 + word.count > width {
                    lines.append(line)
                    line = ""
                }
                line += (line.isEmpty ? "" : " ") + word
            }
            if !line.isEmpty { lines.append(line) }
        }
        return lines
    }
}

extension PanelContext {
    var length: Int { snapshot.sentenceTokens.count }

    /// Positions unchanged for at least the lock window.
    var lockedCount: Int {
        digest.lockSteps.filter { snapshot.step > 0 && snapshot.step - $0 >= digest.lockWindow }.count
    }
}
