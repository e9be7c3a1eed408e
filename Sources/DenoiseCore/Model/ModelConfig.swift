import Foundation

/// Architecture and schedule of a denoiser, stored as `config.json` in a model folder.
/// Keys are part of the file format: vocabSize, sequenceLength, embeddingDim, hiddenSize, layers,
/// heads, ffnSize, diffusionSteps, schedule; the rest describe how the model was trained.
public struct ModelConfig: Codable, Sendable, Equatable {
    public var vocabSize: Int
    public var sequenceLength: Int
    public var embeddingDim: Int
    public var hiddenSize: Int
    public var layers: Int
    public var heads: Int
    public var ffnSize: Int
    public var diffusionSteps: Int
    public var schedule: String
    /// Training provenance (filled in by the trainer; absent for `denoise init` models).
    public var training: TrainingRecord?
    /// How many training sentences have each length in tokens (index = length). Unguided
    /// sampling draws each sample's length from it unless asked for free length.
    public var lengthHistogram: [Int]?

    public init(vocabSize: Int, sequenceLength: Int = 48, embeddingDim: Int = 16, hiddenSize: Int = 128,
                layers: Int = 4, heads: Int = 4, ffnSize: Int = 512, diffusionSteps: Int = 2000,
                schedule: String = "sqrt", training: TrainingRecord? = nil) {
        self.vocabSize = vocabSize; self.sequenceLength = sequenceLength; self.embeddingDim = embeddingDim
        self.hiddenSize = hiddenSize; self.layers = layers; self.heads = heads; self.ffnSize = ffnSize
        self.diffusionSteps = diffusionSteps; self.schedule = schedule; self.training = training
    }

    /// Checks that the numbers describe a model that can be built; names the offending key.
    public func validate(file: String) throws {
        func need(_ ok: Bool, _ why: String) throws { if !ok { throw DenoiseError.corrupt(file: file, why) } }
        try need(vocabSize >= 5 && vocabSize <= 1_000_000, "vocabSize \(vocabSize) must be in 5...1000000")
        try need(sequenceLength >= 3 && sequenceLength <= 4096, "sequenceLength \(sequenceLength) must be in 3...4096")
        try need(embeddingDim >= 1 && embeddingDim <= 4096, "embeddingDim \(embeddingDim) must be in 1...4096")
        try need(hiddenSize >= 2 && hiddenSize <= 8192 && hiddenSize % 2 == 0, "hiddenSize \(hiddenSize) must be even, in 2...8192")
        try need(layers >= 1 && layers <= 64, "layers \(layers) must be in 1...64")
        try need(heads >= 1 && hiddenSize % heads == 0, "heads \(heads) must divide hiddenSize \(hiddenSize)")
        try need(ffnSize >= 1 && ffnSize <= 65536, "ffnSize \(ffnSize) must be in 1...65536")
        try need(diffusionSteps >= 2 && diffusionSteps <= 100_000, "diffusionSteps \(diffusionSteps) must be in 2...100000")
        try need(schedule == "sqrt", "schedule \"\(schedule)\" is not supported (accepted: sqrt)")
    }

    var body: TransformerBody.Shape {
        .init(inputDim: embeddingDim, length: sequenceLength, hidden: hiddenSize, layers: layers,
              heads: heads, ffn: ffnSize)
    }
}

/// How a model was trained, recorded in its config.
public struct TrainingRecord: Codable, Sendable, Equatable {
    public var data: [String]
    public var iterations: Int
    public var batchSize: Int
    public var seed: UInt64
    public var minCount: Int
    /// Sentences whose stable hash falls in the held-out bucket are never trained on.
    public var heldOutPercent: Int
    public var heldOutRule: String
    public var wallSeconds: Double
    public var finalLosses: [String: Double]
    /// The model this run started from (`--init-from`), with its iteration count; nil for a
    /// run from random weights. `iterations` and `wallSeconds` count this run only.
    public var startedFrom: String?
    /// `TrainOptions.fixedLengthShare` of this run, when used.
    public var fixedLengthShare: Double?

    public init(data: [String], iterations: Int, batchSize: Int, seed: UInt64, minCount: Int,
                heldOutPercent: Int, heldOutRule: String, wallSeconds: Double, startedFrom: String? = nil,
                fixedLengthShare: Double? = nil, finalLosses: [String: Double]) {
        self.data = data; self.iterations = iterations; self.batchSize = batchSize; self.seed = seed
        self.minCount = minCount; self.heldOutPercent = heldOutPercent; self.heldOutRule = heldOutRule
        self.wallSeconds = wallSeconds; self.startedFrom = startedFrom; self.fixedLengthShare = fixedLengthShare
        self.finalLosses = finalLosses
    }
}
