import Foundation

/// The attribute classifier on noisy latents (docs/DESIGN.md, "The method"): a small time-conditioned
/// transformer over x_t in the frozen embedding space of its denoiser, mean-pooled, with one
/// softmax head per E2E field over that field's values plus "none".
///
///   trunk   TransformerBody over x_t [B, L, D] -> [B, L, H]
///   pooled  [B, H] = mean over positions
///   logits  per field f: [B, V_f + 1] = pooled W_f + b_f   (last class: "none")
public final class Classifier: @unchecked Sendable {
    public struct Field: Codable, Sendable, Equatable {
        public var name: String
        public var values: [String]
        /// Classes of this field's head: the values, then "none".
        public var classCount: Int { values.count + 1 }
    }

    /// Architecture, stored in the safetensors metadata.
    public struct Config: Codable, Sendable, Equatable {
        public var hiddenSize = 64
        public var layers = 2
        public var heads = 4
        public var ffnSize = 256
        public var fields: [Field]
        /// Held-out accuracy per field and noise level, filled in by training.
        public var accuracy: [String: [String: Double]]?
        public init(fields: [Field]) { self.fields = fields }
    }

    public let config: Config
    public let sequenceLength: Int
    public let embeddingDim: Int
    public let diffusionSteps: Int
    public let params: ParameterSet
    public let body: TransformerBody
    let headWeights: [Int], headBiases: [Int]
    /// Offset of each field's first logit in a row of all fields' logits.
    public let logitOffsets: [Int]
    public let totalClasses: Int

    public var fields: [Field] { config.fields }

    static func shape(_ c: Config, length: Int, dim: Int) -> TransformerBody.Shape {
        .init(inputDim: dim, length: length, hidden: c.hiddenSize, layers: c.layers, heads: c.heads, ffn: c.ffnSize)
    }

    public static func layout(_ c: Config, length: Int, dim: Int) -> [(String, [Int])] {
        TransformerBody.layout(shape(c, length: length, dim: dim), prefix: "trunk.")
            + c.fields.flatMap { f in [("head.\(f.name).w", [c.hiddenSize, f.classCount]), ("head.\(f.name).b", [f.classCount])] }
    }

    public init(config: Config, sequenceLength: Int, embeddingDim: Int, diffusionSteps: Int) {
        self.config = config
        self.sequenceLength = sequenceLength
        self.embeddingDim = embeddingDim
        self.diffusionSteps = diffusionSteps
        let p = ParameterSet(layout: Self.layout(config, length: sequenceLength, dim: embeddingDim))
        params = p
        body = TransformerBody(shape: Self.shape(config, length: sequenceLength, dim: embeddingDim), params: p,
                               prefix: "trunk.", diffusionSteps: diffusionSteps)
        headWeights = config.fields.map { p.offset("head.\($0.name).w") }
        headBiases = config.fields.map { p.offset("head.\($0.name).b") }
        var offsets = [Int](), total = 0
        for f in config.fields { offsets.append(total); total += f.classCount }
        logitOffsets = offsets
        totalClasses = total
    }

    public func fieldIndex(_ name: String) -> Int? { config.fields.firstIndex { $0.name == name } }

    /// Buffers for up to `batch` sequences.
    public final class Workspace {
        public let batch: Int
        let trunk: TransformerBody.Activations
        let pooled, dPooled, dTrunk: FloatBuffer
        /// [B, totalClasses]: probabilities after `forward`.
        public let probabilities: FloatBuffer
        /// [B, totalClasses]: gradient of the loss w.r.t. the logits, filled by the caller.
        public let dLogits: FloatBuffer
        /// Weight gradients land here (training reads them; guidance ignores them).
        public let grads: FloatBuffer

        public init(classifier c: Classifier, batch: Int) {
            self.batch = batch
            let h = c.config.hiddenSize
            trunk = .init(shape: c.body.shape, batch: batch)
            pooled = FloatBuffer(count: batch * h); dPooled = FloatBuffer(count: batch * h)
            dTrunk = FloatBuffer(count: batch * c.sequenceLength * h)
            probabilities = FloatBuffer(count: batch * c.totalClasses)
            dLogits = FloatBuffer(count: batch * c.totalClasses)
            grads = c.params.makeSibling()
        }
    }

    /// Class probabilities of every field for x [B, L, D] at time indices `timesteps`.
    public func forward(x: UnsafePointer<Float>, timesteps: UnsafePointer<Int32>, batch: Int, workspace ws: Workspace) {
        let w = UnsafePointer(params.values.pointer), h = config.hiddenSize, l = sequenceLength
        body.forward(params: w, x: x, timesteps: timesteps, batch: batch, acts: ws.trunk)
        let out = ws.trunk.output.pointer, pooled = ws.pooled.pointer
        pooled.update(repeating: 0, count: batch * h)
        let inv = 1 / Float(l)
        for b in 0..<batch {
            for p in 0..<l {
                let row = out + (b * l + p) * h
                for j in 0..<h { pooled[b * h + j] += row[j] * inv }
            }
        }
        let probs = ws.probabilities.pointer, total = totalClasses
        for (k, f) in config.fields.enumerated() {
            let n = f.classCount
            for b in 0..<batch {
                let dst = probs + b * total + logitOffsets[k]
                dst.update(from: w + headBiases[k], count: n)
                BLAS.gemm(m: 1, n: n, k: h, a: pooled + b * h, lda: h, b: w + headWeights[k], ldb: n, beta: 1, c: dst, ldc: n)
                Softmax.forward(out: dst, inp: dst, rows: 1, columns: n)
            }
        }
    }

    /// Back-propagates `ws.dLogits` (gradient w.r.t. every field's logits) after `forward`:
    /// weight gradients into `ws.grads` (zeroed here first; skipped for guidance), the input
    /// gradient into `dx`. `transposed` (`params.transposedMatrices()`) speeds up the input
    /// gradient when the weights are not changing (guidance).
    public func backward(x: UnsafePointer<Float>, batch: Int, workspace ws: Workspace, dx: UnsafeMutablePointer<Float>?,
                         weightGradients: Bool = true, transposed: UnsafePointer<Float>? = nil) {
        let w = UnsafePointer(params.values.pointer), g = ws.grads.pointer, h = config.hiddenSize, l = sequenceLength
        // Guidance wants dx only: zeroing 120k weight gradients per pass would be wasted work.
        if weightGradients { ws.grads.zero() }
        let dPooled = ws.dPooled.pointer, dl = ws.dLogits.pointer, total = totalClasses
        dPooled.update(repeating: 0, count: batch * h)
        for (k, f) in config.fields.enumerated() {
            let n = f.classCount
            for b in 0..<batch {
                let src = dl + b * total + logitOffsets[k]
                Linear.backward(dinp: dPooled + b * h, dweight: weightGradients ? g + headWeights[k] : nil,
                                dbias: weightGradients ? g + headBiases[k] : nil, dout: src,
                                inp: ws.pooled.pointer + b * h, weight: w + headWeights[k],
                                weightT: transposed.map { $0 + headWeights[k] }, rows: 1, inDim: h, outDim: n)
            }
        }
        let dTrunk = ws.dTrunk.pointer, inv = 1 / Float(l)
        for b in 0..<batch {
            for p in 0..<l {
                let row = dTrunk + (b * l + p) * h
                for j in 0..<h { row[j] = dPooled[b * h + j] * inv }
            }
        }
        body.backward(params: w, grads: g, dOutput: dTrunk, x: x, batch: batch, acts: ws.trunk, dx: dx,
                      weightGradients: weightGradients, transposed: transposed)
    }

    /// Probability of class `c` of field `k` for sequence b after `forward`.
    public func probability(field k: Int, classIndex c: Int, sequence b: Int, workspace ws: Workspace) -> Float {
        ws.probabilities[b * totalClasses + logitOffsets[k] + c]
    }
}
