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
    /// Weight of the tied-head cross-entropy on the denoiser's own output (docs/DESIGN.md, "The method":
    /// it helped the reference model); 0 gives the plain Diffusion-LM recipe.
    public var outputCrossEntropyWeight: Float = 1
    public var seed: UInt64 = 1
    /// When set, every embedding row is projected back to this L2 norm after each update (and
    /// in the EMA copy). Free norms let rare words shrink towards the centre of the cloud,
    /// where every uncertain prediction lands, so nearest-word rounding kept choosing them; on a
    /// sphere, nearest by L2 is the largest dot product, as for the tied head.
    public var embeddingNorm: Float? = nil
    /// Share of sentences trained with START, END and the PAD tail set to their clean
    /// embeddings in x_t, as the sampler fixes them for an exact length (the length prior and
    /// `--length`). Without it the model only ever sees those positions noised, and a sampled
    /// chain hands it a clean END at the 26th token that it has never learnt to plan towards.
    /// Resume states saved before it existed read as 0.
    public var fixedLengthShare: Float = 0
    /// The last time the run's length was moved after the warm-up (`replan`): from that
    /// iteration on, the decay's progress runs from the value it had reached there to 1 at
    /// `totalIterations`. nil: never moved after the warm-up, so the progress runs from 0 at the
    /// end of the warm-up.
    public var decayAnchor: DecayAnchor? = nil

    /// A point of the cosine decay: its progress (0 at the end of the warm-up, 1 at the end of
    /// the run) at an iteration.
    public struct DecayAnchor: Codable, Sendable, Equatable {
        public var iteration: Int
        public var progress: Float
    }

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case batchSize, peakLearningRate, warmupIterations, finalLearningRateFraction, totalIterations, emaDecay,
             gradientClip, outputCrossEntropyWeight, seed, embeddingNorm, fixedLengthShare, decayAnchor
    }

    /// Resume states keep these options. Keys added after the first states (`fixedLengthShare`,
    /// `decayAnchor`) may be absent and read as their defaults; `embeddingNorm` is absent when
    /// off. Encoding is the synthesized one.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        batchSize = try c.decode(Int.self, forKey: .batchSize)
        peakLearningRate = try c.decode(Float.self, forKey: .peakLearningRate)
        warmupIterations = try c.decode(Int.self, forKey: .warmupIterations)
        finalLearningRateFraction = try c.decode(Float.self, forKey: .finalLearningRateFraction)
        totalIterations = try c.decode(Int.self, forKey: .totalIterations)
        emaDecay = try c.decode(Float.self, forKey: .emaDecay)
        gradientClip = try c.decode(Float.self, forKey: .gradientClip)
        outputCrossEntropyWeight = try c.decode(Float.self, forKey: .outputCrossEntropyWeight)
        seed = try c.decode(UInt64.self, forKey: .seed)
        embeddingNorm = try c.decodeIfPresent(Float.self, forKey: .embeddingNorm)
        fixedLengthShare = try c.decodeIfPresent(Float.self, forKey: .fixedLengthShare) ?? 0
        decayAnchor = try c.decodeIfPresent(DecayAnchor.self, forKey: .decayAnchor)
    }

    public func learningRate(at iteration: Int) -> Float {
        if iteration < warmupIterations { return peakLearningRate * Float(iteration + 1) / Float(warmupIterations) }
        let cosine = 0.5 * (1 + cosf(Float.pi * decayProgress(at: iteration)))
        return peakLearningRate * (finalLearningRateFraction + (1 - finalLearningRateFraction) * cosine)
    }

    /// How far the cosine decay has gone at `iteration` (from the end of the warm-up on): linear
    /// from the anchor (the end of the warm-up at 0, or the last re-plan) to 1 at
    /// `totalIterations`, and 1 after it.
    public func decayProgress(at iteration: Int) -> Float {
        let from = decayAnchor?.iteration ?? warmupIterations
        let start = decayAnchor?.progress ?? 0
        let span = max(1, totalIterations - from)
        return min(1, start + (1 - start) * Float(iteration - from) / Float(span))
    }

    /// Moves the end of the run to `total` at `iteration` without a jump in the learning rate:
    /// during the warm-up the decay has not started, so only the end moves; after it, the
    /// progress reached at `iteration` under the old end becomes the anchor the new end is
    /// reached from, so the decay still ends exactly at the run's last iteration.
    public mutating func replan(totalIterations total: Int, at iteration: Int) {
        if iteration > warmupIterations {
            decayAnchor = DecayAnchor(iteration: iteration, progress: decayProgress(at: iteration))
        }
        totalIterations = total
    }
}

/// The parts of one iteration's loss.
public struct LossParts: Sendable, Equatable {
    public var mse: Float = 0
    public var roundingCE: Float = 0
    public var outputCE: Float = 0
    public var prior: Float = 0
    /// The discrete kinds' ELBO (masked or uniform); 0 for continuous models.
    public var diffusion: Float = 0
    public var total: Float { mse + roundingCE + outputCE + prior + diffusion }
    public var gradientNorm: Float = 0
    public init() {}

    /// Adds another batch's (or shard's) loss terms to these.
    public mutating func add(_ other: LossParts) {
        mse += other.mse; roundingCE += other.roundingCE; outputCE += other.outputCE; prior += other.prior
        diffusion += other.diffusion
    }

    /// These loss terms times `factor` (the mean of `add`ed parts is their sum times 1/count).
    public func scaled(by factor: Float) -> LossParts {
        var p = LossParts()
        p.mse = mse * factor; p.roundingCE = roundingCE * factor; p.outputCE = outputCE * factor; p.prior = prior * factor
        p.diffusion = diffusion * factor
        return p
    }
}

/// Trains the embedding and the denoiser with the Diffusion-LM loss (docs/DESIGN.md, "The method"):
///
///   x0 = E[w] + sigma0 eps0,  t ~ U{0..T-1},  x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps
///   loss = |f(x_t, t) - x0|^2 (target E[w] when t = 0)  + CE(head(x0), w)
///        + w_out CE(head(f(x_t, t)), w)  + |sqrt(abar_{T-1}) x0|^2
///
/// with means over elements, gradients into E through every term, AdamW with warm-up and cosine
/// decay, gradient clipping, and an EMA of the weights.
///
/// Parallelism is data-parallel: the batch is split into one shard per core, each shard's
/// forward and backward run on its own thread with single-threaded BLAS and its own buffers,
/// and the shard gradients are summed in a fixed order. The random draws (sentences, times,
/// noise) are made on the calling thread first, so a run is deterministic for a given seed and
/// worker count. Every buffer is allocated in `init`; an iteration allocates nothing.
public final class Trainer {
    public let model: Denoiser
    public let data: TrainingData
    public private(set) var options: TrainOptions
    public let schedule: NoiseSchedule
    public let ema: FloatBuffer
    public let optimizer: AdamW
    public internal(set) var iteration = 0
    public var rng: RandomSource
    /// The continuous kind's shards (empty for a discrete model).
    let workers: [TrainWorker]
    /// The discrete kinds' shards (empty for a continuous model).
    let discreteWorkers: [DiscreteTrainWorker]
    /// Every shard, in batch order.
    let shards: [any TrainShard]

    /// Gradients of the last `lossAndGradients` (shard 0's buffer holds the sum).
    public var grads: FloatBuffer { shards[0].grads }

    public init(model: Denoiser, data: TrainingData, options: TrainOptions, workers requested: Int = 0) {
        self.model = model
        self.data = data
        self.options = options
        schedule = NoiseSchedule(sqrtSteps: model.config.diffusionSteps)
        ema = model.params.makeSibling()
        if let norm = options.embeddingNorm { Self.projectEmbedding(model.params.values.pointer + model.embeddingOffset, model.config, norm) }
        ema.copy(from: model.params.values)
        optimizer = AdamW(count: model.params.count)
        rng = RandomSource(seed: options.seed &+ 0x5EED)
        let cores = requested > 0 ? requested : ProcessInfo.processInfo.activeProcessorCount
        let count = max(1, min(cores, options.batchSize))
        let shared = TrainWorker.Shared(schedule: schedule, model: model, options: options)
        let bounds = (0..<count).map { i in (i * options.batchSize / count, (i + 1) * options.batchSize / count) }
        if model.config.modelKind.isDiscrete {
            workers = []
            discreteWorkers = bounds.map { DiscreteTrainWorker(model: model, first: $0.0, batch: $0.1 - $0.0, totalBatch: options.batchSize) }
            shards = discreteWorkers
        } else {
            workers = bounds.map { TrainWorker(shared: shared, first: $0.0, batch: $0.1 - $0.0) }
            discreteWorkers = []
            shards = workers
        }
    }

    /// Moves the run's end (and the cosine decay's) to `totalIterations`, at least the current
    /// iteration, keeping the learning rate continuous (`TrainOptions.replan`): a time budget
    /// turns into iterations this way, and is re-planned as the machine's speed changes.
    public func replan(totalIterations: Int) {
        precondition(totalIterations >= iteration, "the run cannot end before iteration \(iteration)")
        options.replan(totalIterations: totalIterations, at: iteration)
    }

    /// Timesteps of the last batch, in batch order.
    func timestep(_ s: Int) -> Int32 {
        for w in workers where s >= w.first && s < w.first + w.batch { return w.timesteps[s - w.first] }
        return -1
    }

    /// Draws a batch (on this thread, in batch order), computes the loss and the gradients into
    /// `grads` without updating; used by `step` and by the gradient check.
    public func lossAndGradients() -> LossParts {
        if model.config.modelKind.isDiscrete { drawDiscreteBatch() } else { drawContinuousBatch() }
        let shards = self.shards
        if shards.count == 1 {
            shards[0].run()
        } else {
            DispatchQueue.concurrentPerform(iterations: shards.count) { shards[$0].run() }
        }
        var parts = LossParts()
        let total = grads.pointer, count = model.params.count
        for (k, w) in shards.enumerated() {
            parts.add(w.parts)
            if k > 0 {
                let g = w.grads.pointer
                for i in 0..<count { total[i] += g[i] }
            }
        }
        return parts
    }

    /// The continuous kind's draws: sentences, times, the two noises, fixed lengths.
    private func drawContinuousBatch() {
        let l = model.config.sequenceLength, d = model.config.embeddingDim
        drawSentences()
        for w in workers { for s in 0..<w.batch { w.timesteps[s] = Int32(rng.int(below: schedule.count)) } }
        for w in workers { rng.fillNormal(w.noise0.pointer, count: w.batch * l * d) }
        for w in workers { rng.fillNormal(w.noise.pointer, count: w.batch * l * d) }
        drawFixedLengths()
    }

    /// Every shard's sentences, drawn in batch order.
    private func drawSentences() {
        let l = model.config.sequenceLength
        data.trainIDs.withUnsafeBufferPointer { all in
            for w in shards {
                for s in 0..<w.batch {
                    let k = rng.int(below: data.trainCount)
                    (w.ids + s * l).update(from: all.baseAddress! + k * l, count: l)
                }
            }
        }
    }

    /// Which sentences train with their length fixed. Drawn after the other draws, and only
    /// when used, so runs without it keep their stream.
    private func drawFixedLengths() {
        guard options.fixedLengthShare > 0 else { return }
        let share = options.fixedLengthShare
        for w in shards { for s in 0..<w.batch { w.fixedLength[s] = rng.uniform() < share } }
    }

    /// The discrete kinds' draws: sentences; times stratified over the batch (one uniform
    /// offset, then evenly spaced, as MDLM does: the masked weight 1/t makes the loss's variance
    /// large when a batch's times cluster near 0); a uniform per position (corrupted when below
    /// t); replacement tokens for the uniform kind; fixed lengths.
    private func drawDiscreteBatch() {
        let l = model.config.sequenceLength, v = model.config.vocabSize
        drawSentences()
        let offset = Double(rng.uniform()), total = Double(options.batchSize), lowest = DiscreteSchedule.minimumTime
        for w in discreteWorkers {
            for s in 0..<w.batch {
                let u = (offset + Double(w.first + s) / total).truncatingRemainder(dividingBy: 1)
                w.times[s] = Float(lowest + (1 - lowest) * u)
            }
        }
        for w in discreteWorkers { for r in 0..<(w.batch * l) { w.uniforms[r] = rng.uniform() } }
        if model.config.modelKind == .uniform {
            for w in discreteWorkers { for r in 0..<(w.batch * l) { w.replacements[r] = Int32(rng.int(below: v)) } }
        }
        drawFixedLengths()
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
        if let norm = options.embeddingNorm {
            Self.projectEmbedding(model.params.values.pointer + model.embeddingOffset, model.config, norm)
            Self.projectEmbedding(ema.pointer + model.embeddingOffset, model.config, norm)
        }
        iteration += 1
        return parts
    }

    /// Scales every row of the embedding table to L2 norm `norm`.
    static func projectEmbedding(_ e: UnsafeMutablePointer<Float>, _ c: ModelConfig, _ norm: Float) {
        let d = c.embeddingDim
        for v in 0..<c.vocabSize {
            let row = e + v * d
            var sq: Float = 0
            for j in 0..<d { sq += row[j] * row[j] }
            let scale = norm / max(sq.squareRoot(), 1e-12)
            for j in 0..<d { row[j] *= scale }
        }
    }
}

/// A shard of a training batch: runs its part of the loss and gradients on its own thread.
protocol TrainShard: AnyObject, Sendable {
    var first: Int { get }
    var batch: Int { get }
    /// [batch * L]: the clean sentences drawn for this shard.
    var ids: UnsafeMutablePointer<Int32> { get }
    /// [batch]: which of them train with their length fixed.
    var fixedLength: UnsafeMutablePointer<Bool> { get }
    var grads: FloatBuffer { get }
    var parts: LossParts { get }
    func run()
}

/// One shard of a training batch with every buffer it needs. During `run` a worker writes only
/// its own buffers and reads the shared weights, which nobody writes until all workers are
/// done; that is why it may cross to a `concurrentPerform` thread (`@unchecked Sendable`).
final class TrainWorker: TrainShard, @unchecked Sendable {
    struct Shared {
        let schedule: NoiseSchedule
        let model: Denoiser
        let options: TrainOptions
    }

    let shared: Shared
    let first: Int
    let batch: Int
    /// This shard's share of the whole batch: its losses are means over the shard times this.
    let share: Float
    let grads: FloatBuffer
    let ws: Denoiser.Workspace
    let ids: UnsafeMutablePointer<Int32>
    let timesteps: UnsafeMutablePointer<Int32>
    /// Per sentence: trained with its length fixed (see `TrainOptions.fixedLengthShare`).
    let fixedLength: UnsafeMutablePointer<Bool>
    /// Per row: this position of x_t holds its clean embedding (so its gradient goes to mu0).
    let fixedRow: UnsafeMutablePointer<Bool>
    let noise0, noise, mu0, x0, xt, dx0, dmu0, dOut, dxt, logits: FloatBuffer
    /// Self-conditioned models: the previous prediction each sentence's denoiser call reads
    /// (see `predictSelfCondition`).
    let selfCondition: FloatBuffer?
    let sqrtAlphaBar, sqrtOneMinusAlphaBar: [Float]
    let sigma0: Float
    let priorScale: Float
    var parts = LossParts()

    init(shared: Shared, first: Int, batch: Int) {
        self.shared = shared
        self.first = first
        self.batch = batch
        let model = shared.model, c = model.config
        share = Float(batch) / Float(shared.options.batchSize)
        let n = batch * c.sequenceLength, d = c.embeddingDim
        grads = model.params.makeSibling()
        ws = Denoiser.Workspace(config: c, batch: batch)
        ids = .allocate(capacity: n); ids.initialize(repeating: 0, count: n)
        timesteps = .allocate(capacity: batch); timesteps.initialize(repeating: 0, count: batch)
        fixedLength = .allocate(capacity: batch); fixedLength.initialize(repeating: false, count: batch)
        fixedRow = .allocate(capacity: n); fixedRow.initialize(repeating: false, count: n)
        noise0 = FloatBuffer(count: n * d); noise = FloatBuffer(count: n * d)
        mu0 = FloatBuffer(count: n * d); x0 = FloatBuffer(count: n * d); xt = FloatBuffer(count: n * d)
        dx0 = FloatBuffer(count: n * d); dmu0 = FloatBuffer(count: n * d); dOut = FloatBuffer(count: n * d)
        dxt = FloatBuffer(count: n * d); logits = FloatBuffer(count: n * c.vocabSize)
        selfCondition = c.selfConditioning ? FloatBuffer(count: n * d) : nil
        sqrtAlphaBar = shared.schedule.alphaBars.map { Float($0.squareRoot()) }
        sqrtOneMinusAlphaBar = shared.schedule.alphaBars.map { Float((1 - $0).squareRoot()) }
        sigma0 = Float((1 - shared.schedule.alphaBars[0]).squareRoot())
        priorScale = Float(shared.schedule.alphaBars[shared.schedule.count - 1])
    }

    deinit { ids.deallocate(); timesteps.deallocate(); fixedLength.deallocate(); fixedRow.deallocate() }

    /// Tied-head cross-entropy of rows `x` [n, D] against `ids`: adds the loss's gradient to `dx`,
    /// to the embedding and to the head bias.
    func headCrossEntropy(_ x: UnsafePointer<Float>, weights w: UnsafePointer<Float>, rows n: Int, weight: Float,
                          dx: UnsafeMutablePointer<Float>) -> Float {
        let model = shared.model, c = model.config, v = c.vocabSize, d = c.embeddingDim
        let g = grads.pointer
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

    /// Marks the rows the sampler would fix in the sentences drawn for a fixed length: START and
    /// everything from END on.
    func markFixedRows() {
        let l = shared.model.config.sequenceLength
        for s in 0..<batch {
            let row = fixedRow + s * l, sentence = ids + s * l
            var afterEnd = false
            for p in 0..<l {
                if sentence[p] == Vocabulary.endID { afterEnd = true }
                row[p] = fixedLength[s] && (p == 0 || afterEnd)
            }
        }
    }

    /// Self-conditioning's training half (Chen et al. 2022): the first half of the shard's
    /// sentences (a random half: sentences are drawn independently) read the model's own
    /// prediction from x_t, made without a gradient and with no previous prediction, as the
    /// sampler's next step reads this step's; the other half read zeros, as its first step does.
    /// Costs one forward pass over half the shard: about a third more time per iteration at
    /// width 160 (`denoise bench` side by side: trainStepMs 125-130 against 94), more than the
    /// sixth the FLOPs say.
    func predictSelfCondition(weights w: UnsafePointer<Float>) {
        guard let selfCondition else { return }
        let model = shared.model, ld = model.config.sequenceLength * model.config.embeddingDim
        let primed = batch / 2
        selfCondition.zero()
        guard primed > 0 else { return }
        model.forward(weights: w, x: xt.pointer, timesteps: timesteps, batch: primed, workspace: ws)
        selfCondition.pointer.update(from: ws.output.pointer, count: primed * ld)
    }

    /// Loss and gradients of this shard, from the ids, times and noise already drawn.
    func run() {
        let w = UnsafePointer(shared.model.params.values.pointer)
        let model = shared.model, c = model.config, b = batch, l = c.sequenceLength, d = c.embeddingDim
        let n = b * l, nd = n * d, ld = l * d
        Embedding.forward(out: mu0.pointer, table: w + model.embeddingOffset, ids: ids, count: n, width: d)
        for i in 0..<nd { x0[i] = mu0[i] + sigma0 * noise0[i] }
        for s in 0..<b {
            let t = Int(timesteps[s]), a = sqrtAlphaBar[t], sn = sqrtOneMinusAlphaBar[t]
            for i in (s * ld)..<((s + 1) * ld) { xt[i] = a * x0[i] + sn * noise[i] }
        }
        markFixedRows()
        for r in 0..<n where fixedRow[r] { (xt.pointer + r * d).update(from: mu0.pointer + r * d, count: d) }
        predictSelfCondition(weights: w)
        model.forward(weights: w, x: xt.pointer, timesteps: timesteps, batch: b, workspace: ws,
                      selfCondition: selfCondition.map { UnsafePointer($0.pointer) })

        grads.zero(); dx0.zero(); dmu0.zero(); dOut.zero(); dxt.zero()
        var parts = LossParts()
        let f = ws.output.pointer
        for s in 0..<b {
            let off = s * ld
            let targetIsMean = timesteps[s] == 0
            parts.mse += MeanSquaredError.forwardBackward(
                pred: f + off, target: (targetIsMean ? mu0.pointer : x0.pointer) + off, count: ld,
                weight: share / Float(b), dpred: dOut.pointer + off,
                dtarget: (targetIsMean ? dmu0.pointer : dx0.pointer) + off)
        }
        parts.roundingCE = headCrossEntropy(x0.pointer, weights: w, rows: n, weight: share, dx: dx0.pointer)
        let outWeight = shared.options.outputCrossEntropyWeight
        if outWeight > 0 {
            parts.outputCE = headCrossEntropy(f, weights: w, rows: n, weight: share * outWeight, dx: dOut.pointer)
        }
        // Prior term: the last step should carry (almost) no signal.
        var prior: Double = 0
        let pg = 2 * priorScale * share / Float(nd)
        for i in 0..<nd { prior += Double(priorScale * x0[i] * x0[i]); dx0[i] += pg * x0[i] }
        parts.prior = share * Float(prior / Double(nd))

        model.backward(weights: w, grads: grads.pointer, dOutput: dOut.pointer, x: xt.pointer, batch: b,
                       workspace: ws, dx: dxt.pointer)
        for s in 0..<b {
            let a = sqrtAlphaBar[Int(timesteps[s])]
            for r in (s * l)..<((s + 1) * l) {
                // A fixed row of x_t is mu0 itself; any other row is sqrt(abar) x0 + noise.
                if fixedRow[r] {
                    for i in (r * d)..<((r + 1) * d) { dmu0[i] += dxt[i] }
                } else {
                    for i in (r * d)..<((r + 1) * d) { dx0[i] += a * dxt[i] }
                }
            }
        }
        for i in 0..<nd { dmu0[i] += dx0[i] }
        Embedding.backward(dtable: grads.pointer + model.embeddingOffset, dout: dmu0.pointer, ids: ids, count: n, width: d)
        self.parts = parts
    }
}
