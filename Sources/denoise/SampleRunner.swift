import DenoiseCore
import Foundation

/// One generated sample as the CLI reports it (and, encoded, one line of `--format jsonl`).
struct SampleResult: Encodable {
    var seed: UInt64
    var text: String
    var tokens: [String]
    var scores: [String: Double]
}

/// Runs `count` chains batched (split over the cores as `SamplingParallelism.standard` says),
/// and with a trace, the first sample's chain on its own with a snapshot per step (it is the
/// same chain: same seed).
enum SampleRunner {
    /// How `sample` splits its chains; `DENOISE_SAMPLE_PARALLELISM` (`chains` or `threads`)
    /// overrides the standard choice, for measuring the two against each other.
    static var parallelism: SamplingParallelism {
        ProcessInfo.processInfo.environment["DENOISE_SAMPLE_PARALLELISM"].flatMap(SamplingParallelism.init(rawValue:)) ?? .standard
    }

    /// With `edit`, every chain starts from the edit's noised sentence (`settings` are the edit's).
    static func run(model: DiffusionModel, settings: ChainSettings, count: Int, tracePath: String?,
                    edit: SentenceEdit? = nil) throws -> [SampleResult] {
        let prepare: (any DiffusionChain) throws -> Void = { chain in if let edit { try chain.startEdit(edit) } }
        let batch = try BatchSampler.sample(model: model, settings: settings, count: count, parallelism: parallelism,
                                            prepare: prepare)
        let results = (0..<count).map { b -> SampleResult in
            let words = model.vocabulary.decode(batch.ids[b])
            return SampleResult(seed: settings.seed &+ UInt64(b), text: Tokenizer.join(words), tokens: words,
                                scores: batch.scores[b].mapValues { (Double($0) * 1e4).rounded() / 1e4 })
        }
        if let tracePath {
            let chain = try model.makeChain(settings: settings)
            try prepare(chain)
            let snapshots = BLAS.withThreads(model.denoiser.inferenceThreads) { () -> [StepSnapshot] in
                var snapshots = [StepSnapshot]()
                while let snapshot = chain.next() { snapshots.append(snapshot) }
                return snapshots
            }
            try Trace.write(header: TraceHeader(model: model.summary, settings: settings), snapshots: snapshots,
                            text: chain.text(sequence: 0), to: tracePath)
        }
        return results
    }
}
