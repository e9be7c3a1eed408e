import Foundation

/// A sentence as the model sees it: START w1..wn END, right-padded with PAD to L. Building one
/// checks the sentence: it must have at least one token, at most L-2, and every token must be
/// in the vocabulary (all unknown tokens are named in the error).
public struct SourceSentence: Sendable, Equatable {
    /// The sentence's tokens (words and punctuation), START/END/PAD not included.
    public let tokens: [String]
    /// [L] token ids: START, the tokens, END, PAD...
    public let ids: [Int32]

    public var wordCount: Int { tokens.count }
    /// Positions of the sentence's tokens in `ids` (START is position 0).
    public var wordPositions: Range<Int> { 1..<(tokens.count + 1) }

    public init(text: String, vocabulary: Vocabulary, sequenceLength l: Int) throws {
        let tokens = Tokenizer.tokenize(text)
        guard !tokens.isEmpty else {
            throw DenoiseError.invalid("the sentence is empty: give at least one word, e.g. \"The Eagle is a pub near the river .\"")
        }
        var unknown = [String]()
        for t in tokens where !vocabulary.contains(t) && !unknown.contains(t) { unknown.append(t) }
        guard unknown.isEmpty else {
            let list = unknown.map { "\"\($0)\"" }.joined(separator: ", ")
            throw DenoiseError.invalid("\(unknown.count == 1 ? "word" : "words") \(list) \(unknown.count == 1 ? "is" : "are") not in the model's vocabulary (\(vocabulary.count) words; words are case-sensitive)")
        }
        guard let ids = vocabulary.encode(tokens, length: l) else {
            throw DenoiseError.invalid("the sentence has \(tokens.count) tokens: accepted at most \(l - 2) for this model (L = \(l), START and END take two)")
        }
        self.tokens = tokens
        self.ids = ids
    }

    /// Share of the sentence's token positions at which `rounded` (L ids) holds the same word.
    public func keptShare(_ rounded: [Int32]) -> Double {
        let same = wordPositions.filter { $0 < rounded.count && rounded[$0] == ids[$0] }.count
        return Double(same) / Double(wordCount)
    }

    /// Writes the clean embeddings of the sentence, [L, D], to `x0`.
    public func embed(into x0: UnsafeMutablePointer<Float>, model: DiffusionModel) {
        let d = model.config.embeddingDim
        for (p, id) in ids.enumerated() { (x0 + p * d).update(from: model.embedding(of: id), count: d) }
    }
}

/// One step of the forward walk: the reverse chain's snapshot shape (so views can draw it) plus
/// how much of the source sentence is still there.
public struct ForwardStep: Sendable {
    /// `xt` is the rounding of the noised latent x_t, `x0` the rounding of the denoiser's x0-hat
    /// from that x_t; `t`, `alphaBar`, `sigma`, `snrDB` describe x_t's noise level.
    public var snapshot: StepSnapshot
    /// Share of the sentence's token positions where x_t still rounds to the source word.
    public var kept: Double
    /// The same for x0-hat: the share the denoiser recovers from x_t.
    public var x0Kept: Double
}

/// When one source word was lost along the forward walk (steps 1...K, clean to noise).
public struct WordLoss: Sendable, Equatable {
    public var position: Int
    public var word: String
    /// First step at which x_t did not round to the word, even if it rounds to it again later;
    /// nil when it never stopped.
    public var xtLost: Int?
    /// First step from which on x_t never rounds to the word again (nil: it still does at the
    /// last step). Equals `xtLost` when the word never came back.
    public var xtGone: Int?
    /// First step at which x0-hat did not recover the word (nil: it always did).
    public var x0Lost: Int?
    /// First step from which on x0-hat never recovers the word again (nil: it still does at the end).
    public var x0Gone: Int?
}

/// The forward (noising) process q(x_t | x_0) walked over a respaced schedule with ONE noise
/// draw for the whole walk:
///
///   x_t = sqrt(alphaBar_t) x_0 + sqrt(1 - alphaBar_t) eps,   eps ~ N(0, I) drawn once.
///
/// Each x_t is then a point on one continuous path from the sentence to pure noise, so "the step
/// at which a word was lost" has an answer. Step k (1...K) noises to schedule index k-1: step 1
/// is t = 0 (almost clean), step K is t = T-1. At every step the denoiser predicts x0-hat from
/// x_t, to show what the model could still recover. Every position is noised, START, END and
/// PAD included, as in training. Not thread-safe: one owner.
public final class ForwardProcess {
    public let model: DiffusionModel
    public let source: SourceSentence
    public let schedule: NoiseSchedule
    public let seed: UInt64
    public internal(set) var stepsTaken = 0
    /// The current x_t [L, D] (the clean x_0 before the first step).
    public let latent: FloatBuffer
    let x0: FloatBuffer
    let noise: FloatBuffer
    let ws: Denoiser.Workspace
    let rounder: Rounder
    let timestep: UnsafeMutablePointer<Int32>
    var previousPrediction: [Int32] = []
    /// Top-k candidates of x0-hat shown per position.
    public var candidateCount = 5
    /// A discrete model's walk: its one draw per position (nil for continuous models).
    let corruption: DiscreteWalk?

    /// The stream of the walk's noise eps for a seed. `sample --from-text` draws sample i's
    /// noise from `noiseSource(seed: seed + i)`, so `forward --seed s` shows the x_t an edit with
    /// `--seed s` starts from (at the same number of steps).
    public static func noiseSource(seed: UInt64) -> RandomSource {
        RandomSource(seed: seed ^ 0x3C6E_F372_FE94_F82B)
    }

    public init(model: DiffusionModel, source: SourceSentence, seed: UInt64, steps: Int) throws {
        let c = model.config
        guard steps >= 1 && steps <= c.diffusionSteps else {
            throw DenoiseError.invalid("--steps \(steps) is out of range: accepted 1...\(c.diffusionSteps) for this model")
        }
        guard source.ids.count == c.sequenceLength else {
            throw DenoiseError.invalid("the sentence was encoded for L = \(source.ids.count), the model has L = \(c.sequenceLength)")
        }
        self.model = model
        self.source = source
        self.seed = seed
        schedule = NoiseSchedule(sqrtSteps: c.diffusionSteps).respaced(to: steps)
        let n = c.sequenceLength * c.embeddingDim
        x0 = FloatBuffer(count: n)
        source.embed(into: x0.pointer, model: model)
        noise = FloatBuffer(count: n)
        var rng = Self.noiseSource(seed: seed)
        rng.fillNormal(noise.pointer, count: n)
        latent = FloatBuffer(count: n)
        latent.pointer.update(from: x0.pointer, count: n)
        ws = Denoiser.Workspace(config: c, batch: 1)
        rounder = Rounder(embedding: model.embedding(of: 0), vocabularySize: c.vocabSize, dim: c.embeddingDim,
                          maxRows: c.sequenceLength)
        timestep = .allocate(capacity: 1)
        timestep.initialize(to: 0)
        corruption = c.modelKind.isDiscrete ? DiscreteWalk(model: model, source: source, seed: seed) : nil
    }

    deinit { timestep.deallocate() }

    public var totalSteps: Int { corruption == nil ? schedule.count : corruption!.steps(schedule) }
    public var isFinished: Bool { stepsTaken >= totalSteps }
    var length: Int { model.config.sequenceLength }

    /// Writes x_t at schedule index i, sqrt(abar_i) x0 + sqrt(1 - abar_i) eps, to `out` [L, D].
    public static func noised(_ x0: UnsafePointer<Float>, noise: UnsafePointer<Float>, alphaBar: Double,
                              count: Int, into out: UnsafeMutablePointer<Float>) {
        let a = Float(alphaBar.squareRoot()), s = Float((1 - alphaBar).squareRoot())
        for k in 0..<count { out[k] = a * x0[k] + s * noise[k] }
    }

    /// Takes the next step towards noise and returns it (nil once all K steps are taken).
    public func step() -> ForwardStep? {
        guard !isFinished else { return nil }
        if let corruption { return discreteStep(corruption) }
        let i = stepsTaken
        let alphaBar = schedule.alphaBars[i]
        Self.noised(x0.pointer, noise: noise.pointer, alphaBar: alphaBar, count: latent.count, into: latent.pointer)
        rounder.round(latent.pointer, rows: length)
        let xt = tokens()
        timestep[0] = Int32(schedule.timesteps[i])
        // One prediction from x_t alone: a self-conditioned model reads no previous prediction
        // (zeros), as at a chain's first step.
        model.denoiser.forward(weights: UnsafePointer(model.denoiser.params.values.pointer), x: latent.pointer,
                               timesteps: timestep, batch: 1, workspace: ws)
        rounder.round(ws.output.pointer, rows: length)
        let prediction = tokens()
        let candidates = (0..<length).map { p in
            rounder.topK(row: p, k: candidateCount).map { Candidate(text: model.vocabulary.word($0.id), squaredDistance: $0.distance) }
        }
        let ids = prediction.map(\.id)
        let changed = previousPrediction.isEmpty ? [] : (0..<length).filter { previousPrediction[$0] != ids[$0] }
        previousPrediction = ids
        stepsTaken += 1
        let snapshot = StepSnapshot(step: stepsTaken, totalSteps: totalSteps, t: schedule.timesteps[i], alphaBar: alphaBar,
                                    sigma: (1 - alphaBar).squareRoot(), snrDB: schedule.snrDB(i), xt: xt, x0: prediction,
                                    candidates: candidates, changed: changed, scores: [:], fieldGuesses: [],
                                    guidanceNorm: 0, clamped: false,
                                    latent: latentSample(alphaBar: alphaBar, prediction: ws.output.pointer))
        return ForwardStep(snapshot: snapshot, kept: source.keptShare(xt.map(\.id)), x0Kept: source.keptShare(ids))
    }

    /// The rounder's last rounding as display tokens.
    func tokens() -> [RoundedToken] {
        (0..<length).map { p in
            let id = rounder.nearest[p]
            return RoundedToken(id: id, text: model.vocabulary.word(id), squaredDistance: rounder.nearestDistance[p],
                                squaredMargin: rounder.margin[p])
        }
    }

    /// Runs the whole walk, clean to noise.
    public func walk() -> [ForwardStep] {
        var steps = [ForwardStep]()
        while let s = step() { steps.append(s) }
        return steps
    }

    /// When each source word was lost along `steps` (a walk of this sentence, steps 1...K in order).
    public static func losses(source: SourceSentence, steps: [ForwardStep]) -> [WordLoss] {
        source.wordPositions.map { p in
            let id = source.ids[p]
            func lost(_ holds: (ForwardStep) -> Bool) -> (first: Int?, gone: Int?) {
                let first = steps.first { !holds($0) }?.snapshot.step
                guard let last = steps.last, !holds(last) else { return (first, nil) }
                let lastHeld = steps.last(where: holds)?.snapshot.step ?? 0
                return (first, lastHeld + 1)
            }
            let xt = lost { $0.snapshot.xt[p].id == id }
            let x0 = lost { $0.snapshot.x0[p].id == id }
            return WordLoss(position: p, word: source.tokens[p - 1], xtLost: xt.first, xtGone: xt.gone,
                            x0Lost: x0.first, x0Gone: x0.gone)
        }
    }
}
