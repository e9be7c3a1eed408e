import Foundation

/// The attribute classifier on noisy latents (docs/DESIGN.md, "The method"): a small time-conditioned
/// transformer over x_t in the frozen embedding space of its denoiser, pooled over positions,
/// with one softmax head per E2E field over that field's values plus "none".
///
///   trunk   TransformerBody over x_t [B, L, D] -> [B, L, H]
///   pooled  per field f: [B, H] = mean over positions (`.mean`), or with `.attention`
///           sum_p a_fp h_p, a_f = softmax_p(h_p . q_f / sqrt(H)) with a learned query q_f
///   logits  per field f: [B, V_f + 1] = pooled_f W_f + b_f   (last class: "none")
///   tags    with a tagger (`Config.spanLengths`), per position p and tagged field f: a softmax
///           over "outside" and "word j of value v" (Classifier+Tagger.swift)
///
/// `@unchecked Sendable`: no lock guards it, because nothing writes it once it is shared. Every
/// stored property is a `let`; the weights behind `params` are written only while the
/// classifier is built, loaded or trained (`ClassifierTrainer`, on the one thread that trains
/// it), before any other thread sees it. Forward and backward passes read the weights and write
/// only the caller's `Workspace`, so one classifier serves the engine's queue and the sampler's
/// worker threads at once, each with a workspace of its own.
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
        /// How positions are pooled; files written before attention pooling lack the key and
        /// read as `.mean`.
        public var pooling: Pooling = .mean
        /// Per field, per value: how many words of the value's mention the tagger marks (0: the
        /// value is judged by the sentence head only). Absent: no tagger (files written before it).
        public var spanLengths: [[Int]]?
        public init(fields: [Field]) { self.fields = fields }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case hiddenSize, layers, heads, ffnSize, fields, accuracy, pooling, spanLengths
        }

        /// The sizes and fields are required; `pooling` (mean when absent), `accuracy` and
        /// `spanLengths` may be absent. Encoding is the synthesized one.
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
            layers = try c.decode(Int.self, forKey: .layers)
            heads = try c.decode(Int.self, forKey: .heads)
            ffnSize = try c.decode(Int.self, forKey: .ffnSize)
            fields = try c.decode([Field].self, forKey: .fields)
            accuracy = try c.decodeIfPresent([String: [String: Double]].self, forKey: .accuracy)
            pooling = try c.decodeIfPresent(Pooling.self, forKey: .pooling) ?? .mean
            spanLengths = try c.decodeIfPresent([[Int]].self, forKey: .spanLengths)
        }
    }

    /// How the trunk's per-position outputs become one vector per field.
    public enum Pooling: String, Codable, Sendable, CaseIterable {
        /// The mean over positions, shared by every field: the parts of a multi-word value
        /// anywhere in the sentence add up as if they stood together.
        case mean
        /// Per field, a softmax over positions of h_p . q_f (learned query q_f): each field can
        /// look at where its value stands instead of averaging it with everything else.
        case attention
    }

    public let config: Config
    public let sequenceLength: Int
    public let embeddingDim: Int
    public let diffusionSteps: Int
    public let params: ParameterSet
    public let body: TransformerBody
    let headWeights: [Int], headBiases: [Int]
    /// Offsets of the per-field queries (attention pooling only).
    let queries: [Int]
    /// Offset of each field's first logit in a row of all fields' logits.
    public let logitOffsets: [Int]
    public let totalClasses: Int
    /// Where every field's tags sit in a position's row of tag logits.
    public let tags: TagLayout
    /// Offsets of the tag head's weights and bias (tagger only; 0 otherwise).
    let tagWeight: Int, tagBias: Int

    public var fields: [Field] { config.fields }

    static func shape(_ c: Config, length: Int, dim: Int) -> TransformerBody.Shape {
        .init(inputDim: dim, length: length, hidden: c.hiddenSize, layers: c.layers, heads: c.heads, ffn: c.ffnSize)
    }

    public static func layout(_ c: Config, length: Int, dim: Int) -> [(String, [Int])] {
        let tags = TagLayout(c).total
        return TransformerBody.layout(shape(c, length: length, dim: dim), prefix: "trunk.")
            + (c.pooling == .attention ? c.fields.map { ("pool.\($0.name).q", [c.hiddenSize]) } : [])
            + c.fields.flatMap { f in [("head.\(f.name).w", [c.hiddenSize, f.classCount]), ("head.\(f.name).b", [f.classCount])] }
            + (tags > 0 ? [("tag.w", [c.hiddenSize, tags]), ("tag.b", [tags])] : [])
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
        queries = config.pooling == .attention ? config.fields.map { p.offset("pool.\($0.name).q") } : []
        var offsets = [Int](), total = 0
        for f in config.fields { offsets.append(total); total += f.classCount }
        logitOffsets = offsets
        totalClasses = total
        tags = TagLayout(config)
        tagWeight = tags.total > 0 ? p.offset("tag.w") : 0
        tagBias = tags.total > 0 ? p.offset("tag.b") : 0
    }

    public func fieldIndex(_ name: String) -> Int? { config.fields.firstIndex { $0.name == name } }

    /// Buffers for up to `batch` sequences.
    public final class Workspace {
        public let batch: Int
        let trunk: TransformerBody.Activations
        /// [B, F, H] pooled vector per field (mean pooling fills field 0 only and shares it).
        let pooled, dPooled, dTrunk: FloatBuffer
        /// [B, F, L] attention weights over positions (attention pooling).
        let attention: FloatBuffer
        /// L floats of scratch for attention pooling's backward.
        let attentionScratch: UnsafeMutablePointer<Float>
        /// [B, totalClasses]: probabilities after `forward`.
        public let probabilities: FloatBuffer
        /// [B, totalClasses]: gradient of the loss w.r.t. the logits, filled by the caller.
        public let dLogits: FloatBuffer
        /// [B, L, tags.total]: per position, each tagged field's tag probabilities after `forward`.
        public let tagProbabilities: FloatBuffer
        /// [B, L, tags.total]: gradient of the loss w.r.t. the tag logits, filled by the caller.
        public let dTagLogits: FloatBuffer
        /// Weight gradients land here (training reads them; guidance ignores them).
        public let grads: FloatBuffer

        public init(classifier c: Classifier, batch: Int) {
            self.batch = batch
            let h = c.config.hiddenSize
            trunk = .init(shape: c.body.shape, batch: batch)
            let f = c.fields.count
            pooled = FloatBuffer(count: batch * f * h); dPooled = FloatBuffer(count: batch * f * h)
            attention = FloatBuffer(count: c.config.pooling == .attention ? batch * f * c.sequenceLength : 1)
            attentionScratch = .allocate(capacity: c.sequenceLength)
            attentionScratch.initialize(repeating: 0, count: c.sequenceLength)
            dTrunk = FloatBuffer(count: batch * c.sequenceLength * h)
            probabilities = FloatBuffer(count: batch * c.totalClasses)
            dLogits = FloatBuffer(count: batch * c.totalClasses)
            tagProbabilities = FloatBuffer(count: max(1, batch * c.sequenceLength * c.tags.total))
            dTagLogits = FloatBuffer(count: max(1, batch * c.sequenceLength * c.tags.total))
            grads = c.params.makeSibling()
        }

        deinit { attentionScratch.deallocate() }
    }

    /// Class probabilities of every field for x [B, L, D] at time indices `timesteps`.
    public func forward(x: UnsafePointer<Float>, timesteps: UnsafePointer<Int32>, batch: Int, workspace ws: Workspace) {
        let w = UnsafePointer(params.values.pointer), h = config.hiddenSize, l = sequenceLength
        body.forward(params: w, x: x, timesteps: timesteps, batch: batch, acts: ws.trunk)
        let out = UnsafePointer(ws.trunk.output.pointer), pooled = ws.pooled.pointer, nf = config.fields.count
        pooled.update(repeating: 0, count: batch * nf * h)
        if config.pooling == .attention {
            let scale = 1 / Float(h).squareRoot(), a = ws.attention.pointer
            for b in 0..<batch {
                for k in 0..<nf {
                    let weights = a + (b * nf + k) * l, q = w + queries[k], dst = pooled + (b * nf + k) * h
                    BLAS.gemm(transB: true, m: 1, n: l, k: h, alpha: scale, a: q, lda: h, b: out + b * l * h, ldb: h,
                              beta: 0, c: weights, ldc: l)
                    Softmax.forward(out: weights, inp: weights, rows: 1, columns: l)
                    BLAS.gemm(m: 1, n: h, k: l, a: weights, lda: l, b: out + b * l * h, ldb: h, beta: 0, c: dst, ldc: h)
                }
            }
        } else {
            let inv = 1 / Float(l)
            for b in 0..<batch {
                for p in 0..<l {
                    let row = out + (b * l + p) * h
                    for j in 0..<h { pooled[b * nf * h + j] += row[j] * inv }
                }
            }
        }
        let probs = ws.probabilities.pointer, total = totalClasses
        for (k, f) in config.fields.enumerated() {
            let n = f.classCount
            for b in 0..<batch {
                let dst = probs + b * total + logitOffsets[k]
                dst.update(from: w + headBiases[k], count: n)
                BLAS.gemm(m: 1, n: n, k: h, a: pooled + pooledRow(b, k) * h, lda: h, b: w + headWeights[k], ldb: n, beta: 1, c: dst, ldc: n)
                Softmax.forward(out: dst, inp: dst, rows: 1, columns: n)
            }
        }
        if tags.total > 0 { forwardTags(batch: batch, workspace: ws) }
    }

    /// Back-propagates `ws.dLogits` (gradient w.r.t. every field's logits) and, with a tagger,
    /// `ws.dTagLogits` after `forward`:
    /// weight gradients into `ws.grads` (zeroed here first; skipped for guidance), the input
    /// gradient into `dx`. `transposed` (`params.transposedMatrices()`) speeds up the input
    /// gradient when the weights are not changing (guidance).
    public func backward(x: UnsafePointer<Float>, batch: Int, workspace ws: Workspace, dx: UnsafeMutablePointer<Float>?,
                         weightGradients: Bool = true, transposed: UnsafePointer<Float>? = nil) {
        let w = UnsafePointer(params.values.pointer), g = ws.grads.pointer, h = config.hiddenSize, l = sequenceLength
        // Guidance wants dx only: zeroing 120k weight gradients per pass would be wasted work.
        if weightGradients { ws.grads.zero() }
        let dPooled = ws.dPooled.pointer, dl = ws.dLogits.pointer, total = totalClasses
        let nf = config.fields.count
        dPooled.update(repeating: 0, count: batch * nf * h)
        for (k, f) in config.fields.enumerated() {
            let n = f.classCount
            for b in 0..<batch {
                let src = dl + b * total + logitOffsets[k]
                Linear.backward(dinp: dPooled + pooledRow(b, k) * h, dweight: weightGradients ? g + headWeights[k] : nil,
                                dbias: weightGradients ? g + headBiases[k] : nil, dout: src,
                                inp: ws.pooled.pointer + pooledRow(b, k) * h, weight: w + headWeights[k],
                                weightT: transposed.map { $0 + headWeights[k] }, rows: 1, inDim: h, outDim: n)
            }
        }
        let dTrunk = ws.dTrunk.pointer
        if config.pooling == .attention {
            backwardAttention(batch: batch, workspace: ws, weightGradients: weightGradients)
        } else {
            let inv = 1 / Float(l)
            for b in 0..<batch {
                for p in 0..<l {
                    let row = dTrunk + (b * l + p) * h
                    for j in 0..<h { row[j] = dPooled[b * nf * h + j] * inv }
                }
            }
        }
        if tags.total > 0 { backwardTags(batch: batch, workspace: ws, weightGradients: weightGradients, transposed: transposed) }
        body.backward(params: w, grads: g, dOutput: dTrunk, x: x, batch: batch, acts: ws.trunk, dx: dx,
                      weightGradients: weightGradients, transposed: transposed)
    }

    /// Row of field k's pooled vector of sequence b in the [B, F, H] buffers: mean pooling
    /// shares one vector (row b * F) among all fields.
    @inline(__always) func pooledRow(_ b: Int, _ k: Int) -> Int {
        config.pooling == .attention ? b * config.fields.count + k : b * config.fields.count
    }

    /// Attention pooling's backward: from `ws.dPooled` into `ws.dTrunk` (overwritten) and, with
    /// `weightGradients`, into the queries' gradients.
    ///   d h_p  = sum_f a_fp dpooled_f + ds_fp q_f / sqrt(H)
    ///   ds_fp  = a_fp (h_p . dpooled_f - sum_p' a_fp' h_p' . dpooled_f)
    ///   d q_f  = sum_p ds_fp h_p / sqrt(H)
    func backwardAttention(batch: Int, workspace ws: Workspace, weightGradients: Bool) {
        let w = UnsafePointer(params.values.pointer), g = ws.grads.pointer, h = config.hiddenSize, l = sequenceLength
        let nf = config.fields.count, scale = 1 / Float(h).squareRoot()
        let out = UnsafePointer(ws.trunk.output.pointer), dTrunk = ws.dTrunk.pointer, a = ws.attention.pointer
        let dPooled = UnsafePointer(ws.dPooled.pointer)
        dTrunk.update(repeating: 0, count: batch * l * h)
        // One row of L scratch values per field, reused: ds overwrites da in place.
        let ds = ws.attentionScratch
        for b in 0..<batch {
            let hb = out + b * l * h, dhb = dTrunk + b * l * h
            for k in 0..<nf {
                let weights = UnsafePointer(a + (b * nf + k) * l), dp = dPooled + (b * nf + k) * h
                // da_p = h_p . dpooled (L x H times H).
                BLAS.gemm(transB: true, m: 1, n: l, k: h, a: dp, lda: h, b: hb, ldb: h, beta: 0, c: ds, ldc: l)
                var expected: Float = 0
                for p in 0..<l { expected += weights[p] * ds[p] }
                for p in 0..<l { ds[p] = weights[p] * (ds[p] - expected) * scale }
                // d h += a^T dpooled + ds^T q (two rank-1 updates).
                BLAS.gemm(m: l, n: h, k: 1, a: weights, lda: 1, b: dp, ldb: h, beta: 1, c: dhb, ldc: h)
                BLAS.gemm(m: l, n: h, k: 1, a: ds, lda: 1, b: w + queries[k], ldb: h, beta: 1, c: dhb, ldc: h)
                if weightGradients {
                    BLAS.gemm(m: 1, n: h, k: l, a: ds, lda: l, b: hb, ldb: h, beta: 1, c: g + queries[k], ldc: h)
                }
            }
        }
    }

    /// Probability of class `c` of field `k` for sequence b after `forward`.
    public func probability(field k: Int, classIndex c: Int, sequence b: Int, workspace ws: Workspace) -> Float {
        ws.probabilities[b * totalClasses + logitOffsets[k] + c]
    }
}
