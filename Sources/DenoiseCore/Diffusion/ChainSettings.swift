/// Settings of one reverse chain. Changing them mid-chain makes a branch.
public struct ChainSettings: Sendable, Equatable, Codable {
    public var seed: UInt64
    public var steps: Int
    public var clamp: Bool
    public var controls: [ControlTarget]
    /// Exact number of tokens (START and END not counted), or nil for free length.
    public var length: Int?
    /// Infilling template: `_` marks a free token, other words are kept in place.
    public var infill: String?
    /// Without `length` or `infill`, each sample's length is drawn from the model's training
    /// length histogram (a length prior) unless this is set: then the model alone decides
    /// where END goes (pure pad mode).
    public var freeLength: Bool = false
    public var guidance: GuidanceSettings
    /// Sampling temperature tau: each reverse step draws x_{t-1} from N(mu, (tau sigma_t)^2)
    /// instead of N(mu, sigma_t^2). 1 is the model's own reverse process; below 1 the chain
    /// keeps closer to the denoiser's mean, trading diversity for fluency as a softmax
    /// temperature does for a language model. nil (settings saved before the option) reads as 1.
    public var temperature: Float?
    public var temperatureValue: Float { temperature ?? 1 }
    /// Masked models: which masked positions a step commits (nil: `UnmaskRule.standard`).
    public var unmask: UnmaskRule?
    public var unmaskRule: UnmaskRule { unmask ?? .standard }
    /// The reverse sampler; nil (settings saved before the option) reads as DDPM.
    public var sampler: ReverseSampler?
    /// DDIM's eta: 0 is deterministic after the start, 1 adds DDPM's posterior noise; nil reads as 0.
    public var eta: Float?
    /// Words held at positions from a step on (`WordPin`); nil (settings saved before the
    /// option, or no pins) reads as none. `pins` is the list to use.
    public var pinned: [WordPin]?

    /// The temperature `sample`, `eval` and the playground start with (docs/DECISIONS.md).
    public static let defaultTemperature: Float = 1
    /// The default temperature of a model's kind: 1 for continuous models (their own reverse
    /// process), 0.5 for masked and uniform ones, whose logits it divides (docs/DECISIONS.md,
    /// "Discrete kinds: unmasking rule and temperature").
    public static func defaultTemperature(for kind: ModelKind) -> Float { kind.isDiscrete ? 0.5 : defaultTemperature }

    /// Accepted temperatures: 0 (no noise after the first draw) up to 2.
    public static let temperatureRange: ClosedRange<Float> = 0...2

    public init(seed: UInt64 = 1, steps: Int = 200, clamp: Bool = true,
                controls: [ControlTarget] = [], length: Int? = nil, infill: String? = nil,
                guidance: GuidanceSettings = GuidanceSettings(), temperature: Float = ChainSettings.defaultTemperature) {
        self.seed = seed; self.steps = steps; self.clamp = clamp; self.controls = controls
        self.length = length; self.infill = infill; self.guidance = guidance; self.temperature = temperature
    }
}

/// Which masked positions a masked chain commits at each step (the rules users meet in MDLM,
/// LLaDA and llama.cpp's diffusion example). Every rule commits, over the chain, every position
/// that is not fixed; committed tokens stay.
///
/// - `random`: MDLM's ancestral update: each masked position is committed with probability
///   (alpha_s - alpha_t) / (1 - alpha_t), its word drawn from the prediction.
/// - `confidence`, `margin`, `entropy`: a word is drawn for every masked position, then the
///   step commits as many positions as the schedule expects to be unmasked by then, choosing
///   those the model is surest of: the highest probability of the drawn word (LLaDA's
///   low-confidence remasking), the largest gap between the top two probabilities, or the lowest
///   entropy of the distribution.
public enum UnmaskRule: String, Sendable, Codable, CaseIterable {
    case random, confidence, margin, entropy

    /// The default: see docs/DECISIONS.md ("Discrete kinds: unmasking rule and temperature").
    public static let standard: UnmaskRule = .random

    public static var accepted: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
