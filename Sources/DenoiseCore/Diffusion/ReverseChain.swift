import Foundation

/// The reverse diffusion chain, one step per call (docs/DESIGN.md, "The method"), for a batch of sequences
/// that each have their own random stream (sequence i is seeded with seed + i, so it is the
/// same chain `--seed seed+i --count 1` would run).
///
/// Each step: x0-hat = f(x_t, t) (a self-conditioned model also reads the previous step's
/// x0-hat, zeros at the first step); with clamping, x0-hat is replaced by its nearest words;
/// x_{t-1} = c1 x0-hat + c2 x_t + sqrt(beta~_t) z (no noise at the last step); then guidance
/// (when controls are set) and the fixed positions of length control and infilling.
///
/// Two kinds of step leave the same latent: `recordedStep()` returns the `StepSnapshot` of
/// sequence 0, `silentStep()` returns nothing and skips work no one reads. Neither may be
/// called once `isFinished`. The chain is also a `Sequence` of snapshots (`for s in chain`),
/// one recorded step per element, which is how playback, export and traces consume it. The
/// state (latent, random streams, step) can be saved and restored, which is how the engine
/// keeps history and branches. Not thread-safe: one owner (the engine's queue, or the CLI).
public final class ReverseChain: DiffusionChain {
    public let model: DiffusionModel
    public let settings: ChainSettings
    public let schedule: NoiseSchedule
    public let batch: Int
    /// Fixed positions of each sequence (its own when lengths are drawn from the length prior).
    public let constraints: [PositionConstraints]
    public private(set) var stepsTaken = 0
    var rngs: [RandomSource]
    public let latent: FloatBuffer          // [batch, L, D]
    /// Self-conditioned models: the previous step's prediction x0-hat [batch, L, D] (zeros
    /// before the first step), which the next step reads beside x_t; nil for other models.
    let previousPrediction: FloatBuffer?
    let mean: FloatBuffer
    let ws: Denoiser.Workspace
    let rounder: Rounder
    let timesteps: UnsafeMutablePointer<Int32>
    let guide: ClassifierGuide?
    /// [batch * L]: rows that must round to a word (length control and infilling).
    let wordsOnly: UnsafeMutablePointer<Bool>
    var previousSentence: [Int32] = []
    /// Located control spans of the last `classify` (nil without a tagging classifier).
    var lastSpans: [String: Range<Int>]?
    /// Top-k candidates shown per position.
    public var candidateCount = 5
    /// Positions of sequence 0 whose prediction survives a step (see `step`); nil: all.
    let unfixedSpan: Range<Int>?
    /// The settings' pins, checked, with their words' ids.
    let pins: [WordPin.Resolved]

    public typealias State = ChainState

    public init(model: DiffusionModel, settings: ChainSettings, batch: Int = 1) throws {
        let c = model.config
        guard settings.steps >= 1 && settings.steps <= c.diffusionSteps else {
            throw DenoiseError.invalid("--steps \(settings.steps) is out of range: accepted 1...\(c.diffusionSteps) for this model")
        }
        try settings.validateSampler()
        self.model = model
        self.settings = settings
        self.batch = batch
        schedule = NoiseSchedule(sqrtSteps: c.diffusionSteps).respaced(to: settings.steps)
        let setup = try ChainSetup(model: model, settings: settings, batch: batch)
        pins = setup.pins
        constraints = setup.constraints
        guide = setup.guide
        unfixedSpan = batch == 1 ? constraints[0].unfixedSpan(length: c.sequenceLength) : nil
        let n = batch * c.sequenceLength * c.embeddingDim
        latent = FloatBuffer(count: n)
        previousPrediction = c.selfConditioning ? FloatBuffer(count: n) : nil
        mean = FloatBuffer(count: n)
        ws = Denoiser.Workspace(config: c, batch: batch)
        rounder = Rounder(embedding: model.embedding(of: 0), vocabularySize: c.vocabSize, dim: c.embeddingDim,
                          maxRows: batch * c.sequenceLength)
        timesteps = .allocate(capacity: batch)
        timesteps.initialize(repeating: 0, count: batch)
        wordsOnly = .allocate(capacity: batch * c.sequenceLength)
        wordsOnly.initialize(repeating: false, count: batch * c.sequenceLength)
        for b in 0..<batch { for p in constraints[b].freeWordPositions() { wordsOnly[b * c.sequenceLength + p] = true } }
        rngs = (0..<batch).map { Self.randomSource(seed: settings.seed &+ UInt64($0)) }
        let per = c.sequenceLength * c.embeddingDim
        for b in 0..<batch { rngs[b].fillNormal(latent.pointer + b * per, count: per) }
        // Fixed positions hold their words from the start, as in training (`fixedLengthShare`).
        applyConstraints(to: latent.pointer) { self.rounder.embeddingRow($0) }
    }

    deinit { timesteps.deallocate(); wordsOnly.deallocate() }

    /// The chain's stream for a seed, kept apart from the stream that initialises a model with
    /// the same seed number (otherwise a random model's starting noise equals its embeddings).
    public static func randomSource(seed: UInt64) -> RandomSource {
        RandomSource(seed: seed ^ 0x6A09_E667_F3BC_C908)
    }

    public var totalSteps: Int { schedule.count }
    var length: Int { model.config.sequenceLength }
    var dim: Int { model.config.embeddingDim }

    public func saveState() -> State {
        ChainState(latent: latent.array, previousPrediction: previousPrediction?.array ?? [], tokens: [], rngs: rngs,
                   stepsTaken: stepsTaken, previousSentence: previousSentence)
    }

    public func restore(_ state: State) {
        precondition(state.latent.count == latent.count && state.rngs.count == rngs.count, "state from another chain shape")
        state.latent.withUnsafeBufferPointer { latent.pointer.update(from: $0.baseAddress!, count: latent.count) }
        if let previousPrediction {
            if state.previousPrediction.count == previousPrediction.count {
                state.previousPrediction.withUnsafeBufferPointer {
                    previousPrediction.pointer.update(from: $0.baseAddress!, count: previousPrediction.count)
                }
            } else {
                previousPrediction.zero()  // a start with no prediction yet (see `start(atScheduleIndex:)`)
            }
        }
        rngs = state.rngs
        stepsTaken = state.stepsTaken
        previousSentence = state.previousSentence
        // A state saved before a pin's step (or by a chain without the pin) gets the word now.
        if !pins.isEmpty { applyConstraints(to: latent.pointer) { self.rounder.embeddingRow($0) } }
    }

    /// Schedule index of the next step (K-1 down to 0).
    var nextIndex: Int { schedule.count - 1 - stepsTaken }

    /// The rows of a latent buffer that the rounder's buffers describe, as returned by `round`:
    /// whoever reads the rounder's results holds the value that says which rows they are, and
    /// rounding anything else makes a new one. The rounder's row r is row r of the latent.
    struct Rounding {
        let rows: Range<Int>
    }

    /// Rounds `rows` of `x` ([batch * L, D]).
    func round(_ x: UnsafePointer<Float>, rows: Range<Int>) -> Rounding { round(x, spans: [rows]) }

    /// Rounds adjacent `spans` of `x`, each in a product of its own, so a span's rows come out
    /// the same as when it is rounded alone (BLAS may give a row other bits in a product with
    /// another row count).
    func round(_ x: UnsafePointer<Float>, spans: [Range<Int>]) -> Rounding {
        for span in spans { rounder.round(x, span: span, wordsOnly: wordsOnly) }
        return Rounding(rows: (spans.map(\.lowerBound).min() ?? 0)..<(spans.map(\.upperBound).max() ?? 0))
    }

    /// Display tokens of sequence 0 from a rounding that covers its rows [0, L).
    func tokens(_ rounding: Rounding) -> [RoundedToken] {
        precondition(rounding.rows.lowerBound == 0 && rounding.rows.count >= length, "rounding does not cover sequence 0")
        return (0..<length).map { p in
            let id = rounder.nearest[p]
            return RoundedToken(id: id, text: model.vocabulary.word(id), squaredDistance: rounder.nearestDistance[p],
                                squaredMargin: rounder.margin[p])
        }
    }

    /// Top-k candidates of every position of sequence 0 from a rounding that covers it.
    func candidates(_ rounding: Rounding) -> [[Candidate]] {
        precondition(rounding.rows.lowerBound == 0 && rounding.rows.count >= length, "rounding does not cover sequence 0")
        return (0..<length).map { p in rounder.topK(row: p, k: candidateCount).map { Candidate(text: model.vocabulary.word($0.id), squaredDistance: $0.distance) } }
    }

    /// Replaces the rounded rows of `x` by their nearest words' embeddings.
    func clamp(_ x: UnsafeMutablePointer<Float>, _ rounding: Rounding) {
        rounder.clamp(x, span: rounding.rows)
    }

    func noiseFields(_ i: Int) -> (t: Int, alphaBar: Double, sigma: Double, snr: Double) {
        let a = schedule.alphaBars[i]
        return (schedule.timesteps[i], a, (1 - a).squareRoot(), schedule.snrDB(i))
    }

    /// The snapshot of the starting latent (step 0, or the step an edit starts at).
    public func initialSnapshot() -> StepSnapshot {
        let noise = noiseFields(nextIndex)
        let rounding = round(latent.pointer, rows: 0..<length)
        let xt = tokens(rounding)
        let cands = candidates(rounding)
        previousSentence = xt.map(\.id)
        let (scores, guesses) = classify(latent.pointer, t: noise.t)
        var snapshot = StepSnapshot(step: stepsTaken, totalSteps: totalSteps, t: noise.t, alphaBar: noise.alphaBar, sigma: noise.sigma,
                                    snrDB: noise.snr, xt: xt, x0: [], candidates: cands, changed: [], scores: scores,
                                    fieldGuesses: guesses, guidanceNorm: 0, clamped: settings.clamp,
                                    latent: latentSample(prediction: nil, alphaBar: noise.alphaBar))
        snapshot.controlSpans = lastSpans
        return snapshot
    }

    /// Control scores and field guesses of sequence 0 (empty without a classifier); the
    /// located spans are kept for the snapshot (`lastSpans`).
    func classify(_ x: UnsafePointer<Float>, t: Int) -> ([String: Float], [FieldGuess]) {
        guard let guide else { return ([:], []) }
        guide.evaluate(x, t: t)
        let spans = guide.locations(sequence: 0)
        lastSpans = spans.isEmpty ? nil : spans
        return (guide.scores(sequence: 0), guide.guesses(sequence: 0))
    }

    /// What the next step does: its schedule index and whether the classifier guides it.
    struct Plan {
        let index: Int
        /// The guide runs this step (a classifier is loaded and the step is before the unguided tail).
        let guided: Bool
        /// Controls are set as well, so guidance changes the latent.
        let steering: Bool
    }

    func nextPlan() -> Plan {
        let i = nextIndex
        let guided = guide != nil && i >= settings.guidance.unguidedTail(steps: totalSteps)
        return Plan(index: i, guided: guided, steering: guided && !(guide?.targets.isEmpty ?? true))
    }

    /// Takes one reverse step and returns the snapshot of sequence 0. The chain must not be finished.
    @discardableResult
    public func recordedStep() -> StepSnapshot {
        precondition(!isFinished, "recordedStep() on a finished chain (check isFinished)")
        let plan = nextPlan()
        let noise = noiseFields(plan.index)
        var x0Tokens = [RoundedToken](), cands = [[Candidate]](), predictionRows: [Float]? = nil
        let guidanceNorm = advance(plan) { rounding in
            x0Tokens = self.tokens(rounding)
            cands = self.candidates(rounding)
            if self.model.projection != nil {
                predictionRows = Array(UnsafeBufferPointer(start: self.ws.output.pointer, count: self.length * self.dim))
            }
        }
        let tNext = plan.index > 0 ? schedule.timesteps[plan.index - 1] : 0
        let (scores, guesses) = classify(latent.pointer, t: tNext)
        let xtTokens = tokens(round(latent.pointer, rows: 0..<length))
        let sentence = x0Tokens.map(\.id)
        let changed = (0..<length).filter { previousSentence.count == length && previousSentence[$0] != sentence[$0] }
        previousSentence = sentence
        var snapshot = StepSnapshot(step: stepsTaken, totalSteps: totalSteps, t: noise.t, alphaBar: noise.alphaBar,
                                    sigma: noise.sigma, snrDB: noise.snr, xt: xtTokens, x0: x0Tokens, candidates: cands,
                                    changed: changed, scores: scores, fieldGuesses: guesses, guidanceNorm: guidanceNorm,
                                    clamped: settings.clamp,
                                    latent: latentSample(prediction: predictionRows, alphaBar: schedule.alphaBarPrevious(plan.index)))
        snapshot.controlSpans = lastSpans
        return snapshot
    }

    /// The 2-D geometry of sequence 0's current latent (at noise level `alphaBar`) and of the
    /// prediction rows; nil without a projection. A few hundred multiply-adds: far below a step.
    func latentSample(prediction: [Float]?, alphaBar: Double) -> LatentSample? {
        guard let projection = model.projection else { return nil }
        let x = UnsafePointer(latent.pointer)
        let predictionPoints = prediction.map { rows in
            rows.withUnsafeBufferPointer { projection.project(rows: length, $0.baseAddress!) }
        } ?? []
        return LatentSample(alphaBar: alphaBar, latentPoints: projection.project(rows: length, x),
                            scaledPoints: projection.project(rows: length, x, scale: Float(1 / Swift.max(alphaBar, 1e-12).squareRoot())),
                            predictionPoints: predictionPoints, prediction: prediction ?? [],
                            wordsOnly: (0..<length).map { wordsOnly[$0] })
    }

    /// Takes one reverse step without a snapshot. The chain must not be finished.
    ///
    /// The fixed positions' predictions are overwritten by their words, so when no guidance
    /// reads them their rows of x0-hat are not computed (about 10% of the step's work at a
    /// typical length). The latent that results is the one `recordedStep` would leave.
    public func silentStep() {
        precondition(!isFinished, "silentStep() on a finished chain (check isFinished)")
        let plan = nextPlan()
        advance(plan, observe: nil)
    }

    /// The parts of `whole` outside `span` (at most two ranges, none empty).
    static func complement(of span: Range<Int>, in whole: Range<Int>) -> [Range<Int>] {
        [whole.lowerBound..<Swift.max(whole.lowerBound, Swift.min(span.lowerBound, whole.upperBound)),
         Swift.min(whole.upperBound, Swift.max(span.upperBound, whole.lowerBound))..<whole.upperBound].filter { !$0.isEmpty }
    }

    /// The work both kinds of step share: x0-hat = f(x_t, t), guidance on the prediction,
    /// rounding and clamping, the fixed positions, x_{t-1}, guidance on x_{t-1}. `observe`
    /// (a recorded step) receives the rounding of x0-hat (before clamping) of sequence 0.
    /// Returns the L2 norm of the change guidance made.
    @discardableResult
    private func advance(_ plan: Plan, observe: ((Rounding) -> Void)?) -> Float {
        let i = plan.index
        let rows = batch * length, count = rows * dim
        let t = schedule.timesteps[i]
        for b in 0..<batch { timesteps[b] = Int32(t) }
        // Rows of x0-hat the chain uses this step. The fixed positions' predictions are
        // overwritten below, so unless guidance reads them they are skipped (about 10% of the
        // step's work at a typical length). A recorded step computes the other rows afterwards,
        // for the snapshot alone: BLAS may give a row other bits in a product with another row
        // count, so the chain's rows come from the same products whether a step records or not.
        let predicted = plan.steering ? 0..<rows : (unfixedSpan ?? 0..<rows)
        let shownOnly = observe == nil ? [] : Self.complement(of: predicted, in: 0..<length)
        let weights = UnsafePointer(model.denoiser.params.values.pointer)
        model.denoiser.forward(weights: weights, x: latent.pointer, timesteps: timesteps, batch: batch, workspace: ws,
                               outputRows: predicted.count == rows ? nil : predicted,
                               selfCondition: previousPrediction.map { UnsafePointer($0.pointer) })
        for extra in shownOnly { model.denoiser.forwardMoreRows(weights: weights, workspace: ws, rows: extra) }
        let x0hat = ws.output.pointer
        var guidanceNorm: Float = 0
        // The rounding of x0hat as it stands, when one has been made.
        var rounding: Rounding?
        if plan.steering, let guide, settings.guidance.saturating {
            // Score the words the prediction rounds to (a scratch copy: `mean` is free until below).
            let all = round(x0hat, rows: 0..<rows)
            rounding = all
            mean.pointer.update(from: x0hat, count: count)
            clamp(mean.pointer, all)
            applyConstraints(to: mean.pointer) { self.rounder.embeddingRow($0) }
            guide.measureUnmet(words: mean.pointer)
        }
        if plan.guided, let guide, guide.willGuidePrediction(settings: settings.guidance) {
            guidanceNorm += guide.guidePrediction(x0hat, settings: settings.guidance)
            rounding = nil
        }

        if let previousPrediction {
            // The next step reads this prediction as it stands before clamping (as training
            // feeds the raw prediction), with the guidance's changes; the rows not computed are
            // fixed positions, which hold their words.
            previousPrediction.pointer.update(from: x0hat, count: count)
            applyConstraints(to: previousPrediction.pointer) { self.rounder.embeddingRow($0) }
        }

        // One rounding of every row serves both the snapshot (rows of sequence 0) and clamping.
        if settings.clamp || observe != nil {
            // The chain's rows in one product, the snapshot's other rows after it.
            let current = rounding ?? round(x0hat, spans: settings.clamp ? [predicted] + shownOnly : [0..<length])
            observe?(current)
            if settings.clamp { clamp(x0hat, current) }
        }
        let embed: (Int32) -> UnsafePointer<Float> = { self.rounder.embeddingRow($0) }
        applyConstraints(to: x0hat, embedding: embed)

        let step = update(i)
        let c1 = step.c1, c2 = step.c2, sd = step.sd
        let x = latent.pointer, mu = mean.pointer
        for k in 0..<count { mu[k] = c1 * x0hat[k] + c2 * x[k] }
        if step.draws {
            let per = length * dim
            for b in 0..<batch {
                for k in (b * per)..<((b + 1) * per) { x[k] = mu[k] + sd * rngs[b].normal() }
            }
        } else {
            x.update(from: mu, count: count)
        }
        let tNext = i > 0 ? schedule.timesteps[i - 1] : 0
        if plan.guided, let guide {
            guidanceNorm += guide.guide(x, mean: mu, t: tNext, sigma: step.guidanceSigma, settings: settings.guidance)
        }
        // Counted first, so the pins of the step reached hold in the latent it leaves.
        stepsTaken += 1
        applyConstraints(to: x, embedding: embed)
        return guidanceNorm
    }

    /// Overwrites the fixed positions of every sequence of `x` ([batch, L, D]) with their
    /// words: those of length control and infilling, and the pins whose step has been reached.
    func applyConstraints(to x: UnsafeMutablePointer<Float>, embedding: (Int32) -> UnsafePointer<Float>) {
        for b in 0..<batch where !constraints[b].isEmpty {
            constraints[b].apply(to: x + b * length * dim, dim: dim, embedding: embedding)
        }
        for pin in pins where pin.step <= stepsTaken {
            let row = embedding(pin.id)
            for b in 0..<batch { (x + (b * length + pin.position) * dim).update(from: row, count: dim) }
        }
    }

    /// Word ids of the rounding of sequence b's current latent.
    public func tokenIDs(sequence b: Int) -> [Int32] {
        let rounding = round(latent.pointer, rows: b * length..<(b + 1) * length)
        return rounding.rows.map { rounder.nearest[$0] }
    }
}

/// The chain as a sequence of snapshots: each `next()` is one recorded step, nil once the
/// chain is finished, so `for snapshot in chain { ... }` runs it to the end (from wherever it
/// stands) and `chain.prefix(k)` takes k steps. The sequence is the chain itself: iterating
/// consumes its steps.
extension ReverseChain: Sequence, IteratorProtocol {}

extension ReverseChain {
    /// p(control | x) of every sequence for the active controls, on the current latent at the
    /// noise level it has (clean once the chain is finished). Empty without controls.
    public func finalScores() -> [[String: Float]] {
        guard let guide, !guide.targets.isEmpty else { return [] }
        let t = isFinished ? 0 : schedule.timesteps[nextIndex]
        guide.evaluate(latent.pointer, t: t)
        return (0..<batch).map { guide.scores(sequence: $0) }
    }
}
