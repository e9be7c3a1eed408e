import Foundation

extension ModelFolder {
    /// Loads `classifier.safetensors` when the folder has one; its shapes must agree with the
    /// denoiser's sequence length and embedding width.
    public func loadClassifierIfPresent(denoiser: Denoiser) throws -> Classifier? {
        let path = file(Self.classifierFile)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else { throw DenoiseError.file(path, "cannot be read") }
        let (_, metadata) = try Safetensors.decode(data, file: path)
        guard let json = metadata["denoise.classifier"], JSONText.problem(Data(json.utf8)) == nil,
              let config = try? JSONDecoder().decode(Classifier.Config.self, from: Data(json.utf8)) else {
            throw DenoiseError.corrupt(file: path, "classifier metadata (field/value table) missing or malformed")
        }
        guard config.hiddenSize > 0, config.hiddenSize % 2 == 0, config.hiddenSize <= 4096, config.layers > 0, config.layers <= 32,
              config.heads > 0, config.hiddenSize % config.heads == 0, config.ffnSize > 0, config.ffnSize <= 65536,
              !config.fields.isEmpty else {
            throw DenoiseError.corrupt(file: path, "classifier architecture in the metadata is not valid")
        }
        let c = denoiser.config
        let tensors = try Self.checkedTensors(data, layout: Classifier.layout(config, length: c.sequenceLength, dim: c.embeddingDim), file: path)
        let classifier = Classifier(config: config, sequenceLength: c.sequenceLength, embeddingDim: c.embeddingDim,
                                    diffusionSteps: c.diffusionSteps)
        Self.copy(tensors, into: classifier.params)
        return classifier
    }

    public func saveClassifier(_ classifier: Classifier) throws {
        let json = String(decoding: try JSONEncoder().encode(classifier.config), as: UTF8.self)
        try AtomicFile.write(try Self.encode(classifier.params, values: classifier.params.values,
                                             metadata: ["denoise.classifier": json]),
                             to: file(Self.classifierFile))
    }
}
