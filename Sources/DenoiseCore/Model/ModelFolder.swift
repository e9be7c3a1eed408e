import Foundation

/// A model on disk (docs/DESIGN.md, "Files on disk"): config.json, vocab.json, model.safetensors (EMA weights of
/// the denoiser with its embedding and head bias), optionally classifier.safetensors, and the
/// model card README.md. Loading checks every file against the config and names the file at
/// fault.
public struct ModelFolder {
    public static let configFile = "config.json"
    public static let vocabFile = "vocab.json"
    public static let weightsFile = "model.safetensors"
    public static let classifierFile = "classifier.safetensors"

    public let path: String
    public init(path: String) { self.path = path }

    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    func read(_ name: String) throws -> Data {
        let p = file(name)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else {
            throw DenoiseError.file(path, "no such model folder (a model folder holds config.json, vocab.json and model.safetensors)")
        }
        guard let data = FileManager.default.contents(atPath: p) else {
            throw DenoiseError.file(p, FileManager.default.fileExists(atPath: p) ? "cannot be read" : "missing from the model folder")
        }
        return data
    }

    public func loadConfig() throws -> ModelConfig {
        let data = try JSONText.checked(try read(Self.configFile), file: file(Self.configFile))
        let config: ModelConfig
        do { config = try JSONDecoder().decode(ModelConfig.self, from: data) } catch {
            throw DenoiseError.corrupt(file: file(Self.configFile), "not a valid model config (\(Self.describe(error)))")
        }
        try config.validate(file: file(Self.configFile))
        return config
    }

    public func loadVocabulary(config: ModelConfig) throws -> Vocabulary {
        let vocab = try Vocabulary.fromJSON(try read(Self.vocabFile), file: file(Self.vocabFile))
        guard vocab.count == config.vocabSize else {
            throw DenoiseError.corrupt(file: file(Self.vocabFile),
                                       "has \(vocab.count) words but config.json says vocabSize \(config.vocabSize)")
        }
        return vocab
    }

    /// Loads the denoiser with its vocabulary.
    public func loadDenoiser() throws -> (Denoiser, Vocabulary) {
        let config = try loadConfig()
        let vocab = try loadVocabulary(config: config)
        // Check every tensor against the architecture before allocating it, so a config with
        // huge (but individually valid) sizes is an error naming the tensor, not an allocation failure.
        let tensors = try Self.checkedTensors(try read(Self.weightsFile), layout: Denoiser.layout(config), file: file(Self.weightsFile))
        let model = Denoiser(config: config)
        Self.copy(tensors, into: model.params)
        return (model, vocab)
    }

    /// Loads the denoiser to train it further (`train --init-from`): only architectures Denoise
    /// can train are accepted.
    public func loadTrainableDenoiser() throws -> (Denoiser, Vocabulary) {
        let (model, vocab) = try loadDenoiser()
        guard model.isTrainable else {
            throw DenoiseError.invalid("\(path) holds a \(model.config.architectureKind.rawValue) model (converted from the "
                                       + "reference implementation): Denoise runs it but cannot train it; train it with the reference code")
        }
        return (model, vocab)
    }

    /// Decodes a safetensors file and checks it holds exactly the tensors of `layout`, with
    /// the right shapes and finite values.
    static func checkedTensors(_ data: Data, layout: [(String, [Int])], file: String) throws -> [String: Safetensors.Tensor] {
        let (tensors, _) = try Safetensors.decode(data, file: file)
        for (name, shape) in layout {
            guard let t = tensors[name] else {
                throw DenoiseError.corrupt(file: file, "tensor \"\(name)\" is missing")
            }
            guard t.shape == shape else {
                throw DenoiseError.corrupt(file: file, "tensor \"\(name)\" has shape \(t.shape) but config.json implies \(shape)")
            }
            guard t.values.allSatisfy({ $0.isFinite }) else {
                throw DenoiseError.corrupt(file: file, "tensor \"\(name)\" holds NaN or infinite values")
            }
        }
        let extra = Set(tensors.keys).subtracting(layout.map(\.0))
        if let name = extra.sorted().first {
            throw DenoiseError.corrupt(file: file, "unexpected tensor \"\(name)\" (not part of this architecture)")
        }
        return tensors
    }

    /// Copies checked tensors into the parameter buffer.
    static func copy(_ tensors: [String: Safetensors.Tensor], into params: ParameterSet) {
        for spec in params.specs {
            guard let t = tensors[spec.name] else { continue }
            t.values.withUnsafeBufferPointer { (params.values.pointer + spec.offset).update(from: $0.baseAddress!, count: t.values.count) }
        }
    }

    static func encode(_ params: ParameterSet, values: FloatBuffer, metadata: [String: String] = [:]) throws -> Data {
        try Safetensors.encode(params.specs.map { s in
            (s.name, s.shape, UnsafeBufferPointer(start: values.pointer + s.offset, count: s.count))
        }, metadata: metadata)
    }

    /// Writes config, vocabulary and weights (each file atomically). `weights` has the layout of
    /// `model.params` (pass the EMA buffer to save the averaged weights).
    public func save(model: Denoiser, weights: FloatBuffer, vocabulary: Vocabulary, config: ModelConfig) throws {
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch { throw DenoiseError.file(path, "cannot create the model folder (is the parent folder missing or not writable?)") }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try Self.encode(model.params, values: weights), to: file(Self.weightsFile))
        try AtomicFile.write(try vocabulary.toJSON(), to: file(Self.vocabFile))
        try AtomicFile.write(try encoder.encode(config), to: file(Self.configFile))
    }

    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "missing key \"\(key.stringValue)\""
        case DecodingError.typeMismatch(_, let ctx), DecodingError.valueNotFound(_, let ctx):
            return "wrong type at \"\(ctx.codingPath.map(\.stringValue).joined(separator: "."))\""
        case DecodingError.dataCorrupted: return "malformed JSON"
        default: return "\(error)"
        }
    }
}
