import Foundation

/// How a batch of samples shares the cores.
public enum SamplingParallelism: String, Sendable, CaseIterable {
    /// One batched chain per core, each on its own thread with single-threaded BLAS; with fewer
    /// samples than cores, a model large enough to gain from BLAS threads
    /// (`Denoiser.inferenceThreads`) gives each chain the cores left over.
    case chainsPerCore = "chains"
    /// One batched chain of every sample, its matrix products on every core (BLAS threads).
    case threadsPerChain = "threads"

    /// Chains per core: measured faster on `sample --count 8` (docs/DECISIONS.md, "Threads").
    public static let standard = SamplingParallelism.chainsPerCore

    /// (batched chains, BLAS threads each) for `count` samples on `cores` cores.
    public func split(count: Int, cores: Int, model: DiffusionModel) -> (chains: Int, threads: Int) {
        let cores = max(1, cores)
        switch self {
        case .chainsPerCore:
            let chains = max(1, min(cores, count))
            return (chains, max(1, min(model.denoiser.inferenceThreads, cores / chains)))
        case .threadsPerChain:
            return (1, cores)
        }
    }
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
        let chains: [any DiffusionChain]
        init(_ chains: [any DiffusionChain]) { self.chains = chains }
    }

    /// `prepare` runs on each chain before it starts (e.g. to start it from an edit's latent).
    /// `workers` is the number of cores to use; the chains run inside a BLAS thread scope of
    /// their own, whatever the caller's.
    public static func sample(model: DiffusionModel, settings: ChainSettings, count: Int,
                              workers: Int = ProcessInfo.processInfo.activeProcessorCount,
                              parallelism: SamplingParallelism = .standard,
                              prepare: (any DiffusionChain) throws -> Void = { _ in }) throws -> Result {
        let (n, threads) = parallelism.split(count: count, cores: workers, model: model)
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
        BLAS.withThreads(threads) {
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
