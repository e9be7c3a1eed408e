import Foundation

/// A few sentences sampled from a run's current EMA weights, with their fluency against the
/// training corpus (the share of their word trigrams found in it).
public struct TrainingSamples: Sendable, Equatable {
    /// The iteration whose EMA weights made the sentences.
    public var iteration: Int
    public var sentences: [String]
    /// Per sentence: the share of its trigrams found in the training sentences (nil when it has
    /// fewer than three words).
    public var fluency: [Double?]
    /// The share over all the sentences' trigrams together.
    public var overallFluency: Double
    /// Wall time the sampling took.
    public var seconds: Double

    public init(iteration: Int, sentences: [String], fluency: [Double?], overallFluency: Double, seconds: Double) {
        self.iteration = iteration; self.sentences = sentences; self.fluency = fluency
        self.overallFluency = overallFluency; self.seconds = seconds
    }
}

/// Samples from the EMA weights between iterations. Holds its own denoiser (allocated once), so
/// the trainer's buffers are only read.
final class TrainingSampler {
    let model: DiffusionModel
    let index: TrigramIndex
    let count: Int
    let steps: Int
    let workers: Int

    init(config: ModelConfig, data: TrainingData, count: Int, steps: Int, workers: Int) {
        model = DiffusionModel(name: "training", denoiser: Denoiser(config: config), vocabulary: data.vocabulary)
        index = TrigramIndex(sentences: data.trainSentences)
        self.count = count
        self.steps = steps
        self.workers = workers
    }

    /// `count` sentences from `trainer`'s EMA weights, seeded by the iteration so every sample
    /// set is new.
    func sample(_ trainer: Trainer) throws -> TrainingSamples {
        let start = Date()
        model.denoiser.params.values.copy(from: trainer.ema)
        let settings = ChainSettings(seed: UInt64(trainer.iteration) &+ 1, steps: steps)
        let ids = try BatchSampler.sample(model: model, settings: settings, count: count, workers: workers).ids
        let tokens = ids.map { model.vocabulary.decode($0) }
        let fluency = tokens.map { sentence -> Double? in
            let c = index.count(sentence)
            return c.total == 0 ? nil : Double(c.found) / Double(c.total)
        }
        return TrainingSamples(iteration: trainer.iteration, sentences: tokens.map(Tokenizer.join), fluency: fluency,
                               overallFluency: index.share(tokens), seconds: Date().timeIntervalSince(start))
    }
}
