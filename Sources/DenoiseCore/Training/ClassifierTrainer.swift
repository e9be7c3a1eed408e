import Foundation

/// Labelled sentences for the attribute classifier: ids in the denoiser's vocabulary and, per
/// field, the class index (the value, or "none" = values.count).
public struct ClassifierData: Sendable {
    public let fields: [Classifier.Field]
    public let trainIDs: [Int32], trainLabels: [Int32]
    public let heldOutIDs: [Int32], heldOutLabels: [Int32]
    public let trainCount: Int, heldOutCount: Int
    public let length: Int

    /// Field values are those seen in the training part, most frequent first.
    public init(examples: [CorpusExample], vocabulary: Vocabulary, length: Int, heldOutPercent: Int) throws {
        let labelled = examples.filter { $0.meaning != nil }
        guard !labelled.isEmpty else {
            throw DenoiseError.invalid("no labelled sentences: the classifier needs E2E CSV files with an mr column")
        }
        var counts = [String: [String: Int]]()
        for ex in labelled where !TrainingData.isHeldOut(ex.text, percent: heldOutPercent) {
            for (f, v) in ex.meaning!.values where MeaningRepresentation.fields.contains(f) { counts[f, default: [:]][v, default: 0] += 1 }
        }
        let fields = MeaningRepresentation.fields.compactMap { f -> Classifier.Field? in
            guard let c = counts[f] else { return nil }
            return Classifier.Field(name: f, values: c.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map(\.key))
        }
        var tIDs = [Int32](), tLabels = [Int32](), hIDs = [Int32](), hLabels = [Int32]()
        for ex in labelled {
            guard let ids = vocabulary.encode(Tokenizer.tokenize(ex.text), length: length) else { continue }
            let labels = fields.map { f -> Int32 in
                guard let v = ex.meaning!.values[f.name], let i = f.values.firstIndex(of: v) else { return Int32(f.values.count) }
                return Int32(i)
            }
            if TrainingData.isHeldOut(ex.text, percent: heldOutPercent) { hIDs += ids; hLabels += labels } else { tIDs += ids; tLabels += labels }
        }
        self.fields = fields
        trainIDs = tIDs; trainLabels = tLabels; heldOutIDs = hIDs; heldOutLabels = hLabels
        trainCount = tIDs.count / length; heldOutCount = hIDs.count / length
        self.length = length
        guard trainCount > 0 else { throw DenoiseError.invalid("no labelled sentence fits the model's length \(length)") }
    }
}

/// Trains the classifier on forward-noised clean embeddings of the frozen denoiser
/// (a quarter of each batch clean, at t = 0; the rest at t uniform in 0..<T).
public final class ClassifierTrainer {
    public let classifier: Classifier
    public let data: ClassifierData
    let denoiser: Denoiser
    let schedule: NoiseSchedule
    let batch: Int
    let ws: Classifier.Workspace
    let optimizer: AdamW
    let x: FloatBuffer
    let ids: UnsafeMutablePointer<Int32>
    let labels: UnsafeMutablePointer<Int32>
    let timesteps: UnsafeMutablePointer<Int32>
    public var rng: RandomSource
    public private(set) var iteration = 0
    public var learningRate: Float = 1e-3
    /// Length of the cosine learning-rate decay.
    public var totalIterations = 4000

    public init(classifier: Classifier, denoiser: Denoiser, data: ClassifierData, batch: Int = 64, seed: UInt64 = 1) {
        self.classifier = classifier; self.denoiser = denoiser; self.data = data; self.batch = batch
        schedule = NoiseSchedule(sqrtSteps: denoiser.config.diffusionSteps)
        ws = Classifier.Workspace(classifier: classifier, batch: batch)
        optimizer = AdamW(count: classifier.params.count)
        x = FloatBuffer(count: batch * data.length * denoiser.config.embeddingDim)
        ids = .allocate(capacity: batch * data.length); ids.initialize(repeating: 0, count: batch * data.length)
        labels = .allocate(capacity: batch * data.fields.count); labels.initialize(repeating: 0, count: batch * data.fields.count)
        timesteps = .allocate(capacity: batch); timesteps.initialize(repeating: 0, count: batch)
        rng = RandomSource(seed: seed &+ 0xC1A5)
    }

    deinit { ids.deallocate(); labels.deallocate(); timesteps.deallocate() }

    /// x = sqrt(abar_t) E[ids] + sqrt(1 - abar_t) eps for row b (t = 0 means clean E[ids]).
    func noised(row b: Int, t: Int) {
        let l = data.length, d = denoiser.config.embeddingDim
        let e = denoiser.params.values.pointer + denoiser.embeddingOffset
        let a = t == 0 ? 1 : Float(schedule.alphaBars[t].squareRoot()), s = t == 0 ? 0 : Float((1 - schedule.alphaBars[t]).squareRoot())
        for p in 0..<l {
            let src = e + Int(ids[b * l + p]) * d, dst = x.pointer + (b * l + p) * d
            for j in 0..<d { dst[j] = a * src[j] + (s == 0 ? 0 : s * rng.normal()) }
        }
        timesteps[b] = Int32(t)
    }

    /// Mean cross-entropy over fields of one batch, with its gradient into `ws.dLogits`.
    func loss(rows: Int) -> Float {
        let nf = data.fields.count, total = classifier.totalClasses
        let probs = ws.probabilities.pointer, dl = ws.dLogits.pointer
        ws.dLogits.zero()
        var loss: Float = 0
        let scale = 1 / Float(rows * nf)
        for b in 0..<rows {
            for k in 0..<nf {
                let off = b * total + classifier.logitOffsets[k], c = Int(labels[b * nf + k])
                loss -= logf(max(probs[off + c], 1e-12)) * scale
                for j in 0..<data.fields[k].classCount { dl[off + j] = probs[off + j] * scale }
                dl[off + c] -= scale
            }
        }
        return loss
    }

    @discardableResult
    public func step() -> Float {
        let l = data.length, nf = data.fields.count
        for b in 0..<batch {
            let k = rng.int(below: data.trainCount)
            data.trainIDs.withUnsafeBufferPointer { (ids + b * l).update(from: $0.baseAddress! + k * l, count: l) }
            data.trainLabels.withUnsafeBufferPointer { (labels + b * nf).update(from: $0.baseAddress! + k * nf, count: nf) }
            noised(row: b, t: b < batch / 4 ? 0 : rng.int(below: schedule.count))
        }
        classifier.forward(x: x.pointer, timesteps: timesteps, batch: batch, workspace: ws)
        let value = loss(rows: batch)
        classifier.backward(x: x.pointer, batch: batch, workspace: ws, dx: nil)
        let progress = Float(iteration) / Float(max(1, totalIterations))
        let lr = learningRate * max(0.1, 0.5 * (1 + cosf(Float.pi * min(progress, 1))))
        optimizer.update(params: classifier.params.values.pointer, grads: ws.grads.pointer, count: classifier.params.count, learningRate: lr)
        iteration += 1
        return value
    }

    /// Held-out accuracy of every field at time index t (0: clean).
    public func accuracy(t: Int) -> [String: Double] {
        let l = data.length, nf = data.fields.count
        var correct = [Int](repeating: 0, count: nf)
        var start = 0
        while start < data.heldOutCount {
            let rows = min(batch, data.heldOutCount - start)
            for b in 0..<rows {
                data.heldOutIDs.withUnsafeBufferPointer { (ids + b * l).update(from: $0.baseAddress! + (start + b) * l, count: l) }
                data.heldOutLabels.withUnsafeBufferPointer { (labels + b * nf).update(from: $0.baseAddress! + (start + b) * nf, count: nf) }
                noised(row: b, t: t)
            }
            classifier.forward(x: x.pointer, timesteps: timesteps, batch: rows, workspace: ws)
            for b in 0..<rows {
                for k in 0..<nf {
                    var best = 0, bestP: Float = -1
                    for c in 0..<data.fields[k].classCount {
                        let p = classifier.probability(field: k, classIndex: c, sequence: b, workspace: ws)
                        if p > bestP { bestP = p; best = c }
                    }
                    if best == Int(labels[b * nf + k]) { correct[k] += 1 }
                }
            }
            start += rows
        }
        var out = [String: Double]()
        for (k, f) in data.fields.enumerated() { out[f.name] = Double(correct[k]) / Double(max(1, data.heldOutCount)) }
        return out
    }
}
