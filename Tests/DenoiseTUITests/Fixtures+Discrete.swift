import DenoiseCore
import Foundation
@testable import DenoiseTUI

/// A deterministic, made-up discrete chain of 48 positions and 48 steps. Masked: every position
/// starts as MASK and is committed to its target word at its own step. Uniform: every position
/// starts as a random word, changes to another at about a third of its commit step and to its
/// target word at its commit step. The prediction's top word is the target from a third of the
/// way to its commit on (a random word before), with a probability that grows over the steps.
enum DiscreteFixtures {
    static let steps = 48
    static let length = Fixtures.length

    static func summary(_ kind: ModelKind) -> ModelSummary {
        var s = ModelSummary(name: "e2e-\(kind.rawValue)", parameterCount: 1_412_345, vocabularySize: 821,
                             sequenceLength: length, diffusionSteps: 1000, fields: [])
        s.kind = kind
        return s
    }

    /// The step position i is committed (masked) or takes its final word (uniform).
    static func commitStep(_ i: Int) -> Int { 1 + (i * 29 + 7) % steps }

    static func probability(_ i: Int, _ k: Int) -> Float {
        Float(0.2 + 0.75 * Double(min(k, commitStep(i))) / Double(commitStep(i))) - Float(i % 5) / 100
    }

    static func snapshot(_ kind: ModelKind, _ k: Int) -> StepSnapshot {
        let alpha = Double(k) / Double(steps)
        func state(_ i: Int, _ step: Int) -> String {
            if step >= commitStep(i) { return Fixtures.targetWord(i) }
            if kind == .masked { return Vocabulary.mask }
            return Fixtures.word(i, step >= commitStep(i) / 3 ? 1 : 0, salt: 5)
        }
        func top(_ i: Int, _ step: Int) -> String {
            step >= commitStep(i) / 3 ? Fixtures.targetWord(i) : Fixtures.word(i, step, salt: 2)
        }
        var xt: [RoundedToken] = [], x0: [RoundedToken] = [], candidates: [[Candidate]] = []
        var entropy: [Float] = [], changed: [Int] = []
        for i in 0..<length {
            let q = probability(i, k)
            let word = state(i, k)
            xt.append(RoundedToken(id: Int32(i + 4), text: word, distance: 0, margin: 0,
                                   probability: word == Vocabulary.mask || k == 0 ? nil : q))
            if k > 0 {
                x0.append(RoundedToken(id: Int32(i + 4), text: top(i, k), distance: 0, margin: 0, probability: q))
                var list = [Candidate(text: top(i, k), distance: 0, probability: q)]
                for j in 1..<5 {
                    list.append(Candidate(text: Fixtures.words[(i * 3 + j * 11) % Fixtures.words.count], distance: 0,
                                          probability: (1 - q) / Float(j + 1)))
                }
                candidates.append(list)
                entropy.append(Float(2.5 * (1 - Double(q))))
                if state(i, k) != state(i, k - 1) { changed.append(i) }
            } else {
                candidates.append([Candidate(text: word, distance: 0)])
                entropy.append(0)
            }
        }
        var s = StepSnapshot(step: k, totalSteps: steps, t: Int(Double(1000) * (1 - alpha)), alphaBar: alpha,
                             sigma: 1 - alpha, snrDB: 10 * log10(max(alpha, 1e-12) / max(1 - alpha, 1e-12)),
                             xt: xt, x0: x0, candidates: candidates, changed: changed, scores: [:],
                             fieldGuesses: [], guidanceNorm: 0, clamped: false)
        s.kind = kind
        s.discrete = DiscreteStepDetail(maskedCount: xt.filter { $0.text == Vocabulary.mask }.count, entropy: entropy,
                                        unmask: kind == .masked ? .confidence : nil)
        return s
    }

    static func settings(_ kind: ModelKind) -> ChainSettings {
        var s = ChainSettings(seed: 42, steps: steps, clamp: false)
        if kind == .masked { s.unmask = .confidence }
        return s
    }

    static func engineState(_ kind: ModelKind, current: Int = 30, computed: Int? = nil) -> EngineState {
        let history = (0...max(current, computed ?? current)).map { snapshot(kind, $0) }
        let summaries = [BranchSummary(index: 0, parentStep: 0, settings: settings(kind),
                                       text: TokenText.sentence(history[current].sentenceTokens))]
        return EngineState(history: history, current: current, branchIndex: 0, branches: summaries,
                           settings: settings(kind), playing: false, stepsPerSecond: 20, note: nil)
    }
}
