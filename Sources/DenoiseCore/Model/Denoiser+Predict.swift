import Foundation

extension Denoiser {
    /// The batch size a latent array of `shape` ([L, D] or [B, L, D]) holds for this model, or
    /// an error naming what was expected.
    public func latentBatch(shape: [Int], file: String) throws -> Int {
        let c = config, expected = "[\(c.sequenceLength), \(c.embeddingDim)] or [B, \(c.sequenceLength), \(c.embeddingDim)]"
        let tail = Array(shape.suffix(2))
        guard (shape.count == 2 || shape.count == 3), tail == [c.sequenceLength, c.embeddingDim] else {
            throw DenoiseError.corrupt(file: file, "latent shape \(shape) does not fit this model (accepted: \(expected))")
        }
        let batch = shape.count == 3 ? shape[0] : 1
        guard batch >= 1 && batch <= 4096 else {
            throw DenoiseError.corrupt(file: file, "batch \(batch) must be in 1...4096")
        }
        return batch
    }

    /// x0-hat for `batch` latents [B, L, D] (C order) at diffusion step `timestep`, the model's
    /// own index in 0..<T (before any rescaling the architecture applies), with the loaded weights.
    /// `previous` (same shape) is the previous prediction a self-conditioned model reads (nil: zeros).
    public func predict(latents: [Float], batch: Int, timestep: Int, previous: [Float]? = nil) -> [Float] {
        let c = config, count = batch * c.sequenceLength * c.embeddingDim
        precondition(latents.count == count, "expected \(count) latent values, got \(latents.count)")
        precondition((0..<c.diffusionSteps).contains(timestep), "timestep \(timestep) outside 0..<\(c.diffusionSteps)")
        precondition(previous == nil || previous!.count == count, "expected \(count) previous-prediction values")
        let ws = Workspace(config: c, batch: batch)
        let timesteps = [Int32](repeating: Int32(timestep), count: batch)
        func run(_ selfCondition: UnsafePointer<Float>?) {
            latents.withUnsafeBufferPointer { x in
                timesteps.withUnsafeBufferPointer { t in
                    forward(weights: params.values.pointer, x: x.baseAddress!, timesteps: t.baseAddress!, batch: batch,
                            workspace: ws, selfCondition: selfCondition)
                }
            }
        }
        if let previous { previous.withUnsafeBufferPointer { run($0.baseAddress) } } else { run(nil) }
        return Array(UnsafeBufferPointer(start: ws.output.pointer, count: count))
    }
}
