import Foundation

/// Everything sampling needs, loaded once: the denoiser (EMA weights), its vocabulary, the
/// classifier when the model has one, and the model's name for display. Read-only after
/// loading, so chains on different queues may share it.
public final class DiffusionModel: @unchecked Sendable {
    public let name: String
    public let denoiser: Denoiser
    public let vocabulary: Vocabulary
    public let classifier: Classifier?
    /// `Fingerprint.of` model.safetensors and classifier.safetensors as loaded (nil for a
    /// model built in memory).
    public let weightsFingerprint: String?
    public let classifierFingerprint: String?
    /// The embedding table's 2-D PCA (a 16x16 eigenproblem, computed once here).
    public let projection: EmbeddingProjection?

    public var config: ModelConfig { denoiser.config }

    public init(name: String, denoiser: Denoiser, vocabulary: Vocabulary, classifier: Classifier? = nil,
                weightsFingerprint: String? = nil, classifierFingerprint: String? = nil) {
        self.name = name; self.denoiser = denoiser; self.vocabulary = vocabulary; self.classifier = classifier
        self.weightsFingerprint = weightsFingerprint; self.classifierFingerprint = classifierFingerprint
        let c = denoiser.config
        let table = Array(UnsafeBufferPointer(
            start: denoiser.params.values.pointer + denoiser.embeddingOffset, count: c.vocabSize * c.embeddingDim))
        projection = EmbeddingProjection(table: table, vocabularySize: c.vocabSize, dim: c.embeddingDim)
    }

    /// Loads a model folder (classifier included when `classifier.safetensors` is there).
    public static func load(path: String) throws -> DiffusionModel {
        let folder = ModelFolder(path: path)
        let (denoiser, vocab) = try folder.loadDenoiser()
        let classifier = try folder.loadClassifierIfPresent(denoiser: denoiser)
        let name = (URL(fileURLWithPath: path).standardized.lastPathComponent)
        return DiffusionModel(name: name, denoiser: denoiser, vocabulary: vocab, classifier: classifier,
                              weightsFingerprint: Fingerprint.ofFile(folder.file(ModelFolder.weightsFile)),
                              classifierFingerprint: classifier == nil ? nil : Fingerprint.ofFile(folder.file(ModelFolder.classifierFile)))
    }

    public var summary: ModelSummary {
        var summary = ModelSummary(name: name, parameterCount: denoiser.parameterCount, vocabularySize: vocabulary.count,
                     sequenceLength: config.sequenceLength, diffusionSteps: config.diffusionSteps,
                     fields: classifier?.fields.map { f in
                         (f.name, f.values.filter { writable(ControlTarget(field: f.name, value: $0)) })
                     } ?? [],
                     weightsFingerprint: weightsFingerprint, classifierFingerprint: classifierFingerprint,
                     projection: projection, words: vocabulary.words)
        summary.selfConditioned = config.selfConditioning
        summary.kind = config.modelKind
        return summary
    }

    /// Whether this model's vocabulary has every word the text of `target` needs
    /// (`ControlSets.missingWords`): the playground's menu and `eval` offer only such values.
    public func writable(_ target: ControlTarget) -> Bool {
        ControlSets.missingWords(of: target, vocabulary: vocabulary).isEmpty
    }

    /// The clean embedding of one word.
    public func embedding(of id: Int32) -> UnsafePointer<Float> {
        UnsafePointer(denoiser.params.values.pointer + denoiser.embeddingOffset + Int(id) * config.embeddingDim)
    }
}
