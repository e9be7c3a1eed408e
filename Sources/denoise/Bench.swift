import ArgumentParser
import DenoiseCore
import DenoiseTUI
import Foundation

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure latency and throughput (medians after warm-up; use a release build).")

    @OptionGroup var model: ModelOption
    @Option(help: "Output format.") var format = ReportFormat.text
    @Option(help: "Training iterations to time.") var trainIterations = 15
    @Option(help: "BLAS threads for the batch-1 inference timings (the engine's setting is 1).") var inferenceThreads = 1

    func validate() throws {
        if !(1...256).contains(inferenceThreads) { throw ValidationError("--inference-threads must be 1...256 (got \(inferenceThreads))") }
    }

    func run() throws {
        try reportingErrors {
            var settings = BenchmarkSettings(model: try model.load(), modelPath: model.path)
            settings.trainIterations = trainIterations
            settings.inferenceThreads = inferenceThreads
            settings.renderFrame = { state, summary, view in
                switch view {
                case .strip: _ = Playground.benchFrame(.strip, engineState: state, summary: summary)
                case .geometry: _ = Playground.benchFrame(.geometry, engineState: state, summary: summary)
                case .timeline: _ = Playground.benchFrame(.timeline, engineState: state, summary: summary)
                case .compare:
                    let side = CompareSide(summary: summary, engine: state)
                    _ = Playground.benchCompareFrame(top: side, bottom: side)
                }
            }
            let result = try Benchmark(settings: settings).run()
            switch format {
            case .json: print(result.json)
            case .text:
                result.report.forEach { print($0) }
                if let hint = BLAS.kernelHint { print(hint) }
            }
        }
    }
}
