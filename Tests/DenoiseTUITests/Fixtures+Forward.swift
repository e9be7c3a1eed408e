import DenoiseCore
@testable import DenoiseTUI

extension Fixtures {
    /// The fixture sentence, as a forward walk's source.
    static let sourceText = TokenText.sentence(snapshot(steps).sentenceTokens)

    /// A made-up forward walk: step k shows the fixture chain's step K - k renumbered, so the
    /// sentence dissolves into noise as the steps go up and t grows; step 0 is the clean sentence
    /// (no prediction, alphaBar 1), as `ForwardProcess.initialSnapshot` makes it.
    static func forwardEngineState(current: Int = 120) -> EngineState {
        let schedule = NoiseSchedule(sqrtSteps: diffusionSteps).respaced(to: steps)
        let history = (0...current).map { k -> StepSnapshot in
            var s = snapshot(steps - k)
            s.step = k
            if k == 0 {
                s.xt = s.x0; s.x0 = []; s.t = 0; s.alphaBar = 1; s.sigma = 0; s.snrDB = .infinity; s.changed = []
            } else {
                s.t = schedule.timesteps[k - 1]; s.alphaBar = schedule.alphaBars[k - 1]
                s.sigma = (1 - s.alphaBar).squareRoot(); s.snrDB = schedule.snrDB(k - 1)
            }
            s.scores = [:]; s.fieldGuesses = []; s.guidanceNorm = 0; s.clamped = false
            return s
        }
        let summary = BranchSummary(index: 0, parentStep: 0, settings: ChainSettings(seed: 42, steps: steps),
                                    text: sourceText, direction: .forward, source: sourceText)
        return EngineState(history: history, current: current, branchIndex: 0, branches: [summary],
                           settings: ChainSettings(seed: 42, steps: steps), playing: false, stepsPerSecond: 20,
                           note: nil, direction: .forward, source: sourceText)
    }

    /// An edit: a reverse chain branched from step `from` of the forward walk, with the source
    /// kept for `B`. Its history starts at the step the edit's chain starts at.
    static func editEngineState(from: Int = 120, current: Int = 40) -> EngineState {
        let first = steps - from
        let history = (first...first + current).map { snapshot($0) }
        let forward = BranchSummary(index: 0, parentStep: 0, settings: settings, text: sourceText,
                                    direction: .forward, source: sourceText)
        let edit = BranchSummary(index: 1, parentStep: from, settings: settings,
                                 text: TokenText.sentence(history[current].sentenceTokens), source: sourceText)
        return EngineState(history: history, current: current, branchIndex: 1, branches: [forward, edit],
                           settings: settings, playing: false, stepsPerSecond: 20, note: nil, source: sourceText)
    }
}
