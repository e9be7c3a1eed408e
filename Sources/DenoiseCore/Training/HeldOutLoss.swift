import Foundation

/// The training loss of a model's saved weights on its training sentences and on the sentences
/// held out of training, under the same random times, noise and length fixing: a held-out loss
/// well above the training loss says the model is fitting its corpus rather than its language,
/// so more iterations of the same recipe will not make it more fluent.
public struct HeldOutLoss: Sendable {
    public var training: LossParts
    public var heldOut: LossParts
    public var trainingSentences: Int
    public var heldOutSentences: Int
    /// Sequences each side was measured on.
    public var sequences: Int

    /// Measures `batches` batches of 64 sequences on each side, drawn with `seed`. The
    /// held-out sentences that do not fit the model (too long) are left out; nil when none fits.
    public static func measure(model: DiffusionModel, examples: [CorpusExample], batches: Int, seed: UInt64) throws -> HeldOutLoss? {
        let c = model.config
        let percent = c.training?.heldOutPercent ?? 5
        let held = examples.filter { TrainingData.isHeldOut($0.text, percent: percent) }
        let trainingData = try TrainingData(examples: examples, length: c.sequenceLength, minCount: 1, heldOutPercent: percent,
                                            vocabulary: model.vocabulary)
        guard let heldOutData = try? TrainingData(examples: held, length: c.sequenceLength, minCount: 1, heldOutPercent: 0,
                                                  vocabulary: model.vocabulary) else { return nil }
        var options = TrainOptions()
        options.fixedLengthShare = Float(c.training?.fixedLengthShare ?? 0)
        options.seed = seed
        // The trainer's own arithmetic: data-parallel shards, each on single-threaded BLAS, as
        // `TrainingRun` runs it, whatever the caller uses.
        func mean(_ data: TrainingData) -> LossParts {
            // The loaded weights are read, never updated: only the loss and its scratch gradients run.
            let trainer = Trainer(model: model.denoiser, data: data, options: options)
            var sum = LossParts()
            for _ in 0..<batches { sum.add(trainer.lossAndGradients()) }
            return sum.scaled(by: 1 / Float(max(batches, 1)))
        }
        let (training, heldOut) = BLAS.withThreads(1) { (mean(trainingData), mean(heldOutData)) }
        return HeldOutLoss(training: training, heldOut: heldOut, trainingSentences: trainingData.trainCount,
                           heldOutSentences: heldOutData.trainCount, sequences: batches * options.batchSize)
    }
}
