import DenoiseCore

/// Per-frame summaries of the shown branch's history, computed once and shared by the panels.
/// Cost is O(steps x positions) of integer work, far inside the 2 ms frame budget.
struct HistoryDigest {
    let totalSteps: Int
    /// Per position: the last step (<= current) at which its token changed; 0 if never.
    let lockSteps: [Int]
    /// Mean rounding distance per step 0...current.
    let meanDistances: [Double?]
    /// Steps without a change after which a token counts as locked in.
    let lockWindow: Int

    init(_ engine: EngineState) {
        let snapshot = engine.snapshot
        totalSteps = max(snapshot.totalSteps, 1)
        lockWindow = max(3, totalSteps / 20)
        let shown = engine.history.prefix(engine.current + 1)
        var locks = [Int](repeating: 0, count: snapshot.sentenceTokens.count)
        var distances = [Double?](repeating: nil, count: totalSteps + 1)
        for s in shown {
            for position in s.changed where position < locks.count && s.step > 0 {
                locks[position] = max(locks[position], s.step)
            }
            if s.step >= 0 && s.step <= totalSteps { distances[s.step] = Double(s.meanDistance) }
        }
        lockSteps = locks
        meanDistances = distances
    }

    /// The distinct tokens `position` went through and the step each appeared at.
    static func tokenRuns(_ engine: EngineState, position: Int) -> [(text: String, step: Int)] {
        var runs: [(text: String, step: Int)] = []
        for s in engine.history.prefix(engine.current + 1) {
            let tokens = s.sentenceTokens
            guard position < tokens.count else { continue }
            let text = tokens[position].text
            if runs.last?.text != text { runs.append((text, s.step)) }
        }
        return runs
    }

    /// Per-step values of one control's score over 0...totalSteps (nil where unknown).
    static func scores(_ engine: EngineState, key: String, totalSteps: Int) -> [Double?] {
        var values = [Double?](repeating: nil, count: totalSteps + 1)
        for s in engine.history.prefix(engine.current + 1) where s.step >= 0 && s.step <= totalSteps {
            values[s.step] = s.scores[key].map(Double.init)
        }
        return values
    }
}
