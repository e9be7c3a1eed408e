/// Plug-and-play guidance knobs (docs/DESIGN.md, "The method"). The steps on x_{t-1} follow the reference
/// code; the steps on the prediction and saturation are this project's additions, whose
/// defaults are the settings that steered best on the bundled model (docs/DECISIONS.md, "Guidance
/// beyond the reference method"): 0 prediction steps, saturation off, the sign rule and 10
/// unguided final steps give the reference method alone.
public struct GuidanceSettings: Sendable, Equatable, Codable {
    /// Gradient steps on the latent after each reverse step.
    public var iterations: Int = 3
    /// Step size: per coordinate for `.sign`, the RMS over a sequence's coordinates for `.normalized`.
    public var stepSize: Float = 0.1
    /// Weight of the fluency term lambda * |mu - x|^2 / sigma.
    public var lambda: Float = 0.01
    /// The last steps left unguided, of 200, scaled to K steps. The reference leaves 10; here
    /// 0, because in those steps the denoiser takes back one-word names it has been steered to,
    /// and saturation already stops guidance once the words say every control
    /// (docs/DECISIONS.md, "The update rule, and no unguided tail").
    public var unguidedFinalSteps: Int = 0
    /// How many final steps of a K-step chain are left unguided: `unguidedFinalSteps` scaled from
    /// 200 to K (schedule indices below this are not guided).
    public func unguidedTail(steps: Int) -> Int {
        steps == 200 ? unguidedFinalSteps : Int((Double(unguidedFinalSteps) * Double(steps) / 200).rounded())
    }
    /// `.normalized`: with the sign rule, every coordinate of every position moves by the full
    /// step even where the gradient is close to 0, which rewrites words that have nothing to do
    /// with the control and costs fluency for no more control (docs/DECISIONS.md, "The update
    /// rule, and no unguided tail").
    public var update: GuidanceUpdate = .normalized
    /// Multiplies the classifier term (the CLI's --guidance-weight).
    public var weight: Float = 1

    /// The default weight of a model's kind. Discrete chains draw a committed (masked) or changed
    /// (uniform) word in proportion to p(word) * p(c | sentence with it)^w: 3 for masked models,
    /// 8 for uniform ones, whose words may still change and need the stronger pull; 1 for
    /// continuous models (docs/DECISIONS.md, "Discrete kinds: guidance weight" and "Exact
    /// guidance of discrete chains").
    public static func defaultWeight(for kind: ModelKind) -> Float {
        switch kind {
        case .continuous: 1
        case .masked: 3
        case .uniform: 8
        }
    }
    /// Discrete models: how many words of a position being committed (masked) or changed
    /// (uniform) are scored exactly by the classifier (`CommitGuidance`); 0 uses the
    /// first-order reweighting of every position's logits instead. Settings saved before the
    /// choice existed read as 0.
    public var candidates: Int = 0
    /// The default number of candidates of a model's kind: 64 for discrete models (masked: half
    /// the best logits and half the best first-order proposals; docs/DECISIONS.md, "Exact
    /// guidance of discrete chains"), 0 (not used) for continuous ones.
    public static func defaultCandidates(for kind: ModelKind) -> Int { kind.isDiscrete ? 64 : 0 }
    /// The accepted numbers of candidates.
    public static let candidateRange = 0...256

    /// The default settings of a model's kind (its weight and candidates; the rest are the
    /// continuous model's knobs, which discrete chains do not read).
    public static func defaults(for kind: ModelKind) -> GuidanceSettings {
        var g = GuidanceSettings()
        g.weight = defaultWeight(for: kind)
        g.candidates = defaultCandidates(for: kind)
        return g
    }
    /// Gradient steps on the denoiser's prediction x0-hat (scored as clean text) before it is
    /// rounded, on top of the steps on x_{t-1}. 0 turns this stage off, which leaves values
    /// without words of their own (familyFriendly, "cheap", "high") under 0.5. Three rather than
    /// five: five steer no better on average, cost fluency and break four-word values apart
    /// ("5 5 though out of 5"; docs/DECISIONS.md, "Guidance beyond the reference method").
    public var predictionIterations: Int = 3
    /// Step size of those steps (same update rule).
    public var predictionStepSize: Float = 0.2
    /// Scale each sequence's steps by 1 - p of its least satisfied control, scored on the words
    /// the prediction rounds to, so guidance fades once the words say it.
    public var saturating: Bool = true
    /// How several controls share a guidance step; settings saved before the choice existed
    /// read as `.sum`.
    public var combination: ControlCombination = .sum
    /// How a value the classifier tags is scored; settings saved before the tagger read as
    /// `.both`: the span alone loses one-word names, which the sentence head reads well
    /// (docs/DECISIONS.md, "Span scoring for values with words of their own").
    public var tagScore: TagScore = .both

    public init() {}
}

extension GuidanceSettings {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case iterations, stepSize, lambda, unguidedFinalSteps, update, weight, predictionIterations,
             predictionStepSize, saturating, combination, tagScore, candidates
    }

    /// Every key is required but `combination`, `tagScore` and `candidates`, which settings saved
    /// before them lack (they read as the defaults, and 0 candidates). Encoding is the
    /// synthesized one: every key.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        iterations = try c.decode(Int.self, forKey: .iterations)
        stepSize = try c.decode(Float.self, forKey: .stepSize)
        lambda = try c.decode(Float.self, forKey: .lambda)
        unguidedFinalSteps = try c.decode(Int.self, forKey: .unguidedFinalSteps)
        update = try c.decode(GuidanceUpdate.self, forKey: .update)
        weight = try c.decode(Float.self, forKey: .weight)
        predictionIterations = try c.decode(Int.self, forKey: .predictionIterations)
        predictionStepSize = try c.decode(Float.self, forKey: .predictionStepSize)
        saturating = try c.decode(Bool.self, forKey: .saturating)
        combination = try c.decodeIfPresent(ControlCombination.self, forKey: .combination) ?? .sum
        tagScore = try c.decodeIfPresent(TagScore.self, forKey: .tagScore) ?? .both
        candidates = try c.decodeIfPresent(Int.self, forKey: .candidates) ?? 0
    }
}

/// How the terms of several controls make one guidance step.
public enum ControlCombination: String, Sendable, Equatable, Codable, CaseIterable {
    /// The sum of every control's -log p (the reference method).
    case sum
    /// Each control's -log p weighted by its own 1 - p on the words (with saturation on), so a
    /// control the words already say stops pulling against the others.
    case perControl = "per-control"
    /// One control per gradient step, in turn, so no step mixes two directions.
    case alternate
}

/// How a guidance step turns the gradient g of one sequence into a change of its latent.
public enum GuidanceUpdate: String, Sendable, Equatable, Codable, CaseIterable {
    /// step * sign(g) in every coordinate (the reference's Adagrad step, in effect).
    case sign
    /// step * g / rms(g): the same size of change as `.sign`, but spent where the gradient is
    /// large instead of spread evenly over every position.
    case normalized
}

/// How a control whose value the classifier tags is scored (classifiers without a tagger always
/// use the sentence head).
public enum TagScore: String, Sendable, Equatable, Codable, CaseIterable {
    /// Its best span: the words together and in order.
    case span
    /// The product of the span's probability and the sentence head's (the sum of their -log p
    /// in guidance): the span for order, the head for what the whole sentence says.
    case both
    /// The sentence head alone, as without a tagger.
    case head
}
