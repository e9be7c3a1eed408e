import ArgumentParser
import DenoiseCore
import Foundation

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a randomly initialised model (a stand-in for tests and demos).")

    @Option(help: ArgumentHelp("Output model folder.", valueName: "DIR")) var out: String
    @Option(name: .customLong("data"), parsing: .upToNextOption,
            help: "Corpus files whose vocabulary to use (CSV or text); default: a tiny built-in word list.")
    var data: [String] = []
    @OptionGroup var architecture: ArchitectureOptions
    @Option(help: "Random seed of the weights.") var seed: UInt64 = 1

    func run() throws {
        try reportingErrors {
            let sentences: [[String]]
            if data.isEmpty {
                sentences = [Tokenizer.tokenize("the a an is near pub restaurant coffee shop . , food Italian French cheap riverside")]
            } else {
                sentences = try data.flatMap { try CorpusReader.read(path: $0) }.map { Tokenizer.tokenize($0.text) }
            }
            let built = Vocabulary(sentences: sentences, minCount: 1)
            let vocab = try architecture.modelKind() == .masked ? built.addingMask() : built
            let config = try architecture.config(vocabSize: vocab.count)
            try config.validate(file: "init options")
            let model = Denoiser(config: config, seed: seed)
            try ModelFolder(path: out).save(model: model, weights: model.params.values, vocabulary: vocab, config: config)
            print("wrote \(out): \(model.parameterCount) parameters, vocabulary \(vocab.count)")
        }
    }
}
