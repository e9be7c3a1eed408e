import Foundation

/// Architecture and schedule of a denoiser, stored as `config.json` in a model folder.
/// Keys are part of the file format: vocabSize, sequenceLength, embeddingDim, hiddenSize, layers,
/// heads, ffnSize, diffusionSteps, schedule; the rest describe how the model was trained.
public struct ModelConfig: Codable, Sendable, Equatable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case vocabSize, sequenceLength, embeddingDim, hiddenSize, layers, heads, ffnSize, diffusionSteps, schedule,
             training, lengthHistogram, architecture, timeEmbeddingChannels, timeHiddenSize, layerNormEps,
             rescaleTimesteps, selfConditioning, kind
    }

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
    /// The denoiser's network: absent for Denoise's own; "diffusion-lm-bert" for a model
    /// converted from the reference implementation (see `DenoiserArchitecture`).
    public var architecture: String?
    /// Reference architecture only: width of the sinusoidal time features (its model_channels).
    public var timeEmbeddingChannels: Int?
    /// Reference architecture only: hidden width of the time MLP (4 x model_channels).
    public var timeHiddenSize: Int?
    /// Reference architecture only: LayerNorm epsilon (BERT's 1e-12).
    public var layerNormEps: Double?
    /// Reference architecture only: whether the network sees t * 1000 / T (true) or t itself.
    public var rescaleTimesteps: Bool?
    /// Self-conditioning (Chen et al. 2022): the denoiser also reads its previous prediction of
    /// x0, so its input is [x_t, x0-hat_prev] (2D wide). Configs without the key read as false.
    public var selfConditioning: Bool
    /// How the model corrupts text: "continuous", "masked" or "uniform" (`ModelKind`). Absent:
    /// continuous. A masked model's vocabulary ends with the MASK token. Kept as the file's
    /// string, as `architecture` is, so `validate` names an unknown kind.
    public var kind: String?

    public init(vocabSize: Int, sequenceLength: Int = 48, embeddingDim: Int = 16, hiddenSize: Int = 128,
                layers: Int = 4, heads: Int = 4, ffnSize: Int = 512, diffusionSteps: Int = 2000,
                schedule: String = "sqrt", selfConditioning: Bool = false, kind: ModelKind = .continuous,
                training: TrainingRecord? = nil) {
        self.selfConditioning = selfConditioning
        self.kind = kind == .continuous ? nil : kind.rawValue
        self.vocabSize = vocabSize; self.sequenceLength = sequenceLength; self.embeddingDim = embeddingDim
        self.hiddenSize = hiddenSize; self.layers = layers; self.heads = heads; self.ffnSize = ffnSize
        self.diffusionSteps = diffusionSteps; self.schedule = schedule; self.training = training
    }

    /// The keys listed in the type's doc are required; the rest may be absent (`selfConditioning`
    /// then reads as false). Encoding is the synthesized one.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        vocabSize = try c.decode(Int.self, forKey: .vocabSize)
        sequenceLength = try c.decode(Int.self, forKey: .sequenceLength)
        embeddingDim = try c.decode(Int.self, forKey: .embeddingDim)
        hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
        layers = try c.decode(Int.self, forKey: .layers)
        heads = try c.decode(Int.self, forKey: .heads)
        ffnSize = try c.decode(Int.self, forKey: .ffnSize)
        diffusionSteps = try c.decode(Int.self, forKey: .diffusionSteps)
        schedule = try c.decode(String.self, forKey: .schedule)
        training = try c.decodeIfPresent(TrainingRecord.self, forKey: .training)
        lengthHistogram = try c.decodeIfPresent([Int].self, forKey: .lengthHistogram)
        architecture = try c.decodeIfPresent(String.self, forKey: .architecture)
        timeEmbeddingChannels = try c.decodeIfPresent(Int.self, forKey: .timeEmbeddingChannels)
        timeHiddenSize = try c.decodeIfPresent(Int.self, forKey: .timeHiddenSize)
        layerNormEps = try c.decodeIfPresent(Double.self, forKey: .layerNormEps)
        rescaleTimesteps = try c.decodeIfPresent(Bool.self, forKey: .rescaleTimesteps)
        selfConditioning = try c.decodeIfPresent(Bool.self, forKey: .selfConditioning) ?? false
        kind = try c.decodeIfPresent(String.self, forKey: .kind)
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
        guard let modelKind = ModelKind(configValue: kind) else {
            throw DenoiseError.corrupt(file: file, "kind \"\(kind ?? "")\" is not supported (accepted: \(ModelKind.accepted))")
        }
        try need(schedule == modelKind.scheduleName,
                 "schedule \"\(schedule)\" is not supported by a \(modelKind.rawValue) model (accepted: \(modelKind.scheduleName))")
        if modelKind.isDiscrete {
            try need(architecture == nil, "a \(modelKind.rawValue) model uses Denoise's own architecture (no architecture key)")
            try need(!selfConditioning, "selfConditioning is for continuous models (accepted for \(modelKind.rawValue): false or no key)")
        }
        guard let kind = DenoiserArchitecture(configValue: architecture) else {
            throw DenoiseError.corrupt(file: file, "architecture \"\(architecture ?? "")\" is not supported (accepted: "
                                       + "\(DenoiserArchitecture.diffusionLMBert.rawValue), or no architecture key for Denoise's own)")
        }
        if kind == .diffusionLMBert {
            guard let channels = timeEmbeddingChannels, let timeHidden = timeHiddenSize, let eps = layerNormEps,
                  rescaleTimesteps != nil else {
                throw DenoiseError.corrupt(file: file, "architecture \(kind.rawValue) needs timeEmbeddingChannels, timeHiddenSize, layerNormEps and rescaleTimesteps")
            }
            try need(channels >= 2 && channels <= 8192 && channels % 2 == 0, "timeEmbeddingChannels \(channels) must be even, in 2...8192")
            try need(timeHidden >= 1 && timeHidden <= 65536, "timeHiddenSize \(timeHidden) must be in 1...65536")
            try need(eps > 0 && eps < 1, "layerNormEps \(eps) must be in (0, 1)")
            try need(!selfConditioning, "selfConditioning is not supported by architecture \(kind.rawValue) (accepted: false or no key)")
        }
    }

    /// The network named by `architecture` (validated configs only).
    public var architectureKind: DenoiserArchitecture { DenoiserArchitecture(configValue: architecture) ?? .native }

    /// The model's kind (validated configs only; absent: continuous).
    public var modelKind: ModelKind { ModelKind(configValue: kind) ?? .continuous }

    /// The MASK token's id: the last word of a masked model's vocabulary; nil for other kinds.
    public var maskID: Int32? { modelKind == .masked ? Int32(vocabSize - 1) : nil }

    /// The trunk's input: x_t, and with self-conditioning the previous x0-hat beside it.
    var body: TransformerBody.Shape {
        .init(inputDim: embeddingDim * (selfConditioning ? 2 : 1), length: sequenceLength, hidden: hiddenSize, layers: layers,
              heads: heads, ffn: ffnSize)
    }
}

/// The denoiser networks Denoise can run. Every architecture maps x_t and t to x0-hat with the
/// same embedding table and rounding head, so the chain, rounding, guidance and the views do not
/// depend on which one a model uses.
public enum DenoiserArchitecture: String, Sendable, CaseIterable {
    /// Denoise's own pre-LayerNorm transformer (`TransformerBody`), trainable here.
    case native
    /// The reference implementation's `TransformerNetModel2` (a BERT post-LayerNorm encoder),
    /// imported with tools/convert_diffusion_lm.py; inference only.
    case diffusionLMBert = "diffusion-lm-bert"

    /// The architecture a config.json value names: nil (no key) is the native one.
    public init?(configValue: String?) {
        guard let configValue else { self = .native; return }
        guard let kind = Self(rawValue: configValue) else { return nil }
        self = kind
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
