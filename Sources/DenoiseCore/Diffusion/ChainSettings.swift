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

    /// The temperature `sample`, `eval` and the playground start with (docs/DECISIONS.md).
    public static let defaultTemperature: Float = 1
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
/// `freeLength`) may be absent and read as their defaults.
extension ChainSettings: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case seed, steps, clamp, controls, length, infill, freeLength, guidance, temperature
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
    }
}
