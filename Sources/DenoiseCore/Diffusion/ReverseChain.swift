import Foundation

/// The reverse diffusion chain, one step per call (DESIGN section 3), for a batch of sequences
/// that each have their own random stream (sequence i is seeded with seed + i, so it is the
/// same chain `--seed seed+i --count 1` would run).
///
/// Each step: x0-hat = f(x_t, t); with clamping, x0-hat is replaced by its nearest words;
/// x_{t-1} = c1 x0-hat + c2 x_t + sqrt(beta~_t) z (no noise at the last step); then guidance
/// (when controls are set) and the fixed positions of length control and infilling. The state
/// (latent, random streams, step) can be saved and restored, which is how the engine keeps
/// history and branches. Not thread-safe: one owner (the engine's queue, or the CLI).
public final class ReverseChain {
    public let model: DiffusionModel
    public let settings: ChainSettings
    public let schedule: NoiseSchedule
    public let batch: Int
    /// Fixed positions of each sequence (its own when lengths are drawn from the length prior).
    public let constraints: [PositionConstraints]
    public private(set) var stepsTaken = 0
    var rngs: [RandomSource]
    public let latent: FloatBuffer          // [batch, L, D]
    let mean: FloatBuffer
    let ws: Denoiser.Workspace
    let rounder: Rounder
    let timesteps: UnsafeMutablePointer<Int32>
    let guide: ClassifierGuide?
    /// [batch * L]: rows that must round to a word (length control and infilling).
    let wordsOnly: UnsafeMutablePointer<Bool>
    var previousSentence: [Int32] = []
    /// Top-k candidates shown per position.
    public var candidateCount = 5
    /// Positions of sequence 0 whose prediction survives a step (see `step`); nil: all.
    let unfixedSpan: Range<Int>?

    /// Saved state for history and branching: restore it and the chain continues exactly.
    public struct State: Sendable {
        public var latent: [Float]
        public var rngs: [RandomSource]
        public var stepsTaken: Int
        public var previousSentence: [Int32]
    }

    public init(model: DiffusionModel, settings: ChainSettings, batch: Int = 1) throws {
        let c = model.config
        guard settings.steps >= 1 && settings.steps <= c.diffusionSteps else {
            throw DenoiseError.invalid("--steps \(settings.steps) is out of range: accepted 1...\(c.diffusionSteps) for this model")
        }
        self.model = model
        self.settings = settings
        self.batch = batch
        schedule = NoiseSchedule(sqrtSteps: c.diffusionSteps).respaced(to: settings.steps)
        let requested = try PositionConstraints(length: settings.length, infill: settings.infill,
                                                vocabulary: model.vocabulary, sequenceLength: c.sequenceLength)
        if requested.isEmpty, !settings.freeLength, let histogram = c.lengthHistogram {
            // Length prior: sequence b draws its length with a stream of its own seed.
            constraints = try (0..<batch).map { b in
                var rng = RandomSource(seed: (settings.seed &+ UInt64(b)) ^ 0xB7E1_5162_8AED_2A6B)
                let n = PositionConstraints.drawLength(histogram: histogram, u: rng.uniform())
                return try PositionConstraints(length: n.map { min($0, c.sequenceLength - 2) }, infill: nil,
                                               vocabulary: model.vocabulary, sequenceLength: c.sequenceLength)
            }
        } else {
            constraints = Array(repeating: requested, count: batch)
        }
        // With a classifier, the guide also scores every step; it guides only when controls are set.
        if let classifier = model.classifier {
            guide = try ClassifierGuide(classifier: classifier, controls: settings.controls, batch: batch)
        } else if !settings.controls.isEmpty {
            throw DenoiseError.invalid("this model has no classifier (classifier.safetensors), so --control cannot be used")
        } else {
            guide = nil
        }
        unfixedSpan = batch == 1 ? constraints[0].unfixedSpan(length: c.sequenceLength) : nil
        let n = batch * c.sequenceLength * c.embeddingDim
        latent = FloatBuffer(count: n)
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
    public var isFinished: Bool { stepsTaken >= schedule.count }
    var length: Int { model.config.sequenceLength }
    var dim: Int { model.config.embeddingDim }

    public func saveState() -> State {
        State(latent: latent.array, rngs: rngs, stepsTaken: stepsTaken, previousSentence: previousSentence)
    }

    public func restore(_ state: State) {
        precondition(state.latent.count == latent.count && state.rngs.count == rngs.count, "state from another chain shape")
        state.latent.withUnsafeBufferPointer { latent.pointer.update(from: $0.baseAddress!, count: latent.count) }
        rngs = state.rngs
        stepsTaken = state.stepsTaken
        previousSentence = state.previousSentence
    }

    /// Schedule index of the next step (K-1 down to 0).
    var nextIndex: Int { schedule.count - 1 - stepsTaken }

    /// Rounds rows [0, L) of `x` (sequence 0) into display tokens, filling the rounder's buffers.
    func roundedTokens(_ x: UnsafePointer<Float>) -> [RoundedToken] {
        rounder.round(x, rows: length, wordsOnly: wordsOnly)
        return lastRoundedTokens()
    }

    /// Display tokens of rows [0, L) from the rounder's last `round` (which covered them).
    func lastRoundedTokens() -> [RoundedToken] {
        (0..<length).map { p in
            let id = rounder.nearest[p]
            return RoundedToken(id: id, text: model.vocabulary.word(id), distance: rounder.nearestDistance[p], margin: rounder.margin[p])
        }
    }

    func candidates() -> [[Candidate]] {
        (0..<length).map { p in rounder.topK(row: p, k: candidateCount).map { Candidate(text: model.vocabulary.word($0.id), distance: $0.distance) } }
    }

    func noiseFields(_ i: Int) -> (t: Int, alphaBar: Double, sigma: Double, snr: Double) {
        let a = schedule.alphaBars[i]
        return (schedule.timesteps[i], a, (1 - a).squareRoot(), schedule.snrDB(i))
    }

    /// The snapshot of the starting latent (step 0, or the step an edit starts at).
    public func initialSnapshot() -> StepSnapshot {
        let noise = noiseFields(nextIndex)
        let xt = roundedTokens(latent.pointer)
        let cands = candidates()
        previousSentence = xt.map(\.id)
        let (scores, guesses) = classify(latent.pointer, t: noise.t)
        return StepSnapshot(step: stepsTaken, totalSteps: totalSteps, t: noise.t, alphaBar: noise.alphaBar, sigma: noise.sigma,
                            snrDB: noise.snr, xt: xt, x0: [], candidates: cands, changed: [], scores: scores,
                            fieldGuesses: guesses, guidanceNorm: 0, clamped: settings.clamp)
    }

    /// Control scores and field guesses of sequence 0 (empty without a classifier).
    func classify(_ x: UnsafePointer<Float>, t: Int) -> ([String: Float], [FieldGuess]) {
        guard let guide else { return ([:], []) }
        guide.evaluate(x, t: t)
        return (guide.scores(sequence: 0), guide.guesses(sequence: 0))
    }

    /// Takes one reverse step. With `record`, returns the snapshot of sequence 0.
    @discardableResult
    public func step(record: Bool = true) -> StepSnapshot? {
        guard !isFinished else { return nil }
        let i = nextIndex
        let rows = batch * length, count = rows * dim
        let noise = noiseFields(i)
        for b in 0..<batch { timesteps[b] = Int32(noise.t) }
        let guided = guide != nil && i >= Self.unguidedTail(settings: settings, steps: totalSteps)
        let steering = guided && !(guide?.targets.isEmpty ?? true)
        // Rows of x0-hat computed this step. The fixed positions' predictions are overwritten
        // below, so when no snapshot shows them and no guidance reads them they are skipped
        // (about 10% of the step's work at a typical length). Recorded steps compute every row.
        let predicted = !record && !steering ? (unfixedSpan ?? 0..<rows) : 0..<rows
        let weights = UnsafePointer(model.denoiser.params.values.pointer)
        model.denoiser.forward(weights: weights, x: latent.pointer, timesteps: timesteps, batch: batch, workspace: ws,
                               outputRows: predicted.count == rows ? nil : predicted)
        let x0hat = ws.output.pointer
        var guidanceNorm: Float = 0
        // Whether the rounder already holds the rounding of every row of x0hat as it stands.
        var allRowsRounded = false
        if steering, let guide, settings.guidance.saturating {
            // Score the words the prediction rounds to (a scratch copy: `mean` is free until below).
            rounder.round(x0hat, rows: rows, wordsOnly: wordsOnly)
            allRowsRounded = true
            mean.pointer.update(from: x0hat, count: count)
            rounder.clamp(mean.pointer, rows: rows)
            applyConstraints(to: mean.pointer) { self.rounder.embeddingRow($0) }
            guide.measureUnmet(words: mean.pointer)
        }
        if guided, let guide, guide.willGuidePrediction(settings: settings.guidance) {
            guidanceNorm += guide.guidePrediction(x0hat, settings: settings.guidance)
            allRowsRounded = false
        }

        // One rounding of every row serves both the snapshot (rows of sequence 0) and clamping.
        var x0Tokens = [RoundedToken](), cands = [[Candidate]]()
        if (settings.clamp || record) && !allRowsRounded {
            let rounded = settings.clamp ? predicted : 0..<length
            rounder.round(x0hat + rounded.lowerBound * dim, rows: rounded.count, wordsOnly: wordsOnly + rounded.lowerBound)
        }
        if record {
            x0Tokens = lastRoundedTokens()
            cands = candidates()
        }
        if settings.clamp { rounder.clamp(x0hat + predicted.lowerBound * dim, rows: predicted.count) }
        let embed: (Int32) -> UnsafePointer<Float> = { self.rounder.embeddingRow($0) }
        applyConstraints(to: x0hat, embedding: embed)

        let post = schedule.posterior(i)
        let c1 = Float(post.c1), c2 = Float(post.c2), sd = Float(post.variance.squareRoot())
        let x = latent.pointer, mu = mean.pointer
        for k in 0..<count { mu[k] = c1 * x0hat[k] + c2 * x[k] }
        if i > 0 {
            let per = length * dim
            for b in 0..<batch {
                for k in (b * per)..<((b + 1) * per) { x[k] = mu[k] + sd * rngs[b].normal() }
            }
        } else {
            x.update(from: mu, count: count)
        }
        let tNext = i > 0 ? schedule.timesteps[i - 1] : 0
        if guided, let guide {
            guidanceNorm += guide.guide(x, mean: mu, t: tNext, sigma: max(sd, 1e-3), settings: settings.guidance)
        }
        applyConstraints(to: x, embedding: embed)
        stepsTaken += 1
        guard record else { return nil }

        let (scores, guesses) = classify(x, t: tNext)
        let xtTokens = roundedTokens(x)
        let sentence = x0Tokens.map(\.id)
        let changed = (0..<length).filter { previousSentence.count == length && previousSentence[$0] != sentence[$0] }
        previousSentence = sentence
        return StepSnapshot(step: stepsTaken, totalSteps: totalSteps, t: noise.t, alphaBar: noise.alphaBar,
                            sigma: noise.sigma, snrDB: noise.snr, xt: xtTokens, x0: x0Tokens, candidates: cands,
                            changed: changed, scores: scores, fieldGuesses: guesses, guidanceNorm: guidanceNorm,
                            clamped: settings.clamp)
    }

    func applyConstraints(to x: UnsafeMutablePointer<Float>, embedding: (Int32) -> UnsafePointer<Float>) {
        for b in 0..<batch where !constraints[b].isEmpty {
            constraints[b].apply(to: x + b * length * dim, dim: dim, embedding: embedding)
        }
    }

    /// The fixed length of sequence b (requested or drawn), nil when the model decides.
    public func sentenceLength(sequence b: Int) -> Int? {
        constraints[b].fixed.first { $0.id == Vocabulary.endID }.map { $0.position - 1 }
    }

    /// Schedule indices below this are left unguided: the reference leaves the last 10 of 200
    /// steps, scaled to the chain's length.
    static func unguidedTail(settings: ChainSettings, steps: Int) -> Int {
        let tail = settings.guidance.unguidedFinalSteps
        return steps == 200 ? tail : Int((Double(tail) * Double(steps) / 200).rounded())
    }

    /// Word ids of the rounding of sequence b's current latent.
    public func tokenIDs(sequence b: Int) -> [Int32] {
        rounder.round(latent.pointer + b * length * dim, rows: length, wordsOnly: wordsOnly + b * length)
        return (0..<length).map { rounder.nearest[$0] }
    }

    /// The text of sequence b: words between START and END, joined by spaces.
    public func text(sequence b: Int) -> String {
        Tokenizer.join(model.vocabulary.decode(tokenIDs(sequence: b)))
    }

    /// Runs the chain to the end without snapshots.
    public func runToEnd() { while !isFinished { step(record: false) } }
}

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
