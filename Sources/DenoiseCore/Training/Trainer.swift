import Foundation

/// Hyper-parameters of a training run (saved with the resume state).
public struct TrainOptions: Codable, Sendable, Equatable {
    public var batchSize = 64
    public var peakLearningRate: Float = 1e-3
    public var warmupIterations = 200
    /// Learning rate decays along a cosine to this fraction of the peak at `totalIterations`.
    public var finalLearningRateFraction: Float = 0.1
    public var totalIterations = 10_000
    public var emaDecay: Float = 0.999
    public var gradientClip: Float = 1.0
    /// Weight of the tied-head cross-entropy on the denoiser's own output (DESIGN section 3:
    /// it helped the reference model); 0 gives the plain Diffusion-LM recipe.
    public var outputCrossEntropyWeight: Float = 1
    public var seed: UInt64 = 1

    public init() {}

    public func learningRate(at iteration: Int) -> Float {
        if iteration < warmupIterations { return peakLearningRate * Float(iteration + 1) / Float(warmupIterations) }
        let span = max(1, totalIterations - warmupIterations)
        let progress = min(1, Float(iteration - warmupIterations) / Float(span))
        let cosine = 0.5 * (1 + cosf(Float.pi * progress))
        return peakLearningRate * (finalLearningRateFraction + (1 - finalLearningRateFraction) * cosine)
    }
}

/// The parts of one iteration's loss.
public struct LossParts: Sendable, Equatable {
    public var mse: Float = 0
    public var roundingCE: Float = 0
    public var outputCE: Float = 0
    public var prior: Float = 0
    public var total: Float { mse + roundingCE + outputCE + prior }
    public var gradientNorm: Float = 0
}

/// Trains the embedding and the denoiser with the Diffusion-LM loss (DESIGN section 3):
///
///   x0 = E[w] + sigma0 eps0,  t ~ U{0..T-1},  x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps
///   loss = |f(x_t, t) - x0|^2 (target E[w] when t = 0)  + CE(head(x0), w)
///        + w_out CE(head(f(x_t, t)), w)  + |sqrt(abar_{T-1}) x0|^2
///
/// with means over elements, gradients into E through every term, AdamW with warm-up and cosine
/// decay, gradient clipping, and an EMA of the weights. Every buffer is allocated in `init`; an
/// iteration allocates nothing.
public final class Trainer {
    public let model: Denoiser
    public let data: TrainingData
    public let options: TrainOptions
    public let schedule: NoiseSchedule
    public let grads: FloatBuffer
    public let ema: FloatBuffer
    public let optimizer: AdamW
    public internal(set) var iteration = 0
    public var rng: RandomSource

    let ws: Denoiser.Workspace
    let ids: UnsafeMutablePointer<Int32>
    let timesteps: UnsafeMutablePointer<Int32>
    let mu0, x0, xt, dx0, dmu0, dOut, dxt, logits: FloatBuffer
    let sqrtAlphaBar, sqrtOneMinusAlphaBar: [Float]
    let sigma0: Float
    let priorScale: Float

    public init(model: Denoiser, data: TrainingData, options: TrainOptions) {
        self.model = model
        self.data = data
        self.options = options
        let c = model.config, b = options.batchSize, n = b * c.sequenceLength, d = c.embeddingDim
        schedule = NoiseSchedule(sqrtSteps: c.diffusionSteps)
        grads = model.params.makeSibling()
        ema = model.params.makeSibling()
        ema.copy(from: model.params.values)
        optimizer = AdamW(count: model.params.count)
        rng = RandomSource(seed: options.seed &+ 0x5EED)
        ws = Denoiser.Workspace(config: c, batch: b)
        ids = .allocate(capacity: n); ids.initialize(repeating: 0, count: n)
        timesteps = .allocate(capacity: b); timesteps.initialize(repeating: 0, count: b)
        mu0 = FloatBuffer(count: n * d); x0 = FloatBuffer(count: n * d); xt = FloatBuffer(count: n * d)
        dx0 = FloatBuffer(count: n * d); dmu0 = FloatBuffer(count: n * d); dOut = FloatBuffer(count: n * d)
        dxt = FloatBuffer(count: n * d); logits = FloatBuffer(count: n * c.vocabSize)
        sqrtAlphaBar = schedule.alphaBars.map { Float($0.squareRoot()) }
        sqrtOneMinusAlphaBar = schedule.alphaBars.map { Float((1 - $0).squareRoot()) }
        sigma0 = Float((1 - schedule.alphaBars[0]).squareRoot())
        priorScale = Float(schedule.alphaBars[schedule.count - 1])
    }

    deinit { ids.deallocate(); timesteps.deallocate() }

    /// Tied-head cross-entropy of rows `x` [n, D] against `ids`: adds the loss's gradient to `dx`,
    /// to the embedding and to the head bias in `grads`.
    func headCrossEntropy(_ x: UnsafePointer<Float>, rows n: Int, weight: Float, dx: UnsafeMutablePointer<Float>) -> Float {
        let c = model.config, v = c.vocabSize, d = c.embeddingDim
        let w = UnsafePointer(model.params.values.pointer), g = grads.pointer
        let e = w + model.embeddingOffset, bias = w + model.headBiasOffset
        let lg = logits.pointer
        for r in 0..<n { (lg + r * v).update(from: bias, count: v) }
        BLAS.gemm(transB: true, m: n, n: v, k: d, a: x, lda: d, b: e, ldb: d, beta: 1, c: lg, ldc: v)
        let loss = CrossEntropy.forwardBackward(logits: lg, targets: ids, rows: n, classes: v, weight: weight, dlogits: lg)
        BLAS.gemm(m: n, n: d, k: v, a: lg, lda: v, b: e, ldb: d, beta: 1, c: dx, ldc: d)
        BLAS.gemm(transA: true, m: v, n: d, k: n, a: lg, lda: v, b: x, ldb: d, beta: 1, c: g + model.embeddingOffset, ldc: d)
        let db = g + model.headBiasOffset
        for r in 0..<n { let row = lg + r * v; for j in 0..<v { db[j] += row[j] } }
        return loss
    }

    /// Computes the loss and gradients of one batch into `grads` without updating (used by
    /// `step` and by the gradient check).
    public func lossAndGradients() -> LossParts {
        let c = model.config, b = options.batchSize, l = c.sequenceLength, d = c.embeddingDim
        let n = b * l, nd = n * d
        let w = UnsafePointer(model.params.values.pointer)
        let e = w + model.embeddingOffset
        // Batch: random sentences and times.
        data.trainIDs.withUnsafeBufferPointer { all in
            for s in 0..<b {
                let k = rng.int(below: data.trainCount)
                (ids + s * l).update(from: all.baseAddress! + k * l, count: l)
            }
        }
        for s in 0..<b { timesteps[s] = Int32(rng.int(below: schedule.count)) }
        Embedding.forward(out: mu0.pointer, table: e, ids: ids, count: n, width: d)
        for i in 0..<nd { x0[i] = mu0[i] + sigma0 * rng.normal() }
        for s in 0..<b {
            let t = Int(timesteps[s]), a = sqrtAlphaBar[t], sn = sqrtOneMinusAlphaBar[t]
            for i in (s * l * d)..<((s + 1) * l * d) { xt[i] = a * x0[i] + sn * rng.normal() }
        }
        model.forward(weights: w, x: xt.pointer, timesteps: timesteps, batch: b, workspace: ws)

        grads.zero(); dx0.zero(); dmu0.zero(); dOut.zero(); dxt.zero()
        var parts = LossParts()
        let f = ws.output.pointer
        for s in 0..<b {
            let off = s * l * d
            let targetIsMean = timesteps[s] == 0
            parts.mse += MeanSquaredError.forwardBackward(
                pred: f + off, target: (targetIsMean ? mu0.pointer : x0.pointer) + off, count: l * d,
                weight: 1 / Float(b), dpred: dOut.pointer + off,
                dtarget: (targetIsMean ? dmu0.pointer : dx0.pointer) + off)
        }
        parts.roundingCE = headCrossEntropy(x0.pointer, rows: n, weight: 1, dx: dx0.pointer)
        if options.outputCrossEntropyWeight > 0 {
            parts.outputCE = headCrossEntropy(f, rows: n, weight: options.outputCrossEntropyWeight, dx: dOut.pointer)
        }
        // Prior term: the last step should carry (almost) no signal.
        var prior: Double = 0
        let pg = 2 * priorScale / Float(nd)
        for i in 0..<nd { prior += Double(priorScale * x0[i] * x0[i]); dx0[i] += pg * x0[i] }
        parts.prior = Float(prior / Double(nd))

        model.backward(weights: w, grads: grads.pointer, dOutput: dOut.pointer, x: xt.pointer, batch: b,
                       workspace: ws, dx: dxt.pointer)
        for s in 0..<b {
            let a = sqrtAlphaBar[Int(timesteps[s])]
            for i in (s * l * d)..<((s + 1) * l * d) { dx0[i] += a * dxt[i] }
        }
        for i in 0..<nd { dmu0[i] += dx0[i] }
        Embedding.backward(dtable: grads.pointer + model.embeddingOffset, dout: dmu0.pointer, ids: ids, count: n, width: d)
        return parts
    }

    /// One training iteration: loss, gradients, clipping, AdamW, EMA.
    @discardableResult
    public func step() -> LossParts {
        var parts = lossAndGradients()
        let count = model.params.count, g = grads.pointer
        var sq: Float = 0
        for i in 0..<count { sq += g[i] * g[i] }
        let norm = sq.squareRoot()
        parts.gradientNorm = norm
        if norm > options.gradientClip {
            let scale = options.gradientClip / norm
            for i in 0..<count { g[i] *= scale }
        }
        optimizer.update(params: model.params.values.pointer, grads: g, count: count,
                         learningRate: options.learningRate(at: iteration))
        AdamW.updateEMA(ema.pointer, params: model.params.values.pointer, count: count, decay: options.emaDecay)
        iteration += 1
        return parts
    }
}
