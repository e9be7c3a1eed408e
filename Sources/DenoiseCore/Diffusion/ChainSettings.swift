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

    public init(seed: UInt64 = 1, steps: Int = 200, clamp: Bool = true,
                controls: [ControlTarget] = [], length: Int? = nil, infill: String? = nil,
                guidance: GuidanceSettings = GuidanceSettings()) {
        self.seed = seed; self.steps = steps; self.clamp = clamp; self.controls = controls
        self.length = length; self.infill = infill; self.guidance = guidance
    }
}
