/// What a viewer of the chain is told about the model: its name and size, the shapes that
/// bound the settings (sequence length, diffusion steps), the classifier's fields and values,
/// and fingerprints of the weights, so a trace can say which model made it.
public struct ModelSummary: Sendable {
    public var name: String
    public var parameterCount: Int
    public var vocabularySize: Int
    public var sequenceLength: Int
    public var diffusionSteps: Int
    /// Field name -> accepted values, in display order (empty without a classifier).
    public var fields: [(name: String, values: [String])]
    /// `Fingerprint.of` the denoiser's weights file (nil for a model that was not loaded from disk).
    public var weightsFingerprint: String?
    /// `Fingerprint.of` the classifier's weights file (nil without one, or not loaded from disk).
    public var classifierFingerprint: String?
    /// Set when the chain is replayed from a trace rather than computed.
    public var replay: ReplaySource?
    /// The embedding table's PCA and words, for the geometry view (nil for a replayed trace).
    public var projection: EmbeddingProjection?
    /// The vocabulary, most frequent words first (empty for a replayed trace).
    public var words: [String]
    /// The denoiser also reads its previous prediction (self-conditioning); false for a replay.
    public var selfConditioned = false
    /// The model's kind (continuous, masked or uniform).
    public var kind: ModelKind = .continuous

    public init(name: String, parameterCount: Int, vocabularySize: Int, sequenceLength: Int,
                diffusionSteps: Int, fields: [(name: String, values: [String])],
                weightsFingerprint: String? = nil, classifierFingerprint: String? = nil,
                replay: ReplaySource? = nil, projection: EmbeddingProjection? = nil, words: [String] = []) {
        self.name = name; self.parameterCount = parameterCount; self.vocabularySize = vocabularySize
        self.sequenceLength = sequenceLength; self.diffusionSteps = diffusionSteps; self.fields = fields
        self.weightsFingerprint = weightsFingerprint; self.classifierFingerprint = classifierFingerprint
        self.replay = replay; self.projection = projection; self.words = words
    }
}

/// Where a replayed chain comes from.
public struct ReplaySource: Sendable, Equatable {
    /// The trace file's name.
    public var file: String
    /// False for a trace without a header: the chain's seed, length, infill and guidance are
    /// not known (its controls and clamping are read from the steps).
    public var settingsRecorded: Bool

    public init(file: String, settingsRecorded: Bool) {
        self.file = file; self.settingsRecorded = settingsRecorded
    }
}
