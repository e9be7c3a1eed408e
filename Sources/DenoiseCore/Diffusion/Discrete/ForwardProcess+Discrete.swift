import Foundation

/// A discrete model's forward walk: one uniform u_p per position (and, for the uniform kind, one
/// replacement word r_p), drawn once, so position p is corrupted from the first time t with
/// u_p < t on: each word has a step at which it turns into MASK (or into r_p) and stays so, as a
/// continuous walk's one noise draw gives each word a step at which it is lost. Step k (1...K)
/// shows time t = k/K. START, END and PAD are corrupted too, as in training without a fixed length.
final class DiscreteWalk {
    let uniforms: [Float]
    let replacements: [Int32]
    let kind: ModelKind
    let maskID: Int32
    let embedded: FloatBuffer
    let logits: FloatBuffer
    let probabilities: FloatBuffer
    var tokens: [Int32]

    init(model: DiffusionModel, source: SourceSentence, seed: UInt64) {
        let c = model.config
        var rng = ForwardProcess.noiseSource(seed: seed)
        uniforms = (0..<c.sequenceLength).map { _ in rng.uniform() }
        replacements = (0..<c.sequenceLength).map { _ in Int32(rng.int(below: c.vocabSize)) }
        kind = c.modelKind
        maskID = c.maskID ?? -1
        embedded = FloatBuffer(count: c.sequenceLength * c.embeddingDim)
        logits = FloatBuffer(count: c.sequenceLength * c.vocabSize)
        probabilities = FloatBuffer(count: c.sequenceLength * c.vocabSize)
        tokens = source.ids
    }

    /// The walk has as many steps as the respaced schedule (the --steps asked for).
    func steps(_ schedule: NoiseSchedule) -> Int { schedule.count }

    /// The source corrupted to time t.
    func corrupted(_ source: [Int32], t: Double) -> [Int32] {
        source.indices.map { p in uniforms[p] < Float(t) ? (kind == .masked ? maskID : replacements[p]) : source[p] }
    }
}

extension ForwardProcess {
    func discreteStep(_ walk: DiscreteWalk) -> ForwardStep {
        let c = model.config, l = c.sequenceLength, v = c.vocabSize, d = c.embeddingDim
        let k = stepsTaken + 1, t = Double(k) / Double(totalSteps)
        let schedule = DiscreteSchedule(diffusionSteps: c.diffusionSteps)
        walk.tokens = walk.corrupted(source.ids, t: t)
        walk.tokens.withUnsafeBufferPointer {
            Embedding.forward(out: walk.embedded.pointer, table: model.embedding(of: 0), ids: $0.baseAddress!, count: l, width: d)
        }
        timestep[0] = schedule.index(t)
        let w = UnsafePointer(model.denoiser.params.values.pointer)
        model.denoiser.forward(weights: w, x: walk.embedded.pointer, timesteps: timestep, batch: 1, workspace: ws)
        let lg = walk.logits.pointer, probs = walk.probabilities.pointer
        for r in 0..<l { (lg + r * v).update(from: w + model.denoiser.headBiasOffset, count: v) }
        BLAS.gemm(transB: true, m: l, n: v, k: d, a: ws.output.pointer, lda: d, b: model.embedding(of: 0), ldb: d, beta: 1, c: lg, ldc: v)
        var prediction = [RoundedToken](), candidates = [[Candidate]]()
        for p in 0..<l {
            _ = softmaxRow(lg + p * v, probs + p * v, classes: v, excluded: Int(walk.maskID))
            let top = DiscreteChain.topK(probs + p * v, count: v, k: candidateCount)
            prediction.append(RoundedToken(id: top[0].id, text: model.vocabulary.word(top[0].id), distance: 0, margin: 0, probability: top[0].p))
            candidates.append(top.map { Candidate(text: model.vocabulary.word($0.id), distance: 0, probability: $0.p) })
        }
        let xt = walk.tokens.enumerated().map { p, id in
            RoundedToken(id: id, text: id == walk.maskID ? Vocabulary.mask : model.vocabulary.word(id), distance: 0, margin: 0,
                         probability: id == walk.maskID ? nil : probs[p * v + Int(id)])
        }
        let ids = prediction.map(\.id)
        let changed = previousPrediction.isEmpty ? [] : (0..<l).filter { previousPrediction[$0] != ids[$0] }
        previousPrediction = ids
        stepsTaken += 1
        let alpha = schedule.alpha(t)
        var snapshot = StepSnapshot(step: stepsTaken, totalSteps: totalSteps, t: Int(schedule.index(t)), alphaBar: alpha,
                                    sigma: 1 - alpha, snrDB: 10 * log10(Swift.max(alpha, 1e-12) / Swift.max(1 - alpha, 1e-12)),
                                    xt: xt, x0: prediction, candidates: candidates, changed: changed, scores: [:], fieldGuesses: [],
                                    guidanceNorm: 0, clamped: false)
        snapshot.kind = walk.kind
        snapshot.discrete = DiscreteStepDetail(maskedCount: walk.tokens.filter { $0 == walk.maskID }.count, entropy: [], unmask: nil)
        return ForwardStep(snapshot: snapshot, kept: source.keptShare(walk.tokens), x0Kept: source.keptShare(ids))
    }
}

extension DiscreteChain {
    /// Starts every sequence from the edit's source corrupted to time S (the strength): each
    /// free word of sequence b is masked (or replaced by a uniform word) when its uniform from
    /// `ForwardProcess.noiseSource(seed: seed + b)` is below S, as `forward --seed` shows. The
    /// chain continues from the step whose time is nearest S. Returns that step.
    @discardableResult
    public func startEdit(_ edit: SentenceEdit) throws -> Int {
        let l = length
        let start = Int(((1 - edit.strength) * Double(totalSteps)).rounded())
        let t = times[start]
        for b in 0..<batch {
            var rng = ForwardProcess.noiseSource(seed: settings.seed &+ UInt64(b))
            for p in 0..<l {
                let u = rng.uniform()
                let r = Int32(rng.int(below: vocabularySize))
                guard !fixed[b * l + p] else { continue }
                let word = edit.source.ids[p]
                tokens[b * l + p] = Double(u) < t ? (kind == .masked ? maskID : r) : word
            }
        }
        stepsTaken = start
        previousSentence = []
        applyPins()
        return start
    }
}
