import Foundation

/// Runs many chains at once: the samples are split into one batched chain per core, each on
/// its own thread with single-threaded BLAS. Sample i always uses seed + i, however the work
/// is split.
public enum BatchSampler {
    public struct Result: Sendable {
        public var ids: [[Int32]]
        public var scores: [[String: Float]]
    }

    /// The chains of one run; each is touched by exactly one thread during `concurrentPerform`.
    final class Shards: @unchecked Sendable {
        let chains: [any DiffusionChain]
        init(_ chains: [any DiffusionChain]) { self.chains = chains }
    }

    /// `prepare` runs on each chain before it starts (e.g. to start it from an edit's latent).
    public static func sample(model: DiffusionModel, settings: ChainSettings, count: Int,
                              workers: Int = ProcessInfo.processInfo.activeProcessorCount,
                              prepare: (any DiffusionChain) throws -> Void = { _ in }) throws -> Result {
        let n = max(1, min(workers, count))
        var chains = [any DiffusionChain]()
        for w in 0..<n {
            let lo = w * count / n, hi = (w + 1) * count / n
            var s = settings
            s.seed = settings.seed &+ UInt64(lo)
            let chain = try model.makeChain(settings: s, batch: hi - lo)
            try prepare(chain)
            chains.append(chain)
        }
        let shards = Shards(chains)
        DispatchQueue.concurrentPerform(iterations: n) { shards.chains[$0].runToEnd() }
        var result = Result(ids: [], scores: [])
        for chain in chains {
            let scores = chain.finalScores()
            for b in 0..<chain.batch {
                result.ids.append(chain.tokenIDs(sequence: b))
                result.scores.append(scores.isEmpty ? [:] : scores[b])
            }
        }
        return result
    }
}
