import DenoiseCore
import Foundation
@testable import DenoiseTUI

/// A deterministic, made-up reverse chain: 48 positions, 200 steps, words from a small list.
/// Each position wanders through random words until its own lock-in step, then keeps the word
/// of the target sentence; distances shrink and margins grow as the steps go by.
enum Fixtures {
    static let words = ["the", "a", "restaurant", "pub", "coffee", "shop", "near", "river", "city",
                        "centre", "Italian", "French", "Indian", "cheap", "high", "family", "friendly",
                        "rating", "customer", "is", "located", "in", "Golden", "Palace", "Curry", "with",
                        "and", "serves", "food", ".", ",", "Blue", "Spice", "Eagle", "Wrestlers", "average"]
    static let target = ["START", "The", "Golden", "Palace", "is", "a", "family", "friendly", "Italian",
                         "restaurant", "near", "the", "river", ".", "It", "has", "a", "high", "customer",
                         "rating", "and", "serves", "cheap", "food", ".", "END"]
    static let length = 48
    static let steps = 200
    static let diffusionSteps = 2000

    static let summary = ModelSummary(
        name: "e2e", parameterCount: 951_234, vocabularySize: 821, sequenceLength: length,
        diffusionSteps: diffusionSteps,
        fields: [("food", ["Italian", "French", "Indian", "Chinese", "English", "Fast food", "Japanese"]),
                 ("area", ["riverside", "city centre"]),
                 ("priceRange", ["cheap", "moderate", "high"])])

    /// The geometry fixture's vocabulary: the specials, then every word the fixture chain uses.
    static let geometryWords: [String] = {
        var seen = Set<String>(), out = ["PAD", "START", "END", "UNK"]
        for w in target + words where !seen.contains(w) && !out.contains(w) { seen.insert(w); out.append(w) }
        return out
    }()

    static let dim = 16

    /// A made-up embedding table: a few clusters (by word index) plus a deterministic wobble,
    /// from integer arithmetic only, so it is the same on every machine.
    static let geometryTable: [Float] = {
        var table = [Float]()
        for w in 0..<geometryWords.count {
            for j in 0..<dim {
                let hash = (w * 7919 + j * 104_729 + w * j * 31) % 2003
                let cluster = Float((w % 5) == j % 5 ? 1.5 : 0) * (j < 8 ? 1 : -0.5)
                table.append(cluster + Float(hash) / 2003 - 0.5)
            }
        }
        return table
    }()

    static let projection = EmbeddingProjection(table: geometryTable, vocabularySize: geometryWords.count, dim: dim)!

    /// The fixture summary with an embedding table: what the geometry view needs.
    static var geometrySummary: ModelSummary {
        var s = summary
        s.projection = projection
        s.words = geometryWords
        return s
    }

    /// Geometry of fixture step k: each prediction row sits between the embedding of the word
    /// the snapshot shows and another word, closer to the shown one; the latent is the
    /// prediction shrunk by √ᾱ plus a fixed wobble scaled by σ.
    static func latent(_ s: StepSnapshot) -> LatentSample {
        let index = Dictionary(uniqueKeysWithValues: geometryWords.enumerated().map { ($1, $0) })
        let progress = Float(s.step) / Float(steps)
        var prediction = [Float](), latent = [Float]()
        let shrink = Float(s.alphaBar.squareRoot()), sigma = Float(s.sigma)
        for (p, token) in s.sentenceTokens.enumerated() {
            let w = index[token.text] ?? 0, other = (w * 3 + p + 1) % geometryWords.count
            let pull = 0.42 * (1 - progress)
            for j in 0..<dim {
                let x = (1 - pull) * geometryTable[w * dim + j] + pull * geometryTable[other * dim + j]
                prediction.append(x)
                let wobble = Float(((p * 31 + j * 17 + s.step * 7) % 41) - 20) / 20
                latent.append(shrink * x + sigma * wobble)
            }
        }
        let rows = s.sentenceTokens.count
        return prediction.withUnsafeBufferPointer { pr in
            latent.withUnsafeBufferPointer { la in
                LatentSample(alphaBar: s.alphaBar, latentPoints: projection.project(rows: rows, la.baseAddress!),
                             scaledPoints: projection.project(rows: rows, la.baseAddress!, scale: 1 / max(shrink, 1e-6)),
                             predictionPoints: s.step == 0 ? [] : projection.project(rows: rows, pr.baseAddress!),
                             prediction: s.step == 0 ? [] : prediction,
                             wordsOnly: (0..<rows).map { $0 > 0 && $0 < target.count - 1 })
            }
        }
    }

    /// The fixture chain with geometry in every snapshot, computed up to `computed` (the
    /// history beyond `current` is what stepping back leaves behind).
    static func geometryState(current: Int = 137, computed: Int? = nil) -> EngineState {
        var state = engineState(current: max(current, computed ?? current), branches: 1)
        state.history = state.history.map { var s = $0; s.latent = latent($0); return s }
        state.current = current
        return state
    }

    static let emptySummary = ModelSummary(
        name: "tiny", parameterCount: 12_300, vocabularySize: 100, sequenceLength: length,
        diffusionSteps: diffusionSteps, fields: [])

    /// The repository's Themes folder.
    static let themesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Themes").path

    /// The UI state of a playground started with `theme` on a terminal of `depth` colours.
    static func appState(theme: String = "default", depth: ColourDepth = .full, ascii: Bool = false) -> AppState {
        // The shipped themes load (ThemeTests checks each); a failure here is a broken checkout.
        let loaded = (try? Theme.load(named: theme, from: themesDirectory)) ?? .monochrome
        return AppState(themeName: theme, ascii: ascii, legend: Legend(theme: loaded, depth: depth))
    }

    static func targetWord(_ i: Int) -> String { i < target.count ? target[i] : "PAD" }

    static func lockStep(_ i: Int) -> Int { 20 + (i * 37 + 11) % 150 }

    static func word(_ i: Int, _ step: Int, salt: Int) -> String {
        let period = 3 + (i + salt) % 5
        let epoch = (step + i * 2) / period
        return words[(i * 7 + epoch * 13 + salt * 5) % words.count]
    }

    static func snapshot(_ k: Int, controls: [ControlTarget] = []) -> StepSnapshot {
        let schedule = NoiseSchedule(sqrtSteps: diffusionSteps).respaced(to: steps)
        let index = steps - max(k, 1)
        let abar = schedule.alphaBars[index]
        let progress = Double(k) / Double(steps)
        func x0(_ i: Int, _ step: Int) -> String {
            step >= lockStep(i) ? targetWord(i) : word(i, step, salt: 1)
        }
        func xt(_ i: Int, _ step: Int) -> String {
            step >= lockStep(i) + 15 ? targetWord(i) : word(i, step, salt: 3)
        }
        var predicted: [RoundedToken] = []
        var latent: [RoundedToken] = []
        var candidates: [[Candidate]] = []
        var changed: [Int] = []
        for i in 0..<length {
            let jitter = Float((i * 29) % 17) / 100
            // Squared distances and gaps, as nearest-word search makes them; the tokens store
            // them converted to L2 distances, as the chain's snapshots do.
            let distance = Float(2.2 * (1 - progress)) + 0.05 + jitter
            let margin = Float(0.02 + 1.5 * progress * progress) + jitter / 2
            let top = k == 0 ? xt(i, 0) : x0(i, k)
            if k > 0 {
                predicted.append(RoundedToken(id: Int32(i), text: top, squaredDistance: distance, squaredMargin: margin))
                if x0(i, k) != (k == 1 ? xt(i, 0) : x0(i, k - 1)) { changed.append(i) }
            }
            latent.append(RoundedToken(id: Int32(i + 100), text: xt(i, k), squaredDistance: distance * 1.5,
                                       squaredMargin: margin / 3))
            var list = [Candidate(text: top, squaredDistance: distance)]
            for j in 1..<6 {
                list.append(Candidate(text: words[(i * 3 + j * 11) % words.count],
                                      squaredDistance: distance + margin * Float(j)))
            }
            candidates.append(list)
        }
        var scores: [String: Float] = [:]
        for (n, control) in controls.enumerated() {
            scores[control.description] = Float(1 / (1 + exp(-(progress * 10 - 4 - Double(n) * 2))))
        }
        let guesses = [FieldGuess(field: "food", value: k > 90 ? "Italian" : "French", probability: Float(0.3 + 0.6 * progress)),
                       FieldGuess(field: "area", value: "riverside", probability: Float(0.2 + 0.5 * progress)),
                       FieldGuess(field: "priceRange", value: "none", probability: 0.4)]
        return StepSnapshot(
            step: k, totalSteps: steps, t: schedule.timesteps[index], alphaBar: abar,
            sigma: (1 - abar).squareRoot(), snrDB: 10 * log10(abar / (1 - abar)), xt: latent, x0: predicted,
            candidates: candidates, changed: changed, scores: scores, fieldGuesses: guesses,
            guidanceNorm: controls.isEmpty || k > 190 ? 0 : 0.42, clamped: true)
    }

    static let settings = ChainSettings(seed: 42, steps: steps, clamp: true,
                                        controls: [ControlTarget(field: "food", value: "Italian")])

    /// The chain at `current`, as the engine would publish it.
    static func engineState(current: Int = 137, controls: [ControlTarget]? = nil, playing: Bool = true,
                            branches: Int = 2, note: String? = nil) -> EngineState {
        var chainSettings = settings
        if let controls { chainSettings.controls = controls }
        let history = (0...current).map { snapshot($0, controls: chainSettings.controls) }
        var summaries = [BranchSummary(index: 0, parentStep: 0, settings: ChainSettings(seed: 42, steps: steps),
                                       text: "The Golden Curry is a family friendly French pub near the river .")]
        for b in 1..<max(branches, 1) {
            summaries.append(BranchSummary(index: b, parentStep: 90, settings: chainSettings,
                                           text: TokenText.sentence(history[current].sentenceTokens)))
        }
        return EngineState(history: history, current: current, branchIndex: max(branches, 1) - 1,
                           branches: summaries, settings: chainSettings, playing: playing,
                           stepsPerSecond: 20, note: note)
    }
}

/// An engine that records what it is asked and hands out whatever state the test sets.
final class FakeEngine: EngineHandle, @unchecked Sendable {
    let summary: ModelSummary
    private let lock = NSLock()
    private var requests: [EngineRequest] = []
    private var pending: EngineState?

    init(summary: ModelSummary = Fixtures.summary, state: EngineState? = nil) {
        self.summary = summary
        self.pending = state
    }

    func send(_ request: EngineRequest) {
        lock.lock(); defer { lock.unlock() }
        requests.append(request)
    }

    func poll() -> EngineState? {
        lock.lock(); defer { lock.unlock() }
        defer { pending = nil }
        return pending
    }

    func publish(_ state: EngineState) {
        lock.lock(); defer { lock.unlock() }
        pending = state
    }

    var sent: [EngineRequest] {
        lock.lock(); defer { lock.unlock() }
        return requests
    }
}
