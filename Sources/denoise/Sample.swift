import ArgumentParser
import DenoiseCore
import Foundation

struct Sample: ParsableCommand {
    /// `--format`: one sentence per line, or one JSON object per sample.
    enum Format: String, CaseIterable, ExpressibleByArgument {
        case text, jsonl
    }

    static let configuration = CommandConfiguration(
        abstract: "Generate sentences (all samples run as one batch).")

    @OptionGroup var chain: ChainOptions
    @Option(help: "Number of samples.") var count = 1
    @Option(help: "Output format.") var format = Format.text
    @Option(help: "Write a JSONL trace of every step of the first sample to this file.") var trace: String?

    func validate() throws {
        if count < 1 || count > 100_000 { throw ValidationError("--count must be in 1...100000 (got \(count))") }
    }

    func run() throws {
        try reportingErrors {
            BLAS.setThreads(1)
            let model = try chain.loadModel()
            let settings = chain.settings()
            let results = try SampleRunner.run(model: model, settings: settings, count: count, tracePath: trace)
            for r in results {
                if format == .jsonl {
                    print(Trace.json(r))
                } else {
                    print(r.text)
                }
            }
        }
    }
}
