import Foundation

/// The reverse chain of the masked and uniform kinds, one step per call, for a batch of
/// sequences that each have their own random stream (sequence i is seeded with seed + i).
///
/// The state is a token per position. A K-step chain visits the times 1, (K-1)/K, ..., 0; the
/// step from t to s reads the tokens' embeddings, runs the denoiser at t, and turns its output
/// through the tied head into a distribution over the vocabulary at every position
/// (logits / temperature; MASK never predicted). With controls and candidates (the default),
/// the word a step writes at a position, committed (masked) or changed (uniform), is scored
/// exactly by the classifier among candidates (`CommitGuidance`; on masked chains the
/// first-order logits propose half of them). With no candidates, each position's logits gain the
/// first-order change of log p(control | tokens) for each word, -w * grad_x(-log p(c | x, t)) . E_v,
/// from one classifier backward pass. Then:
///
/// - masked: only MASK positions change. `UnmaskRule.random` commits each with probability
///   (alpha_s - alpha_t) / (1 - alpha_t) (MDLM's ancestral update); the other rules draw a word
///   for every masked position and commit the ones the model is surest of, as many as keep the
///   count of masked positions at round(free * s) (all at the last step).
/// - uniform: every position draws its next token from UDLM's posterior
///   (`UniformPosterior`), so a word may change again after it appears.
///
/// Fixed positions (length control, infilling) hold their words throughout. Snapshots, state
/// saving and the `DiffusionChain` contract are those of `ReverseChain`.
public final class DiscreteChain: DiffusionChain {
    public let model: DiffusionModel
    public let settings: ChainSettings
    public let batch: Int
    public let constraints: [PositionConstraints]
    public internal(set) var stepsTaken = 0
    public var candidateCount = 5
    public let kind: ModelKind
    let schedule: DiscreteSchedule
    /// The K + 1 times the chain visits, 1 down to 0.
    public let times: [Double]
    var rngs: [RandomSource]
    /// [batch * L]: the current tokens, and which positions are fixed.
    let tokens: UnsafeMutablePointer<Int32>
    let fixed: UnsafeMutablePointer<Bool>
    /// [batch * L]: positions between START and a fixed END, which must hold words (never PAD,
    /// START or END), as the continuous chain rounds them among words only.
    let wordsOnly: UnsafeMutablePointer<Bool>
    let embedded: FloatBuffer              // [batch, L, D]
    let ws: Denoiser.Workspace
    let logits: FloatBuffer                // [batch * L, V]
    let probabilities: FloatBuffer         // [V], one row at a time
    let shown: FloatBuffer                 // [L, V]: sequence 0's distributions at temperature 1
    let timesteps: UnsafeMutablePointer<Int32>
    /// Per position of one sequence: the word drawn for it and how sure the model is of it.
    let drawn: UnsafeMutablePointer<Int32>
    let certainty: UnsafeMutablePointer<Float>
    /// Scratch of `unmask`: the masked positions of one sequence (capacity L, reused every step).
    var maskedPositions: [Int]
    let guide: ClassifierGuide?
    /// With controls and candidates: the exact guidance of committed or changed words (then the
    /// first-order term is not added to the logits).
    let commitGuidance: CommitGuidance?
    /// [batch * L, V] with `commitGuidance` on a masked chain: the logits plus the controls'
    /// first-order term, from which half of the candidates of a committed position are taken.
    let proposals: FloatBuffer?
    /// [V]: a uniform chain's posterior in logs, the scores `commitGuidance` reweights.
    let logPosterior: FloatBuffer
    /// Sum of squares of the change `commitGuidance` made to sequence 0's logits in this step.
    var commitChange: Float = 0
    let maskID: Int32
    /// The settings' pins, checked: from its step on, a pinned position holds its word and is
    /// fixed (a masked chain has committed it).
    let pins: [WordPin.Resolved]
    var previousSentence: [Int32] = []
    var lastSpans: [String: Range<Int>]?

    public init(model: DiffusionModel, settings: ChainSettings, batch: Int = 1) throws {
        let c = model.config
        guard c.modelKind.isDiscrete else { throw DenoiseError.invalid("a \(c.modelKind.rawValue) model runs on ReverseChain") }
        guard settings.steps >= 1 && settings.steps <= c.diffusionSteps else {
            throw DenoiseError.invalid("--steps \(settings.steps) is out of range: accepted 1...\(c.diffusionSteps) for this model")
        }
        self.model = model
        self.settings = settings
        self.batch = batch
        kind = c.modelKind
        schedule = DiscreteSchedule(diffusionSteps: c.diffusionSteps)
        times = DiscreteSchedule.times(steps: settings.steps)
        maskID = c.maskID ?? -1
        let setup = try ChainSetup(model: model, settings: settings, batch: batch)
        pins = setup.pins
        constraints = setup.constraints
        guide = setup.guide
        if let guide, !guide.targets.isEmpty, settings.guidance.weight > 0, settings.guidance.candidates > 0 {
            commitGuidance = CommitGuidance(guide: guide, capacity: settings.guidance.candidates, length: c.sequenceLength,
                                            width: c.embeddingDim)
            proposals = kind == .masked ? FloatBuffer(count: batch * c.sequenceLength * c.vocabSize) : nil
        } else {
            commitGuidance = nil
            proposals = nil
        }
        logPosterior = FloatBuffer(count: c.vocabSize)
        let l = c.sequenceLength, n = batch * l
        tokens = .allocate(capacity: n); tokens.initialize(repeating: 0, count: n)
        fixed = .allocate(capacity: n); fixed.initialize(repeating: false, count: n)
        wordsOnly = .allocate(capacity: n); wordsOnly.initialize(repeating: false, count: n)
        embedded = FloatBuffer(count: n * c.embeddingDim)
        ws = Denoiser.Workspace(config: c, batch: batch)
        logits = FloatBuffer(count: n * c.vocabSize)
        probabilities = FloatBuffer(count: c.vocabSize)
        shown = FloatBuffer(count: l * c.vocabSize)
        timesteps = .allocate(capacity: batch); timesteps.initialize(repeating: 0, count: batch)
        drawn = .allocate(capacity: l); drawn.initialize(repeating: 0, count: l)
        certainty = .allocate(capacity: l); certainty.initialize(repeating: 0, count: l)
        maskedPositions = []
        maskedPositions.reserveCapacity(l)
        rngs = (0..<batch).map { ReverseChain.randomSource(seed: settings.seed &+ UInt64($0)) }
        // Time 1: every free position MASK, or a uniformly drawn word.
        for b in 0..<batch {
            for (p, id) in constraints[b].fixed { tokens[b * l + p] = id; fixed[b * l + p] = true }
            for p in constraints[b].freeWordPositions() { wordsOnly[b * l + p] = true }
            for p in 0..<l where !fixed[b * l + p] {
                tokens[b * l + p] = kind == .masked ? maskID : Int32(rngs[b].int(below: c.vocabSize))
            }
        }
        applyPins()
    }

    /// Marks the fixed positions: those of the constraints, and the pins whose step has been
    /// reached, whose words are written in.
    func applyPins() {
        let l = length
        for b in 0..<batch {
            for p in 0..<l { fixed[b * l + p] = false }
            for (p, _) in constraints[b].fixed { fixed[b * l + p] = true }
            for pin in pins where pin.step <= stepsTaken {
                tokens[b * l + pin.position] = pin.id
                fixed[b * l + pin.position] = true
            }
        }
    }

    deinit {
        tokens.deallocate(); fixed.deallocate(); wordsOnly.deallocate(); timesteps.deallocate(); drawn.deallocate(); certainty.deallocate()
    }

    public var totalSteps: Int { settings.steps }
    var length: Int { model.config.sequenceLength }
    var vocabularySize: Int { model.config.vocabSize }

    public func saveState() -> ChainState {
        ChainState(latent: [], previousPrediction: [], tokens: Array(UnsafeBufferPointer(start: tokens, count: batch * length)),
                   rngs: rngs, stepsTaken: stepsTaken, previousSentence: previousSentence)
    }

    public func restore(_ state: ChainState) {
        precondition(state.tokens.count == batch * length && state.rngs.count == rngs.count, "state from another chain shape")
        state.tokens.withUnsafeBufferPointer { tokens.update(from: $0.baseAddress!, count: batch * length) }
        rngs = state.rngs
        stepsTaken = state.stepsTaken
        previousSentence = state.previousSentence
        applyPins()
    }

    public func tokenIDs(sequence b: Int) -> [Int32] { Array(UnsafeBufferPointer(start: tokens + b * length, count: length)) }

    /// Positions of sequence b still MASK.
    public func maskedCount(sequence b: Int) -> Int { (0..<length).filter { tokens[b * length + $0] == maskID }.count }

    /// The noise fields of time t: alpha(t) in the place of alpha-bar, and the index the network sees.
    func noiseFields(_ t: Double) -> (t: Int, alpha: Double, sigma: Double, snr: Double) {
        let a = schedule.alpha(t)
        return (Int(schedule.index(t)), a, 1 - a, 10 * log10(Swift.max(a, 1e-12) / Swift.max(1 - a, 1e-12)))
    }

    // MARK: steps

    public func initialSnapshot() -> StepSnapshot {
        let noise = noiseFields(times[stepsTaken])
        let xt = stateTokens(probabilities: nil)
        previousSentence = xt.map(\.id)
        let (scores, guesses) = classify(t: noise.t)
        var snapshot = StepSnapshot(step: stepsTaken, totalSteps: totalSteps, t: noise.t, alphaBar: noise.alpha, sigma: noise.sigma,
                                    snrDB: noise.snr, xt: xt, x0: [], candidates: xt.map { [Candidate(text: $0.text, distance: 0, probability: nil)] },
                                    changed: [], scores: scores, fieldGuesses: guesses, guidanceNorm: 0, clamped: false)
        snapshot.kind = kind
        snapshot.discrete = DiscreteStepDetail(maskedCount: maskedCount(sequence: 0), entropy: [Float](repeating: 0, count: length),
                                               unmask: kind == .masked ? settings.unmaskRule : nil)
        snapshot.controlSpans = lastSpans
        return snapshot
    }

    public func silentStep() {
        precondition(!isFinished, "silentStep() on a finished chain (check isFinished)")
        _ = advance(record: false)
    }

    @discardableResult
    public func recordedStep() -> StepSnapshot {
        precondition(!isFinished, "recordedStep() on a finished chain (check isFinished)")
        let noise = noiseFields(times[stepsTaken])
        let before = tokenIDs(sequence: 0)
        let guidanceNorm = advance(record: true)
        let v = vocabularySize
        var prediction = [RoundedToken](), candidates = [[Candidate]](), entropy = [Float]()
        for p in 0..<length {
            let row = shown.pointer + p * v
            let top = Self.topK(row, count: v, k: candidateCount)
            prediction.append(RoundedToken(id: top[0].id, text: model.vocabulary.word(top[0].id), distance: 0, margin: 0,
                                           probability: top[0].p))
            candidates.append(top.map { Candidate(text: model.vocabulary.word($0.id), distance: 0, probability: $0.p) })
            var h: Float = 0
            for j in 0..<v where row[j] > 0 { h -= row[j] * logf(row[j]) }
            entropy.append(h)
        }
        let xt = stateTokens(probabilities: shown.pointer)
        let changed = (0..<length).filter { before[$0] != xt[$0].id }
        previousSentence = xt.map(\.id)
        let sNoise = noiseFields(times[stepsTaken])
        let (scores, guesses) = classify(t: sNoise.t)
        var snapshot = StepSnapshot(step: stepsTaken, totalSteps: totalSteps, t: noise.t, alphaBar: noise.alpha, sigma: noise.sigma,
                                    snrDB: noise.snr, xt: xt, x0: prediction, candidates: candidates, changed: changed,
                                    scores: scores, fieldGuesses: guesses, guidanceNorm: guidanceNorm, clamped: false)
        snapshot.kind = kind
        snapshot.discrete = DiscreteStepDetail(maskedCount: maskedCount(sequence: 0), entropy: entropy,
                                               unmask: kind == .masked ? settings.unmaskRule : nil, isOutput: isFinished)
        snapshot.controlSpans = lastSpans
        return snapshot
    }

    /// Sequence 0's current tokens, each with the probability `probabilities` [L, V] gives it
    /// (nil before the first prediction). A MASK position reads "MASK".
    func stateTokens(probabilities: UnsafePointer<Float>?) -> [RoundedToken] {
        (0..<length).map { p in
            let id = tokens[p]
            let text = id == maskID ? Vocabulary.mask : model.vocabulary.word(id)
            return RoundedToken(id: id, text: text, distance: 0, margin: 0,
                                probability: id == maskID ? nil : probabilities.map { $0[p * vocabularySize + Int(id)] })
        }
    }

    /// Control scores and field guesses of sequence 0 on the current tokens at time index t.
    func classify(t: Int) -> ([String: Float], [FieldGuess]) {
        guard let guide else { return ([:], []) }
        embed()
        guide.evaluate(embedded.pointer, t: t)
        let spans = guide.locations(sequence: 0)
        lastSpans = spans.isEmpty ? nil : spans
        return (guide.scores(sequence: 0), guide.guesses(sequence: 0))
    }

    func embed() {
        let c = model.config
        Embedding.forward(out: embedded.pointer, table: model.embedding(of: 0), ids: tokens, count: batch * c.sequenceLength,
                          width: c.embeddingDim)
    }

    /// The logits of every position at time t: the tied head on the denoiser's output, plus
    /// the controls' first-order term. Returns the norm of that term's change to sequence 0's
    /// logits (0 without controls).
    func predict(t: Double) -> Float {
        let c = model.config, n = batch * c.sequenceLength, d = c.embeddingDim, v = c.vocabSize
        let w = UnsafePointer(model.denoiser.params.values.pointer)
        embed()
        for b in 0..<batch { timesteps[b] = schedule.index(t) }
        model.denoiser.forward(weights: w, x: embedded.pointer, timesteps: timesteps, batch: batch, workspace: ws)
        let e = model.embedding(of: 0), bias = w + model.denoiser.headBiasOffset, lg = logits.pointer
        for r in 0..<n { (lg + r * v).update(from: bias, count: v) }
        BLAS.gemm(transB: true, m: n, n: v, k: d, a: ws.output.pointer, lda: d, b: e, ldb: d, beta: 1, c: lg, ldc: v)
        guard let guide, !guide.targets.isEmpty, settings.guidance.weight > 0, commitGuidance == nil || proposals != nil else { return 0 }
        // -w * dLoss/dx . E_v per position and word: the first-order gain in log p(c) of each word.
        let gradient = guide.controlGradient(embedded.pointer, t: Int(schedule.index(t)))
        if let proposals {
            // Exact guidance scores the words; the first-order logits only propose some of them.
            proposals.pointer.update(from: lg, count: n * v)
            BLAS.gemm(transB: true, m: n, n: v, k: d, alpha: -settings.guidance.weight, a: gradient, lda: d, b: e, ldb: d,
                      beta: 1, c: proposals.pointer, ldc: v)
            return 0
        }
        var sumSquares: Double = 0
        for r in 0..<c.sequenceLength { (shown.pointer + r * v).update(from: lg + r * v, count: v) }
        BLAS.gemm(transB: true, m: n, n: v, k: d, alpha: -settings.guidance.weight, a: gradient, lda: d, b: e, ldb: d,
                  beta: 1, c: lg, ldc: v)
        for r in 0..<c.sequenceLength where !fixed[r] {
            for j in 0..<v { let delta = Double(lg[r * v + j] - shown[r * v + j]); sumSquares += delta * delta }
        }
        return Float(sumSquares.squareRoot())
    }

    /// Softmax of a row of logits at `temperature` (0: the most likely word with probability 1),
    /// MASK excluded, and with `words` PAD, START and END excluded too, into `out`.
    func distribution(_ row: UnsafePointer<Float>, temperature: Float, words: Bool, out: UnsafeMutablePointer<Float>) {
        let v = vocabularySize
        func excluded(_ j: Int) -> Bool { j == Int(maskID) || (words && j <= Int(Vocabulary.endID)) }
        if temperature <= 0 {
            var best = -1
            for j in 0..<v where !excluded(j) && (best < 0 || row[j] > row[best]) { best = j }
            out.update(repeating: 0, count: v)
            out[best] = 1
            return
        }
        if temperature == 1 {
            _ = softmaxRow(row, out, classes: v, excluded: Int(maskID))
        } else {
            for j in 0..<v { out[j] = row[j] / temperature }
            _ = softmaxRow(out, out, classes: v, excluded: Int(maskID))
        }
        guard words else { return }
        var kept: Float = 1
        for j in 0...Int(Vocabulary.endID) { kept -= out[j]; out[j] = 0 }
        let scale = 1 / Swift.max(kept, 1e-30)
        for j in 0..<v { out[j] *= scale }
    }

    /// A word drawn from `p` with a uniform u.
    static func draw(_ p: UnsafePointer<Float>, count v: Int, u: Float) -> Int32 {
        var acc: Float = 0, last = 0
        for j in 0..<v where p[j] > 0 {
            acc += p[j]
            last = j
            if u < acc { return Int32(j) }
        }
        return Int32(last)
    }

    /// The most likely word of a distribution (the first of equals).
    static func argmax(_ p: UnsafePointer<Float>, count v: Int) -> Int32 {
        var best = 0
        for j in 1..<v where p[j] > p[best] { best = j }
        return Int32(best)
    }

    /// A word from distribution `p`: its most likely one at temperature 0, else a draw with the
    /// sequence's stream.
    func choose(_ p: UnsafePointer<Float>, temperature: Float, sequence b: Int) -> Int32 {
        temperature <= 0 ? Self.argmax(p, count: vocabularySize) : Self.draw(p, count: vocabularySize, u: rngs[b].uniform())
    }

    /// The k most likely words of a distribution, most likely first.
    static func topK(_ p: UnsafePointer<Float>, count v: Int, k: Int) -> [(id: Int32, p: Float)] {
        var best = [(id: Int32, p: Float)]()
        for j in 0..<v {
            let q = p[j]
            if best.count < k || q > best[best.count - 1].p {
                let at = best.firstIndex { q > $0.p } ?? best.count
                best.insert((Int32(j), q), at: at)
                if best.count > k { best.removeLast() }
            }
        }
        return best
    }

    /// One step from times[stepsTaken] to the next time; `record` also keeps sequence 0's
    /// distributions at temperature 1 in `shown` for the snapshot (no extra random draws, so
    /// both kinds of step leave the same tokens).
    private func advance(record: Bool) -> Float {
        let t = times[stepsTaken], s = times[stepsTaken + 1]
        var guidanceNorm = predict(t: t)
        commitChange = 0
        let l = length, v = vocabularySize, lg = logits.pointer, p = probabilities.pointer
        let temperature = settings.temperature
        if record {
            for r in 0..<l { distribution(lg + r * v, temperature: 1, words: wordsOnly[r], out: shown.pointer + r * v) }
        }
        for b in 0..<batch {
            switch kind {
            case .masked: unmask(sequence: b, t: t, s: s)
            case .uniform:
                let alphaT = schedule.alpha(t), alphaS = schedule.alpha(s)
                for q in 0..<l where !fixed[b * l + q] {
                    let r = b * l + q
                    distribution(lg + r * v, temperature: temperature, words: wordsOnly[r], out: p)
                    UniformPosterior.probabilities(current: Int(tokens[r]), prediction: p, classes: v, alphaT: alphaT,
                                                   alphaS: alphaS, out: p)
                    let next = choose(p, temperature: temperature, sequence: b)
                    if next == tokens[r] || commitGuidance == nil { tokens[r] = next; continue }
                    tokens[r] = guidedChange(sequence: b, position: q, s: s, posterior: p)
                }
            case .continuous:
                preconditionFailure("continuous models run on ReverseChain")
            }
        }
        stepsTaken += 1
        if !pins.isEmpty { applyPins() }
        if commitGuidance != nil { guidanceNorm = commitChange.squareRoot() }
        return guidanceNorm
    }

    /// The masked update of sequence b from time t to s (see the type's comment).
    private func unmask(sequence b: Int, t: Double, s: Double) {
        let l = length, v = vocabularySize, lg = logits.pointer, p = probabilities.pointer
        let rule = settings.unmaskRule, temperature = settings.temperature
        let chance = Float((schedule.alpha(s) - schedule.alpha(t)) / (1 - schedule.alpha(t)))
        var free = 0
        maskedPositions.removeAll(keepingCapacity: true)
        for q in 0..<l where !fixed[b * l + q] {
            free += 1
            if tokens[b * l + q] == maskID { maskedPositions.append(q) }
        }
        for q in maskedPositions {
            let r = b * l + q
            distribution(lg + r * v, temperature: temperature, words: wordsOnly[r], out: p)
            if rule == .random {
                let commit = s <= 0 || rngs[b].uniform() < chance
                if commit && commitGuidance != nil {
                    tokens[r] = guidedWord(sequence: b, position: q, s: s)
                    continue
                }
                let word = choose(p, temperature: temperature, sequence: b)
                if commit { tokens[r] = word }
                continue
            }
            drawn[q] = choose(p, temperature: temperature, sequence: b)
            switch rule {
            case .confidence: certainty[q] = p[Int(drawn[q])]
            case .margin:
                var first: Float = 0, second: Float = 0
                for j in 0..<v where p[j] > second {
                    if p[j] > first { second = first; first = p[j] } else { second = p[j] }
                }
                certainty[q] = first - second
            case .entropy:
                var h: Float = 0
                for j in 0..<v where p[j] > 0 { h -= p[j] * logf(p[j]) }
                certainty[q] = -h
            case .random: break
            }
        }
        guard rule != .random else { return }
        let keepMasked = s <= 0 ? 0 : Int((Double(free) * s).rounded())
        let commits = Swift.max(0, maskedPositions.count - keepMasked)
        let sure = certainty
        maskedPositions.sort { sure[$0] != sure[$1] ? sure[$0] > sure[$1] : $0 < $1 }
        for q in maskedPositions.prefix(commits) {
            // Guided, the rule picks the positions and the controls pick their words, in turn, so
            // each sees the words committed before it.
            tokens[b * l + q] = commitGuidance == nil ? drawn[q] : guidedWord(sequence: b, position: q, s: s)
        }
    }

    /// The word committed at position q of sequence b by `commitGuidance`, scored on the
    /// sentence at time s; draws one uniform from the sequence's stream (none at temperature 0).
    private func guidedWord(sequence b: Int, position q: Int, s: Double) -> Int32 {
        guard let commitGuidance else { preconditionFailure("guidedWord without commit guidance") }
        let l = length, v = vocabularySize, r = b * l + q, temperature = settings.temperature
        let mask = Int(maskID), words = wordsOnly[r]
        let u: Float = temperature > 0 ? rngs[b].uniform() : 0
        let (word, change) = commitGuidance.choose(
            row: logits.pointer + r * v, proposals: proposals.map { UnsafePointer($0.pointer) + r * v }, vocabularySize: v,
            allowed: { $0 != mask && !(words && $0 <= Int(Vocabulary.endID)) }, sentence: tokens + b * l, position: q,
            table: model.embedding(of: 0), timeIndex: Int(schedule.index(s)), temperature: temperature,
            weight: settings.guidance.weight, u: u)
        if b == 0 { commitChange += change * change }
        return word
    }

    /// The word a uniform chain's position q changes to, once the posterior draw says it
    /// changes: drawn among the candidates of highest posterior probability other than the
    /// current word, reweighted by the controls as a masked commit is.
    private func guidedChange(sequence b: Int, position q: Int, s: Double, posterior p: UnsafePointer<Float>) -> Int32 {
        guard let commitGuidance else { preconditionFailure("guidedChange without commit guidance") }
        let l = length, v = vocabularySize, r = b * l + q, current = Int(tokens[r]), lp = logPosterior.pointer
        for j in 0..<v { lp[j] = p[j] > 0 ? logf(p[j]) : -.infinity }
        let greedy = settings.temperature <= 0
        let u: Float = greedy ? 0 : rngs[b].uniform()
        let (word, change) = commitGuidance.choose(
            row: lp, proposals: nil, vocabularySize: v, allowed: { $0 != current && p[$0] > 0 }, sentence: tokens + b * l,
            position: q, table: model.embedding(of: 0), timeIndex: Int(schedule.index(s)), temperature: greedy ? 0 : 1,
            weight: settings.guidance.weight, u: u)
        if b == 0 { commitChange += change * change }
        return word
    }

    public func finalScores() -> [[String: Float]] {
        guard let guide, !guide.targets.isEmpty else { return [] }
        embed()
        guide.evaluate(embedded.pointer, t: Int(schedule.index(isFinished ? 0 : times[stepsTaken])))
        return (0..<batch).map { guide.scores(sequence: $0) }
    }
}
