import Foundation

/// How a batch of samples shares the cores.
public enum SamplingParallelism: String, Sendable, CaseIterable {
    /// One batched chain per core, each on its own thread with single-threaded BLAS.
    case chainsPerCore = "chains"
    /// One batched chain of every sample, its matrix products on every core (BLAS threads).
    case threadsPerChain = "threads"

    /// Chains per core: measured faster on `sample --count 8` (docs/DECISIONS.md, "Threads").
    public static let standard = SamplingParallelism.chainsPerCore
}

/// Runs many chains at once, split over the cores as `SamplingParallelism` says. Sample i
/// always uses seed + i, however the work is split.
public enum BatchSampler {
    public struct Result: Sendable {
        public var ids: [[Int32]]
        public var scores: [[String: Float]]
    }

    /// The chains of one run; each is touched by exactly one thread during `concurrentPerform`.
    final class Shards: @unchecked Sendable {
        let chains: [ReverseChain]
        init(_ chains: [ReverseChain]) { self.chains = chains }
    }

    /// `prepare` runs on each chain before it starts (e.g. to start it from an edit's latent).
    /// `workers` is the number of cores to use; the chains run inside a BLAS thread scope of
    /// their own, whatever the caller's.
    public static func sample(model: DiffusionModel, settings: ChainSettings, count: Int,
                              workers: Int = ProcessInfo.processInfo.activeProcessorCount,
                              parallelism: SamplingParallelism = .standard,
                              prepare: (ReverseChain) throws -> Void = { _ in }) throws -> Result {
        let cores = max(1, workers)
        let n = parallelism == .chainsPerCore ? max(1, min(cores, count)) : 1
        var chains = [ReverseChain]()
        for w in 0..<n {
            let lo = w * count / n, hi = (w + 1) * count / n
            var s = settings
            s.seed = settings.seed &+ UInt64(lo)
            let chain = try ReverseChain(model: model, settings: s, batch: hi - lo)
            try prepare(chain)
            chains.append(chain)
        }
        let shards = Shards(chains)
        BLAS.withThreads(parallelism == .chainsPerCore ? 1 : cores) {
            DispatchQueue.concurrentPerform(iterations: n) { shards.chains[$0].runToEnd() }
        }
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
