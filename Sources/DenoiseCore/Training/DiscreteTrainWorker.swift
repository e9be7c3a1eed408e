import Foundation

/// One shard of a discrete model's training batch (masked or uniform kind), the counterpart of
/// `TrainWorker`. The random draws (sentences, times, per-position uniforms and replacement
/// tokens) are made by the trainer on its own thread; `run` corrupts the sentences, runs the
/// denoiser on the embeddings of the corrupted tokens, and takes the kind's ELBO through the
/// tied head:
///
///   z_t   = corrupt(w, t)                       MASK (masked) or a uniform token (uniform), w.p. t
///   f     = denoiser(E[z_t], t)                 [b, L, D]
///   logit = f . E^T + bias                      [b, L, V]
///   loss  = MaskedDiffusionLoss / UniformDiffusionLoss of the logits against w
///
/// Gradients reach E through both the input lookup and the tied head. Positions fixed for a
/// length (START, END and the PAD tail of a `fixedLengthShare` sentence) stay clean and carry no
/// loss, as the sampler holds them. Like `TrainWorker`, it writes only its own buffers during
/// `run` and reads weights nobody writes until all workers are done (`@unchecked Sendable`).
final class DiscreteTrainWorker: TrainShard, @unchecked Sendable {
    let model: Denoiser
    let kind: ModelKind
    let schedule: DiscreteSchedule
    let first: Int
    let batch: Int
    /// This shard's share of the whole batch (losses are means over the whole batch).
    let share: Float
    let grads: FloatBuffer
    let ws: Denoiser.Workspace
    let ids, corrupted, timesteps: UnsafeMutablePointer<Int32>
    /// Per sentence: its time t in (0, 1], and whether it is trained with its length fixed.
    let times: UnsafeMutablePointer<Float>
    let fixedLength: UnsafeMutablePointer<Bool>
    /// Per position: the uniform draw that decides corruption, and (uniform kind) the
    /// replacement token.
    let uniforms: UnsafeMutablePointer<Float>
    let replacements: UnsafeMutablePointer<Int32>
    let rowWeights, alphas: UnsafeMutablePointer<Float>
    let xt, dxt, dOut, logits, probabilities: FloatBuffer
    var parts = LossParts()

    init(model: Denoiser, first: Int, batch: Int, totalBatch: Int) {
        self.model = model
        let c = model.config
        kind = c.modelKind
        schedule = DiscreteSchedule(diffusionSteps: c.diffusionSteps)
        self.first = first
        self.batch = batch
        share = Float(batch) / Float(totalBatch)
        let n = batch * c.sequenceLength, d = c.embeddingDim
        grads = model.params.makeSibling()
        ws = Denoiser.Workspace(config: c, batch: batch)
        func ints(_ count: Int) -> UnsafeMutablePointer<Int32> {
            let p = UnsafeMutablePointer<Int32>.allocate(capacity: count); p.initialize(repeating: 0, count: count); return p
        }
        func floats(_ count: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: count); p.initialize(repeating: 0, count: count); return p
        }
        ids = ints(n); corrupted = ints(n); timesteps = ints(batch); replacements = ints(n)
        times = floats(batch); uniforms = floats(n); rowWeights = floats(n); alphas = floats(n)
        fixedLength = .allocate(capacity: batch); fixedLength.initialize(repeating: false, count: batch)
        xt = FloatBuffer(count: n * d); dxt = FloatBuffer(count: n * d); dOut = FloatBuffer(count: n * d)
        logits = FloatBuffer(count: n * c.vocabSize); probabilities = FloatBuffer(count: c.vocabSize)
    }

    deinit {
        for p in [ids, corrupted, timesteps, replacements] { p.deallocate() }
        for p in [times, uniforms, rowWeights, alphas] { p.deallocate() }
        fixedLength.deallocate()
    }

    /// Corrupts the clean sentences into `corrupted` and sets each row's loss weight.
    func corrupt() {
        let l = model.config.sequenceLength
        let mask = model.config.modelKind == .masked ? Int32(model.config.vocabSize - 1) : -1
        for s in 0..<batch {
            let t = Double(times[s])
            timesteps[s] = schedule.index(t)
            let alpha = Float(schedule.alpha(t)), weight = Float(schedule.maskedWeight(t))
            var afterEnd = false
            for p in 0..<l {
                let r = s * l + p, word = ids[r]
                if word == Vocabulary.endID { afterEnd = true }
                let fixed = fixedLength[s] && (p == 0 || afterEnd)
                let hit = !fixed && uniforms[r] < 1 - alpha
                alphas[r] = alpha
                switch kind {
                case .masked:
                    corrupted[r] = hit ? mask : word
                    rowWeights[r] = hit ? weight : 0
                case .uniform:
                    corrupted[r] = hit ? replacements[r] : word
                    rowWeights[r] = fixed ? 0 : 1
                case .continuous:
                    preconditionFailure("continuous models train with TrainWorker")
                }
            }
        }
    }

    func run() {
        let w = UnsafePointer(model.params.values.pointer)
        let c = model.config, l = c.sequenceLength, d = c.embeddingDim, v = c.vocabSize
        let n = batch * l
        corrupt()
        let e = w + model.embeddingOffset, bias = w + model.headBiasOffset
        Embedding.forward(out: xt.pointer, table: e, ids: corrupted, count: n, width: d)
        model.forward(weights: w, x: xt.pointer, timesteps: timesteps, batch: batch, workspace: ws)
        let f = ws.output.pointer, lg = logits.pointer
        for r in 0..<n { (lg + r * v).update(from: bias, count: v) }
        BLAS.gemm(transB: true, m: n, n: v, k: d, a: f, lda: d, b: e, ldb: d, beta: 1, c: lg, ldc: v)

        grads.zero()
        // Means over every position of the whole batch.
        let scale = share / Float(n)
        var parts = LossParts()
        switch kind {
        case .masked:
            parts.diffusion = MaskedDiffusionLoss.forwardBackward(
                logits: lg, targets: ids, rowWeights: rowWeights, rows: n, classes: v, excluded: v - 1, scale: scale, dlogits: lg)
        case .uniform:
            parts.diffusion = UniformDiffusionLoss.forwardBackward(
                logits: lg, targets: ids, current: corrupted, alphas: alphas, alphaDerivative: Float(schedule.alphaDerivative(0)),
                rowWeights: rowWeights, rows: n, classes: v, scale: scale, probabilities: probabilities.pointer, dlogits: lg)
        case .continuous:
            preconditionFailure("continuous models train with TrainWorker")
        }
        // The tied head's backward: into the prediction, the embedding and the bias.
        let g = grads.pointer
        BLAS.gemm(m: n, n: d, k: v, a: lg, lda: v, b: e, ldb: d, beta: 0, c: dOut.pointer, ldc: d)
        BLAS.gemm(transA: true, m: v, n: d, k: n, a: lg, lda: v, b: f, ldb: d, beta: 1, c: g + model.embeddingOffset, ldc: d)
        let db = g + model.headBiasOffset
        for r in 0..<n { let row = lg + r * v; for j in 0..<v { db[j] += row[j] } }

        dxt.zero()
        model.backward(weights: w, grads: g, dOutput: dOut.pointer, x: xt.pointer, batch: batch, workspace: ws, dx: dxt.pointer)
        Embedding.backward(dtable: g + model.embeddingOffset, dout: dxt.pointer, ids: corrupted, count: n, width: d)
        self.parts = parts
    }
}
