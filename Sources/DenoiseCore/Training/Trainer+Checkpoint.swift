import Foundation

/// Resume state: everything needed to continue a run bit for bit (weights, EMA, Adam moments,
/// iteration, random state, options), in one safetensors file written atomically.
extension Trainer {
    public static let stateFile = "train-state.safetensors"

    struct ResumeMetadata: Codable {
        var iteration: Int
        var adamUpdates: Int
        var rng: RandomSource
        var options: TrainOptions
        var config: ModelConfig
    }

    public func saveState(to path: String) throws {
        let meta = ResumeMetadata(iteration: iteration, adamUpdates: optimizer.updates, rng: rng, options: options,
                                  config: model.config)
        let json = String(decoding: try JSONEncoder().encode(meta), as: UTF8.self)
        func flat(_ name: String, _ b: FloatBuffer) -> (name: String, shape: [Int], values: UnsafeBufferPointer<Float>) {
            (name, [b.count], UnsafeBufferPointer(start: b.pointer, count: b.count))
        }
        let data = try Safetensors.encode([
            flat("params", model.params.values), flat("ema", ema), flat("adam.m", optimizer.m), flat("adam.v", optimizer.v),
        ], metadata: ["denoise.resume": json])
        try AtomicFile.write(data, to: path)
    }

    /// Reads a resume file: its tensors and its metadata.
    static func readState(at path: String) throws -> ([String: Safetensors.Tensor], ResumeMetadata) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DenoiseError.file(path, "no resume state here (run without --resume to start afresh)")
        }
        let (tensors, metadata) = try Safetensors.decode(data, file: path)
        guard let json = metadata["denoise.resume"], JSONText.problem(Data(json.utf8)) == nil,
              let meta = try? JSONDecoder().decode(ResumeMetadata.self, from: Data(json.utf8)) else {
            throw DenoiseError.corrupt(file: path, "resume metadata missing or malformed")
        }
        return (tensors, meta)
    }

    /// Restores a state written by `saveState`. The model's config must match the saved one.
    public func loadState(from path: String) throws {
        let (tensors, meta) = try Self.readState(at: path)
        guard meta.config.vocabSize == model.config.vocabSize, meta.config.sequenceLength == model.config.sequenceLength,
              meta.config.hiddenSize == model.config.hiddenSize, meta.config.layers == model.config.layers else {
            throw DenoiseError.corrupt(file: path, "was saved for a different architecture")
        }
        for (name, buffer) in [("params", model.params.values), ("ema", ema), ("adam.m", optimizer.m), ("adam.v", optimizer.v)] {
            guard let t = tensors[name], t.values.count == buffer.count else {
                throw DenoiseError.corrupt(file: path, "tensor \"\(name)\" is missing or has the wrong size")
            }
            t.values.withUnsafeBufferPointer { buffer.pointer.update(from: $0.baseAddress!, count: buffer.count) }
        }
        iteration = meta.iteration
        optimizer.updates = meta.adamUpdates
        rng = meta.rng
    }

    /// The options a state file was saved with (to continue with the same schedule).
    public static func savedOptions(at path: String) throws -> TrainOptions {
        try readState(at: path).1.options
    }
}
