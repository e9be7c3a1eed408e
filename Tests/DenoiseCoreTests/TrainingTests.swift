import Foundation
import Testing
@testable import DenoiseCore

@Suite struct TrainingTests {
    func tinyTrainer(seed: UInt64 = 1, total: Int = 60) throws -> Trainer {
        let data = try Fixtures.data()
        var options = TrainOptions()
        options.batchSize = 8
        options.totalIterations = total
        options.warmupIterations = 5
        options.peakLearningRate = 3e-3
        options.seed = seed
        let model = Denoiser(config: Fixtures.config(vocab: data.vocabulary.count), seed: seed)
        return Trainer(model: model, data: data, options: options, workers: 2)
    }

    func temporaryFolder() -> String {
        let path = NSTemporaryDirectory() + "denoise-test-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func lossFallsOnATinyCorpus() throws {
        let trainer = try tinyTrainer()
        var first: Float = 0, last: Float = 0
        for i in 0..<60 {
            let parts = trainer.step()
            if i < 5 { first += parts.total / 5 }
            if i >= 55 { last += parts.total / 5 }
        }
        #expect(last < first * 0.8, "loss went from \(first) to \(last)")
    }

    @Test func resumingGivesBitIdenticalWeights() throws {
        let straight = try tinyTrainer()
        for _ in 0..<20 { straight.step() }

        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let statePath = folder + "/" + Trainer.stateFile
        let first = try tinyTrainer()
        for _ in 0..<12 { first.step() }
        try first.saveState(to: statePath)
        // A fresh process would rebuild the trainer from scratch, then load the state.
        let resumed = try tinyTrainer(seed: 1)
        try resumed.loadState(from: statePath)
        #expect(resumed.iteration == 12)
        for _ in 0..<8 { resumed.step() }
        #expect(resumed.model.params.values.array == straight.model.params.values.array)
        #expect(resumed.ema.array == straight.ema.array)
    }

    @Test func savedModelSamplesExactlyLikeTheInMemoryOne() throws {
        let trainer = try tinyTrainer()
        for _ in 0..<10 { trainer.step() }
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let config = trainer.model.config
        try ModelFolder(path: folder).save(model: trainer.model, weights: trainer.ema, vocabulary: trainer.data.vocabulary, config: config)

        let inMemory = Denoiser(config: config)
        inMemory.params.values.copy(from: trainer.ema)
        let a = DiffusionModel(name: "memory", denoiser: inMemory, vocabulary: trainer.data.vocabulary)
        let b = try DiffusionModel.load(path: folder)
        let settings = ChainSettings(seed: 4, steps: 20)
        let chainA = try ReverseChain(model: a, settings: settings), chainB = try ReverseChain(model: b, settings: settings)
        chainA.runToEnd(); chainB.runToEnd()
        #expect(chainA.latent.array == chainB.latent.array)
        #expect(chainA.text(sequence: 0) == chainB.text(sequence: 0))
    }

    @Test func interruptedSaveLeavesNoBrokenFile() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/model.safetensors"
        try AtomicFile.write(Data("old".utf8), to: path)
        // A write that fails half-way (folder vanished) must leave the old file untouched.
        #expect(throws: DenoiseError.self) { try AtomicFile.write(Data("new".utf8), to: folder + "/missing/model.safetensors") }
        #expect(FileManager.default.contents(atPath: path) == Data("old".utf8))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
    }

    /// A corpus the defaults do not fit gets advice naming the option and a value that fits;
    /// one they fit gets none.
    @Test func corpusAdviceNamesTheLengthAndTheVocabularyRule() throws {
        func corpus(_ lines: [String]) -> [CorpusExample] { lines.map { CorpusExample(text: $0, meaning: nil) } }
        let repeated = (0..<40).map { _ in "the cat sat on the mat ." }
        let fits = try TrainingData(examples: corpus(repeated), length: 16, minCount: 2, heldOutPercent: 0)
        #expect(fits.corpusAdvice(minCount: 2).isEmpty)

        // 20 of 60 sentences have 30 tokens: L = 16 drops them; 99% fit in 30 + 2 = 32.
        let long = (0..<20).map { _ in Array(repeating: "the cat", count: 15).joined(separator: " ") }
        let dropping = try TrainingData(examples: corpus(repeated + long), length: 16, minCount: 2, heldOutPercent: 0)
        #expect(dropping.droppedTooLong == 20)
        #expect(dropping.lengthKeeping99Percent == 32)
        let advice = dropping.corpusAdvice(minCount: 2)
        #expect(advice.count == 1 && advice[0].contains("--length 32"))

        // Every sentence adds a word seen once: 1 of 8 words is UNK.
        let rare = (0..<40).map { "the cat sat on the mat w\($0) ." }
        let unknowns = try TrainingData(examples: corpus(rare), length: 16, minCount: 2, heldOutPercent: 0)
        #expect(abs(unknowns.unknownShare - 1.0 / 8) < 1e-9)
        #expect(unknowns.corpusAdvice(minCount: 2).contains { $0.contains("--min-count 1") })
        #expect(unknowns.corpusAdvice(minCount: 1).isEmpty)
    }
}

@Suite struct HeldOutLossTests {
    /// A tiny model trained until it memorises its half of a small corpus scores its own
    /// sentences better than the held-out half, and the same seed measures the same numbers.
    @Test func heldOutLossExceedsTrainingLossOnceAModelMemorisesItsCorpus() throws {
        let examples = (Fixtures.sentences + TinyModel.sentences).map { CorpusExample(text: $0, meaning: nil) }
        let percent = 50
        let data = try TrainingData(examples: examples, length: 16, minCount: 1, heldOutPercent: percent)
        try #require(data.heldOutSentences.count >= 2 && data.trainCount >= 2, "the split needs sentences on both sides")
        var config = ModelConfig(vocabSize: data.vocabulary.count, sequenceLength: 16, embeddingDim: 4, hiddenSize: 16,
                                 layers: 1, heads: 2, ffnSize: 24, diffusionSteps: 50)
        config.training = TrainingRecord(data: [], iterations: 0, batchSize: 8, seed: 1, minCount: 1, heldOutPercent: percent,
                                         heldOutRule: TrainingData.heldOutRule, wallSeconds: 0, finalLosses: [:])
        let denoiser = Denoiser(config: config, seed: 2)
        var options = TrainOptions()
        options.batchSize = 8; options.totalIterations = 200; options.warmupIterations = 10; options.peakLearningRate = 5e-3
        let trainer = Trainer(model: denoiser, data: data, options: options, workers: 1)
        for _ in 0..<200 { trainer.step() }
        let model = DiffusionModel(name: "tiny", denoiser: denoiser, vocabulary: data.vocabulary, classifier: nil)
        let r = try #require(try HeldOutLoss.measure(model: model, examples: examples, batches: 4, seed: 9))
        #expect(r.trainingSentences == data.trainCount && r.heldOutSentences == data.heldOutSentences.count)
        #expect(r.heldOut.total > r.training.total * 1.2, "held out \(r.heldOut.total), training \(r.training.total)")
        // The same seed draws the same sentences, times and noise, and the weights are only read:
        // the same figures (another draw moves them by far more than this tolerance).
        let weights = model.denoiser.params.values.array
        let again = try #require(try HeldOutLoss.measure(model: model, examples: examples, batches: 4, seed: 9))
        #expect(model.denoiser.params.values.array == weights, "measuring wrote to the weights")
        #expect(abs(again.training.total - r.training.total) <= 1e-5 * r.training.total
                && abs(again.heldOut.total - r.heldOut.total) <= 1e-5 * r.heldOut.total)
        let other = try #require(try HeldOutLoss.measure(model: model, examples: examples, batches: 4, seed: 10))
        #expect(abs(other.training.total - r.training.total) > 1e-3 * r.training.total, "another seed, the same draw")
    }
}

/// The optimizer options a resume state keeps.
@Suite struct TrainOptionsCodingTests {
    /// Every stored option has a coding key (so the hand-written decoder reads it), states saved
    /// before `fixedLengthShare` and `decayAnchor` read with their defaults, and the others stay
    /// required.
    @Test func resumeStatesReadOldAndNewOptions() throws {
        var options = TrainOptions()
        options.fixedLengthShare = 0.5
        options.embeddingNorm = 2
        options.replan(totalIterations: 500, at: 300)
        let labels = Set(Mirror(reflecting: options).children.compactMap(\.label))
        #expect(labels == Set(TrainOptions.CodingKeys.allCases.map(\.stringValue)))
        let data = try JSONEncoder().encode(options)
        #expect(try JSONDecoder().decode(TrainOptions.self, from: data) == options)

        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        for key in ["fixedLengthShare", "decayAnchor", "embeddingNorm"] { object.removeValue(forKey: key) }
        let old = try JSONDecoder().decode(TrainOptions.self, from: JSONSerialization.data(withJSONObject: object))
        #expect(old.fixedLengthShare == 0 && old.decayAnchor == nil && old.embeddingNorm == nil)
        #expect(old.totalIterations == 500 && old.seed == options.seed)
        object.removeValue(forKey: "seed")
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(TrainOptions.self, from: JSONSerialization.data(withJSONObject: object))
        }
    }
}

/// config.json: every stored property has a coding key; configs written before
/// self-conditioning (or by the reference converter) read as not self-conditioned.
@Suite struct ModelConfigCodingTests {
    @Test func configsWithoutSelfConditioningReadAsFalse() throws {
        let config = ModelConfig(vocabSize: 20, selfConditioning: true)
        #expect(Set(Mirror(reflecting: config).children.compactMap(\.label)) == Set(ModelConfig.CodingKeys.allCases.map(\.stringValue)))
        let data = try JSONEncoder().encode(config)
        #expect(try JSONDecoder().decode(ModelConfig.self, from: data) == config)
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        object.removeValue(forKey: "selfConditioning")
        let old = try JSONDecoder().decode(ModelConfig.self, from: JSONSerialization.data(withJSONObject: object))
        #expect(!old.selfConditioning && old.vocabSize == 20)
        object.removeValue(forKey: "heads")
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(ModelConfig.self, from: JSONSerialization.data(withJSONObject: object))
        }
    }
}
