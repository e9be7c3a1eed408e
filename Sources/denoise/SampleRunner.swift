import DenoiseCore
import Foundation

/// One generated sample as the CLI reports it.
struct SampleResult {
    var seed: UInt64
    var text: String
    var tokens: [String]
    var scores: [String: Double]
}

/// Runs `count` chains as one batch (one matrix product per layer for all of them), and the
/// trace of the first when asked.
enum SampleRunner {
    static func run(model: DiffusionModel, settings: ChainSettings, count: Int, tracePath: String?) throws -> [SampleResult] {
        let chain = try ReverseChain(model: model, settings: settings, batch: count)
        var snapshots = [StepSnapshot]()
        if tracePath != nil {
            while !chain.isFinished { if let s = chain.step(record: true) { snapshots.append(s) } }
        } else {
            chain.runToEnd()
        }
        let scores = chain.finalScores()
        let results = (0..<count).map { b -> SampleResult in
            let words = model.vocabulary.decode(chain.tokenIDs(sequence: b))
            return SampleResult(seed: settings.seed &+ UInt64(b), text: Tokenizer.join(words), tokens: words,
                                scores: scores.isEmpty ? [:] : scores[b].mapValues { (Double($0) * 1e4).rounded() / 1e4 })
        }
        if let tracePath { try Trace.write(snapshots, text: results[0].text, to: tracePath) }
        return results
    }
}
