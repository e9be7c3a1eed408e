/// One position's rounding: the nearest word to a latent vector, how far it is, and by how much
/// it beat the runner-up (L2 distances in embedding space, not squared).
public struct RoundedToken: Sendable, Equatable, Codable {
    public var id: Int32
    public var text: String
    /// L2 distance (not squared) from the vector to the nearest word's embedding.
    public var distance: Float
    /// Second-nearest distance minus nearest distance, both L2 (not squared): small means
    /// "could flip".
    public var margin: Float
    /// Discrete kinds: the prediction's probability of this word (nil for continuous models,
    /// whose tokens carry distances instead).
    public var probability: Float?

    public init(id: Int32, text: String, distance: Float, margin: Float, probability: Float? = nil) {
        self.id = id; self.text = text; self.distance = distance; self.margin = margin; self.probability = probability
    }
}

extension RoundedToken {
    /// A rounding from what nearest-word search computes: the squared distance d1² and the
    /// squared gap d2² − d1². Stores the distance d1 and the margin d2 − d1.
    public init(id: Int32, text: String, squaredDistance: Float, squaredMargin: Float) {
        let l2 = Distance.unsquared(squaredDistance: squaredDistance, squaredMargin: squaredMargin)
        self.init(id: id, text: text, distance: l2.distance, margin: l2.margin)
    }

    /// PAD, START or END: a token that marks the sentence's bounds rather than being a word.
    public var isMarker: Bool {
        id == Vocabulary.padID || id == Vocabulary.startID || id == Vocabulary.endID
    }
}

/// A word and its L2 distance (not squared), for the inspector's top-k list.
public struct Candidate: Sendable, Equatable, Codable {
    public var text: String
    public var distance: Float
    /// Discrete kinds: the word's probability under the prediction (nil for continuous models).
    public var probability: Float?
    public init(text: String, distance: Float, probability: Float? = nil) {
        self.text = text; self.distance = distance; self.probability = probability
    }

    /// A candidate from the squared distance that nearest-word search computes.
    public init(text: String, squaredDistance: Float) {
        self.init(text: text, distance: max(squaredDistance, 0).squareRoot())
    }
}

/// What a discrete chain's step adds to the kind-neutral snapshot fields.
public struct DiscreteStepDetail: Sendable, Codable, Equatable {
    /// Positions of sequence 0 still MASK after the step (masked kind; 0 for uniform).
    public var maskedCount: Int
    /// Per position: entropy (nats) of the prediction's distribution.
    public var entropy: [Float]
    /// The unmasking rule of a masked chain (nil for uniform).
    public var unmask: UnmaskRule?
    /// The step is a reverse chain's last: its tokens are the chain's output.
    public var isOutput: Bool

    public init(maskedCount: Int, entropy: [Float], unmask: UnmaskRule?, isOutput: Bool = false) {
        self.maskedCount = maskedCount; self.entropy = entropy; self.unmask = unmask; self.isOutput = isOutput
    }

    enum CodingKeys: String, CodingKey { case maskedCount, entropy, unmask, isOutput }

    /// `isOutput` is absent in details encoded before it existed (read as false).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        maskedCount = try c.decode(Int.self, forKey: .maskedCount)
        entropy = try c.decode([Float].self, forKey: .entropy)
        unmask = try c.decodeIfPresent(UnmaskRule.self, forKey: .unmask)
        isOutput = try c.decodeIfPresent(Bool.self, forKey: .isOutput) ?? false
    }

    /// Mean entropy over positions.
    public var meanEntropy: Float { entropy.isEmpty ? 0 : entropy.reduce(0, +) / Float(entropy.count) }
}

/// Rounding distances as every panel, trace and report shows them: the L2 distance itself
/// (what a ruler would measure in embedding space), and the margin in the same unit. Nearest-word
/// search works with squared distances (one matrix product, no roots); this is where they turn
/// into distances.
public enum Distance {
    /// d1 = √(d1²) and d2 − d1 from d1² and d2² − d1². The margin is computed as
    /// (d2² − d1²) / (d2 + d1), which does not cancel when the two words are nearly as far.
    public static func unsquared<F: BinaryFloatingPoint>(squaredDistance: F, squaredMargin: F) -> (distance: F, margin: F) {
        let d1 = max(squaredDistance, 0).squareRoot()
        guard squaredMargin > 0 else { return (d1, 0) }
        guard squaredMargin.isFinite else { return (d1, squaredMargin) }
        let d2 = (max(squaredDistance, 0) + squaredMargin).squareRoot()
        return (d1, squaredMargin / (d2 + d1))
    }
}

/// The classifier's belief about one field: its most likely value (or "none") and probability.
public struct FieldGuess: Sendable, Equatable, Codable {
    public var field: String
    public var value: String
    public var probability: Float
    public init(field: String, value: String, probability: Float) {
        self.field = field; self.value = value; self.probability = probability
    }
}

/// Everything the playground, traces and the CLI show about one reverse step. Immutable and
/// `Sendable`: the engine's queue makes it, the UI thread reads it.
///
/// Step k (1...K) is the k-th call of the denoiser. `t`, `alphaBar`, `sigma` and `snrDB` describe
/// the noise level of that call's input latent x_t (original, not respaced, time index);
/// `xt` is the rounding of the latent the step produced (x_{t-1}), `x0` the rounding of the
/// denoiser's raw prediction x0-hat (before clamping). Step 0 is the starting Gaussian noise:
/// it has no prediction (`x0` is empty) and `t` is the first step's time.
public struct StepSnapshot: Sendable, Codable {
    public var step: Int
    public var totalSteps: Int
    public var t: Int
    public var alphaBar: Double
    public var sigma: Double
    public var snrDB: Double
    public var xt: [RoundedToken]
    public var x0: [RoundedToken]
    /// Top-k nearest words of x0-hat for every position (x_t at step 0), nearest first.
    public var candidates: [[Candidate]]
    /// Positions whose x0-hat rounding (x_t at step 0) differs from the previous step's.
    public var changed: [Int]
    /// p(field=value | x_t) for every active control, keyed "field=value".
    public var scores: [String: Float]
    /// The classifier's most likely value of every field (empty without a classifier).
    public var fieldGuesses: [FieldGuess]
    /// L2 norm of the change guidance made to the latent at this step (0 when unguided).
    public var guidanceNorm: Float
    public var clamped: Bool
    /// 2-D coordinates of the latent and prediction, and the prediction rows (nil when the
    /// source has no embedding table, such as a replayed trace).
    public var latent: LatentSample?
    /// Where a tagging classifier places each active control's value in x_t (positions of its
    /// best span), keyed "field=value"; nil without a tagger.
    public var controlSpans: [String: Range<Int>]?
    /// The model kind that made the step (nil: continuous).
    public var kind: ModelKind?
    /// Discrete kinds: the step's detail (nil for continuous models). For these kinds `xt` is
    /// the chain's tokens after the step (MASK included), `x0` the prediction's most likely word
    /// per position with its probability, `candidates` the top words with probabilities, and
    /// `changed` the positions committed (masked) or changed (uniform) at this step.
    public var discrete: DiscreteStepDetail?

    public init(step: Int, totalSteps: Int, t: Int, alphaBar: Double, sigma: Double, snrDB: Double,
                xt: [RoundedToken], x0: [RoundedToken], candidates: [[Candidate]], changed: [Int],
                scores: [String: Float], fieldGuesses: [FieldGuess], guidanceNorm: Float,
                clamped: Bool, latent: LatentSample? = nil) {
        self.step = step; self.totalSteps = totalSteps; self.t = t; self.alphaBar = alphaBar
        self.sigma = sigma; self.snrDB = snrDB; self.xt = xt; self.x0 = x0
        self.candidates = candidates; self.changed = changed; self.scores = scores
        self.fieldGuesses = fieldGuesses; self.guidanceNorm = guidanceNorm; self.clamped = clamped
        self.latent = latent
    }

    /// The tokens that read as the current sentence. Continuous: the prediction, or the latent
    /// at step 0. Masked: the committed words, and the prediction where MASK still stands (so
    /// after the last step, the chain's output). Uniform: the prediction, and after a reverse
    /// chain's last step its tokens (the prediction is the one that step started from).
    public var sentenceTokens: [RoundedToken] {
        guard !x0.isEmpty else { return xt }
        guard let kind, kind.isDiscrete else { return x0 }
        if discrete?.isOutput == true { return xt }
        guard kind == .masked, xt.count == x0.count else { return x0 }
        return zip(xt, x0).map { state, guess in state.text == Vocabulary.mask ? guess : state }
    }

    /// The sentence the tokens read as: words joined by spaces, PAD, START and END left out
    /// (told apart by id).
    public var sentenceText: String {
        Tokenizer.join(sentenceTokens.filter { !$0.isMarker }.map(\.text))
    }

    /// Mean rounding distance (L2, not squared) of the sentence tokens.
    public var meanDistance: Float {
        let tokens = sentenceTokens
        guard !tokens.isEmpty else { return 0 }
        return tokens.reduce(0) { $0 + $1.distance } / Float(tokens.count)
    }
}
