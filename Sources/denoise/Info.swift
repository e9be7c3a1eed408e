import ArgumentParser
import DenoiseCore
import Foundation

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show a model's parameters, vocabulary, schedule and controls.")
    @Option(help: "Model folder (default: Models/e2e of this repository).") var model: String?

    func run() throws {
        reportingErrors {
            let path = model ?? defaultModelPath()
            let m = try DiffusionModel.load(path: path)
            let c = m.config
            let schedule = NoiseSchedule(sqrtSteps: c.diffusionSteps)
            print("model       \(path)")
            print("blas        \(BLAS.summary)")
            print("parameters  \(m.denoiser.parameterCount) (denoiser + embedding + head bias)")
            print("architecture L=\(c.sequenceLength) d=\(c.embeddingDim) H=\(c.hiddenSize) layers=\(c.layers) heads=\(c.heads) ffn=\(c.ffnSize)")
            print("vocabulary  \(m.vocabulary.count) words (PAD START END UNK + \(m.vocabulary.count - 4))")
            print(String(format: "schedule    %@, T=%d, alpha-bar %.4f -> %.6f", c.schedule, c.diffusionSteps,
                         schedule.alphaBars[0], schedule.alphaBars[schedule.count - 1]))
            if let t = c.training {
                print(String(format: "training    %d iterations, batch %d, %.1f min, data %@", t.iterations, t.batchSize,
                             t.wallSeconds / 60, t.data.joined(separator: ", ")))
                if let source = t.startedFrom { print("            started from \(source)") }
                if let share = t.fixedLengthShare { print(String(format: "            %.0f%% of sentences trained with their length fixed", share * 100)) }
            } else {
                print("training    none (randomly initialised)")
            }
            if let cl = m.classifier {
                print("classifier  \(cl.params.count) parameters, H=\(cl.config.hiddenSize) layers=\(cl.config.layers)")
                for f in cl.fields { print("  \(f.name): \(f.values.joined(separator: ", "))") }
            } else {
                print("classifier  none (controls unavailable)")
            }
        }
    }
}

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a randomly initialised model (a stand-in for tests and demos).")
    @Option(help: "Output model folder.") var out: String
    @Option(help: "Corpus whose vocabulary to use (CSV or text); default: a tiny built-in word list.") var data: [String] = []
    @Option var length = 48
    @Option var embeddingDim = 16
    @Option var hidden = 128
    @Option var layers = 4
    @Option var heads = 4
    @Option var ffn = 512
    @Option var diffusionSteps = 2000
    @Option var seed: UInt64 = 1

    func run() throws {
        reportingErrors {
            let sentences: [[String]]
            if data.isEmpty {
                sentences = [Tokenizer.tokenize("the a an is near pub restaurant coffee shop . , food Italian French cheap riverside")]
            } else {
                sentences = try data.flatMap { try CorpusReader.read(path: $0) }.map { Tokenizer.tokenize($0.text) }
            }
            let vocab = Vocabulary(sentences: sentences, minCount: 1)
            let config = ModelConfig(vocabSize: vocab.count, sequenceLength: length, embeddingDim: embeddingDim, hiddenSize: hidden,
                                     layers: layers, heads: heads, ffnSize: ffn, diffusionSteps: diffusionSteps)
            try config.validate(file: "init options")
            let model = Denoiser(config: config, seed: seed)
            try ModelFolder(path: out).save(model: model, weights: model.params.values, vocabulary: vocab, config: config)
            print("wrote \(out): \(model.parameterCount) parameters, vocabulary \(vocab.count)")
        }
    }
}
