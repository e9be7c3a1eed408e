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

extension Denoiser {
    /// Checks token ids read from a file (whole numbers in 0..<V, shape [L] or [B, L]) and
    /// returns them with the batch size.
    public func tokenBatch(shape: [Int], values: [Float], file: String) throws -> (ids: [Int32], batch: Int) {
        let c = config, expected = "[\(c.sequenceLength)] or [B, \(c.sequenceLength)]"
        guard (shape.count == 1 || shape.count == 2), shape.last == c.sequenceLength else {
            throw DenoiseError.corrupt(file: file, "token shape \(shape) does not fit this model (accepted: \(expected))")
        }
        let batch = shape.count == 2 ? shape[0] : 1
        guard batch >= 1 && batch <= 4096 else { throw DenoiseError.corrupt(file: file, "batch \(batch) must be in 1...4096") }
        var ids = [Int32]()
        ids.reserveCapacity(values.count)
        for v in values {
            guard v.isFinite, v == v.rounded(), v >= 0, v < Float(c.vocabSize) else {
                throw DenoiseError.corrupt(file: file, "token \(v) is not a word id (accepted: whole numbers 0...\(c.vocabSize - 1))")
            }
            ids.append(Int32(v))
        }
        return (ids, batch)
    }

    /// A discrete model's one call: the tied head's logits [B, L, V] for tokens [B, L] at time
    /// index `timestep` (MASK's own logit included as computed; sampling never picks it).
    public func predictLogits(tokens: [Int32], batch: Int, timestep: Int) -> [Float] {
        let c = config, n = batch * c.sequenceLength, d = c.embeddingDim, v = c.vocabSize
        precondition(tokens.count == n, "expected \(n) tokens, got \(tokens.count)")
        let ws = Workspace(config: c, batch: batch)
        let x = FloatBuffer(count: n * d)
        let w = UnsafePointer(params.values.pointer)
        tokens.withUnsafeBufferPointer { Embedding.forward(out: x.pointer, table: w + embeddingOffset, ids: $0.baseAddress!, count: n, width: d) }
        let timesteps = [Int32](repeating: Int32(timestep), count: batch)
        timesteps.withUnsafeBufferPointer { forward(weights: w, x: x.pointer, timesteps: $0.baseAddress!, batch: batch, workspace: ws) }
        var logits = [Float](repeating: 0, count: n * v)
        logits.withUnsafeMutableBufferPointer { lg in
            for r in 0..<n { (lg.baseAddress! + r * v).update(from: w + headBiasOffset, count: v) }
            BLAS.gemm(transB: true, m: n, n: v, k: d, a: ws.output.pointer, lda: d, b: w + embeddingOffset, ldb: d, beta: 1,
                      c: lg.baseAddress!, ldc: v)
        }
        return logits
    }
}
