import Foundation

/// The forward curve of a model: `kept` and `x0Kept` (see `ForwardStep`) averaged over many
/// sentences at every step of a walk from t = 0 to T-1 (one noise draw per sentence, seed + i).
public struct ForwardCurve: Sendable, Equatable, Codable {
    public var timesteps: [Int]
    public var alphaBars: [Double]
    public var snrDB: [Double]
    public var kept: [Double]
    public var x0Kept: [Double]
    public var sentences: Int

    /// Runs one walk per sentence, split over `workers` threads (single-threaded BLAS each).
    public static func measure(model: DiffusionModel, sources: [SourceSentence], seed: UInt64, steps: Int,
                               workers: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> ForwardCurve {
        precondition(!sources.isEmpty, "a forward curve needs sentences")
        let schedule = try ForwardProcess(model: model, source: sources[0], seed: seed, steps: steps).schedule
        let n = max(1, min(workers, sources.count))
        let sums = Sums(workers: n, steps: steps)
        DispatchQueue.concurrentPerform(iterations: n) { w in
            for i in stride(from: w, to: sources.count, by: n) {
                guard let process = try? ForwardProcess(model: model, source: sources[i], seed: seed &+ UInt64(i), steps: steps) else { continue }
                for (k, s) in process.walk().enumerated() {
                    sums.kept[w][k] += s.kept
                    sums.x0Kept[w][k] += s.x0Kept
                }
            }
        }
        let count = Double(sources.count)
        func total(_ parts: [[Double]]) -> [Double] { (0..<steps).map { k in parts.reduce(0) { $0 + $1[k] } / count } }
        return ForwardCurve(timesteps: schedule.timesteps, alphaBars: schedule.alphaBars,
                            snrDB: (0..<steps).map(schedule.snrDB), kept: total(sums.kept), x0Kept: total(sums.x0Kept),
                            sentences: sources.count)
    }

    /// Per-worker sums; worker w writes only row w during `concurrentPerform`.
    private final class Sums: @unchecked Sendable {
        var kept: [[Double]]
        var x0Kept: [[Double]]
        init(workers: Int, steps: Int) {
            kept = Array(repeating: Array(repeating: 0, count: steps), count: workers)
            x0Kept = kept
        }
    }

    /// The first step whose `x0Kept` is at or below `level` (nil: it never falls that low).
    public func firstStep(x0KeptAtMost level: Double) -> Int? { x0Kept.firstIndex { $0 <= level } }
}

/// Edits of many sentences at one strength: how much of each source survives, how fluent the
/// results are, and (with a control) how often the result mentions the control's value.
public struct EditMeasurement: Sendable {
    public var strength: Double
    /// Original time index the chains start at (the respaced step nearest S*T - 1).
    public var startT: Int
    public var samples: Int
    /// Share of source token positions holding the source's token in the result (the length is fixed).
    public var wordsKept: Double
    /// Trigram share of the results against the corpus index.
    public var fluency: Double
    /// Share of results that mention the control's value, judged from the text (nil without a control).
    public var controlSuccess: Double?
    /// Share of results that still mention the source's value of the control's field.
    public var sourceValueKept: Double?
    public var examples: [(source: String, result: String)]

    /// One edit per source (seed + i for source i) at strength S with `settings`, the chains
    /// split over `workers` threads; `control` (and the value the source had, `sourceValue`) is
    /// judged by `MentionJudge`.
    public static func measure(model: DiffusionModel, sources: [SourceSentence], strength: Double, settings: ChainSettings,
                               control: ControlTarget?, sourceValue: String?, index: TrigramIndex,
                               workers: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> EditMeasurement {
        var chains = [ReverseChain]()
        var startT = 0
        for (i, source) in sources.enumerated() {
            var s = settings
            s.seed = settings.seed &+ UInt64(i)
            s.controls = control.map { [$0] } ?? []
            let edit = try SentenceEdit(source: source, strength: strength)
            let chain = try ReverseChain(model: model, settings: edit.settings(s))
            startT = chain.schedule.timesteps[try chain.startEdit(edit)]
            chains.append(chain)
        }
        let shards = BatchSampler.Shards(chains)
        let threads = max(1, min(workers, chains.count))
        DispatchQueue.concurrentPerform(iterations: threads) { w in
            for i in stride(from: w, to: shards.chains.count, by: threads) { shards.chains[i].runToEnd() }
        }
        var kept = 0, positions = 0, hits = 0, sourceHits = 0
        var results = [[String]](), examples = [(source: String, result: String)]()
        for (source, chain) in zip(sources, chains) {
            let result = model.vocabulary.decode(chain.tokenIDs(sequence: 0))
            results.append(result)
            for (p, word) in source.tokens.enumerated() where p < result.count && result[p] == word { kept += 1 }
            positions += source.wordCount
            let text = Tokenizer.join(result)
            if let control, MentionJudge.mentions(field: control.field, value: control.value, in: text) { hits += 1 }
            if let control, let sourceValue, MentionJudge.mentions(field: control.field, value: sourceValue, in: text) { sourceHits += 1 }
            if examples.count < 3 { examples.append((Tokenizer.join(source.tokens), text)) }
        }
        let n = Double(sources.count)
        return EditMeasurement(strength: strength, startT: startT, samples: sources.count,
                               wordsKept: Double(kept) / Double(max(1, positions)), fluency: index.share(results),
                               controlSuccess: control.map { _ in Double(hits) / n },
                               sourceValueKept: sourceValue.map { _ in Double(sourceHits) / n }, examples: examples)
    }
}
