import ArgumentParser
import DenoiseCore
import Foundation

struct TrainClassifier: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-classifier",
        abstract: "Train the attribute classifier of a model on labelled E2E CSVs (mr column), in its frozen embedding space.")

    @OptionGroup var model: ModelOption
    @Option(name: .customLong("data"), parsing: .upToNextOption, help: "E2E CSV files with mr and ref columns; default: Data/e2e/devel-fixed.no-ol.csv and test-fixed.csv.") var data: [String] = []
    // 12,000 rather than fewer: on the bundled denoiser 3,000 and 6,000 read noisy latents and
    // swapped names worse and steer worse (docs/DECISIONS.md, "The classifier trains for 12,000
    // iterations").
    @Option(help: "Training iterations (3,000 take 88 s on 2 cores at the bundled model's size).") var iterations = 12000
    @Option(help: "Sequences per batch.") var batchSize = 64
    @Option var hidden = 64
    @Option var layers = 2
    @Option var heads = 4
    @Option var ffn = 256
    @Option var seed: UInt64 = 1
    @Option(help: "Probability of swapping each name/near/food/area/eatType value of a training sentence for another value (0 turns it off).")
    var substitutionRate: Float = 0.5
    @Option(help: "Share of the chosen mentions of two or more words broken (a word dropped, two exchanged, one from another value) and labelled none.")
    var brokenShare: Float = ClassifierData.brokenMentionShare
    @Option(help: "How positions are pooled: mean (one vector for every field) or attention (a learned query per field).")
    var pooling: Classifier.Pooling = .mean
    @Flag(inversion: .prefixedNo, help: "A tagger beside the sentence heads: per position, which word of which value stands there; names, places, food, area, eatType and price/rating phrases are then scored by their best span of adjacent words (--no-tagger: sentence heads only).")
    var tagger = true
    @Option(help: "Weight of the tagger's loss (summed over positions) against the sentence heads'.")
    var tagWeight: Float = ClassifierTrainer.defaultTagWeight

    func validate() throws {
        if iterations < 1 { throw ValidationError("--iterations must be positive") }
        if hidden % heads != 0 { throw ValidationError("--heads must divide --hidden") }
        if !(0...1).contains(brokenShare) { throw ValidationError("--broken-share must be in 0...1 (got \(brokenShare))") }
        if !(tagWeight >= 0 && tagWeight <= 100) { throw ValidationError("--tag-weight must be in 0...100 (got \(tagWeight))") }
        if !(0...1).contains(substitutionRate) { throw ValidationError("--substitution-rate must be in 0...1 (got \(substitutionRate))") }
    }

    func run() throws {
        try reportingErrors {
            try BLAS.withThreads(ProcessInfo.processInfo.activeProcessorCount) { try trainAndSave() }
        }
    }

    /// Trains the classifier (on every core's BLAS threads) and saves it into the model folder.
    func trainAndSave() throws {
        let folder = ModelFolder(path: model.path)
        let (denoiser, vocab) = try folder.loadDenoiser()
        let files = data.isEmpty ? try DefaultData.paths(DefaultData.labels, replacedBy: "--data") : data
        let examples = try files.flatMap { try CorpusReader.read(path: $0) }
        let cdata = try ClassifierData(examples: examples, vocabulary: vocab, length: denoiser.config.sequenceLength, heldOutPercent: 5)
        let start = Date()
        let trainer = train(denoiser: denoiser, data: cdata, start: start)
        let table = accuracyTable(trainer, diffusionSteps: denoiser.config.diffusionSteps)
        let classifier = trainer.classifier
        var final = classifier.config
        final.accuracy = table
        let saved = Classifier(config: final, sequenceLength: classifier.sequenceLength, embeddingDim: classifier.embeddingDim,
                               diffusionSteps: classifier.diffusionSteps)
        saved.params.values.copy(from: classifier.params.values)
        try folder.saveClassifier(saved)
        printAccuracy(table, fields: cdata.fields, heldOut: cdata.heldOutCount)
        print(String(format: "saved %@ (%.0f s)", folder.file(ModelFolder.classifierFile), Date().timeIntervalSince(start)))
    }

    /// A classifier trained for `iterations` in the denoiser's frozen embedding space.
    func train(denoiser: Denoiser, data cdata: ClassifierData, start: Date) -> ClassifierTrainer {
        var config = Classifier.Config(fields: cdata.fields)
        config.hiddenSize = hidden; config.layers = layers; config.heads = heads; config.ffnSize = ffn
        config.pooling = pooling
        if tagger { config.spanLengths = cdata.spanLengths }
        let classifier = Classifier(config: config, sequenceLength: denoiser.config.sequenceLength,
                                    embeddingDim: denoiser.config.embeddingDim, diffusionSteps: denoiser.config.diffusionSteps)
        var rng = RandomSource(seed: seed)
        classifier.params.initialise(rng: &rng)
        let trainer = ClassifierTrainer(classifier: classifier, denoiser: denoiser, data: cdata, batch: batchSize, seed: seed)
        trainer.totalIterations = iterations
        trainer.substitutionRate = substitutionRate
        trainer.brokenShare = brokenShare
        trainer.tagWeight = tagWeight
        print("classifier: \(cdata.trainCount) training, \(cdata.heldOutCount) held-out sentences; \(classifier.params.count) parameters")
        var average: Float = 0
        for i in 0..<iterations {
            let loss = trainer.step()
            average = i == 0 ? loss : 0.98 * average + 0.02 * loss
            if (i + 1) % 200 == 0 || i + 1 == iterations {
                print(String(format: "it %d/%d  loss %.4f  %.1f it/s", i + 1, iterations, average, Double(i + 1) / Date().timeIntervalSince(start)))
            }
        }
        return trainer
    }

    static let accuracyColumns = ["clean", "T/4", "T/2", "3T/4", "swapped", "broken"]
    static let spanColumns = ["span", "span T/2", "span broken"]

    /// Held-out accuracy per field at four noise levels and on swapped and broken mentions;
    /// with a tagger, also the tagged fields judged by their best spans (clean, T/2, broken).
    func accuracyTable(_ trainer: ClassifierTrainer, diffusionSteps t: Int) -> [String: [String: Double]] {
        var table = [String: [String: Double]]()
        for (label, step) in [("clean", 0), ("T/4", t / 4), ("T/2", t / 2), ("3T/4", 3 * t / 4)] {
            table[label] = trainer.accuracy(t: step)
        }
        table["swapped"] = trainer.accuracy(t: 0, substituted: true)
        table["broken"] = trainer.accuracy(t: 0, broken: true)
        if trainer.classifier.tags.total > 0 {
            let tagged = Set(trainer.classifier.fields.indices.filter { trainer.classifier.tags.blockOffsets[$0] != nil }
                .map { trainer.classifier.fields[$0].name })
            for (label, step, broken) in [("span", 0, false), ("span T/2", t / 2, false), ("span broken", 0, true)] {
                table[label] = trainer.accuracy(t: step, broken: broken, spans: true).filter { tagged.contains($0.key) }
            }
        }
        return table
    }

    func printAccuracy(_ table: [String: [String: Double]], fields: [Classifier.Field], heldOut: Int) {
        let columns = Self.accuracyColumns + (table["span"] == nil ? [] : Self.spanColumns)
        print("held-out accuracy per field (\(heldOut) sentences):")
        print("(swapped: clean, every name/near/food/area/eatType value and price/rating phrase swapped for another, which the classifier must read from the words;")
        let brokenNote = " broken: clean, every such mention of two or more words broken: a word dropped, two exchanged or one taken from another value"
        if table["span"] != nil {
            print(brokenNote + ";")
            print(" span: the tagged fields judged by the tagger: the value whose best run of adjacent words has p > 0.5, else none)")
        } else {
            print(brokenNote + ")")
        }
        print("field".padding(toLength: 18, withPad: " ", startingAt: 0) + columns.map { $0.padding(toLength: 12, withPad: " ", startingAt: 0) }.joined())
        for f in fields {
            let cells = columns.map { c in table[c]?[f.name].map { String(format: "%-12.3f", $0) } ?? "-           " }.joined()
            print(f.name.padding(toLength: 18, withPad: " ", startingAt: 0) + cells)
        }
    }
}

extension Classifier.Pooling: ExpressibleByArgument {}
