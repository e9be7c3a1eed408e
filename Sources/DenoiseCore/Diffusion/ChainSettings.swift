/// How a chain decides each sample's length. One value, so a length and a template (or a
/// length and "no prior") cannot be asked for together.
public enum LengthMode: Sendable, Equatable, Hashable {
    /// Each sample's length is drawn from the model's training length histogram (the length
    /// prior); a model without a histogram leaves it to the model.
    case prior
    /// The model alone decides where END goes (pure pad mode, `--free-length`).
    case free
    /// Exactly this many tokens, START and END not counted (`--length`).
    case exact(Int)
    /// An infilling template: `_` marks a free token, other words are kept in place (`--infill`).
    case template(String)

    /// The exact length asked for, nil in the other modes.
    public var exactLength: Int? {
        if case .exact(let n) = self { return n }
        return nil
    }

    /// The infilling template, nil in the other modes.
    public var template: String? {
        if case .template(let t) = self { return t }
        return nil
    }

    /// A mode from the command line's three options; a length together with a template is an
    /// error (the template fixes the length itself). A length or template wins over `free`.
    public static func from(length: Int?, infill: String?, free: Bool) throws -> LengthMode {
        switch (length, infill) {
        case (.some, .some):
            throw DenoiseError.invalid("--length and --infill cannot be combined (an infill template fixes the length itself)")
        case (.some(let n), nil): return .exact(n)
        case (nil, .some(let t)): return .template(t)
        case (nil, nil): return free ? .free : .prior
        }
    }
}

/// Settings of one reverse chain. Changing them mid-chain makes a branch.
public struct ChainSettings: Sendable, Equatable {
    public var seed: UInt64
    public var steps: Int
    public var clamp: Bool
    public var controls: [ControlTarget]
    /// Length prior, free length, an exact length or an infilling template.
    public var lengthMode: LengthMode
    public var guidance: GuidanceSettings
    /// Sampling temperature tau: each reverse step draws x_{t-1} from N(mu, (tau sigma_t)^2)
    /// instead of N(mu, sigma_t^2). 1 is the model's own reverse process; below 1 the chain
    /// keeps closer to the denoiser's mean, trading diversity for fluency as a softmax
    /// temperature does for a language model. Settings saved before the option read as 1.
    public var temperature: Float
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
                controls: [ControlTarget] = [], lengthMode: LengthMode = .prior,
                guidance: GuidanceSettings = GuidanceSettings(), temperature: Float = ChainSettings.defaultTemperature) {
        self.seed = seed; self.steps = steps; self.clamp = clamp; self.controls = controls
        self.lengthMode = lengthMode; self.guidance = guidance; self.temperature = temperature
    }
}

/// The JSON of the trace header's `settings` (docs/TRACE.md): the length mode as the three
/// keys `length` (exact), `infill` (template) and `freeLength`, as written before the mode was
/// one value, so traces read both ways. Keys added after the first traces (`temperature`,
/// `freeLength`, `unmask`, `sampler`, `eta`, `pinned`) may be absent and read as their defaults.
extension ChainSettings: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case seed, steps, clamp, controls, length, infill, freeLength, guidance, temperature
        case unmask, sampler, eta, pinned
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        seed = try c.decode(UInt64.self, forKey: .seed)
        steps = try c.decode(Int.self, forKey: .steps)
        clamp = try c.decode(Bool.self, forKey: .clamp)
        controls = try c.decode([ControlTarget].self, forKey: .controls)
        let length = try c.decodeIfPresent(Int.self, forKey: .length)
        let infill = try c.decodeIfPresent(String.self, forKey: .infill)
        let free = try c.decodeIfPresent(Bool.self, forKey: .freeLength) ?? false
        guard length == nil || infill == nil else {
            throw DecodingError.dataCorruptedError(forKey: .infill, in: c,
                                                   debugDescription: "a length and an infill template cannot be combined")
        }
        lengthMode = length.map(LengthMode.exact) ?? infill.map(LengthMode.template) ?? (free ? .free : .prior)
        guidance = try c.decode(GuidanceSettings.self, forKey: .guidance)
        temperature = try c.decodeIfPresent(Float.self, forKey: .temperature) ?? 1
        unmask = try c.decodeIfPresent(UnmaskRule.self, forKey: .unmask)
        sampler = try c.decodeIfPresent(ReverseSampler.self, forKey: .sampler)
        eta = try c.decodeIfPresent(Float.self, forKey: .eta)
        pinned = try c.decodeIfPresent([WordPin].self, forKey: .pinned)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(seed, forKey: .seed)
        try c.encode(steps, forKey: .steps)
        try c.encode(clamp, forKey: .clamp)
        try c.encode(controls, forKey: .controls)
        try c.encodeIfPresent(lengthMode.exactLength, forKey: .length)
        try c.encodeIfPresent(lengthMode.template, forKey: .infill)
        try c.encode(lengthMode == .free, forKey: .freeLength)
        try c.encode(guidance, forKey: .guidance)
        try c.encode(temperature, forKey: .temperature)
        try c.encodeIfPresent(unmask, forKey: .unmask)
        try c.encodeIfPresent(sampler, forKey: .sampler)
        try c.encodeIfPresent(eta, forKey: .eta)
        try c.encodeIfPresent(pinned, forKey: .pinned)
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
