import Foundation

/// A reverse chain of any model kind, one step per call: what the engine, the CLI, traces and
/// the services speak to. `ReverseChain` runs the continuous kind (Gaussian latents, rounding),
/// `DiscreteChain` the masked and uniform kinds (tokens, a distribution per position). Each
/// step yields a `StepSnapshot` with kind-neutral fields (the state's words, the prediction's
/// words, a per-position distance or probability, what changed) and kind-specific detail beside
/// them. Not thread-safe: one owner (the engine's queue, a sampler thread, or the CLI).
public protocol DiffusionChain: AnyObject {
    var model: DiffusionModel { get }
    var settings: ChainSettings { get }
    /// Sequences run together (sequence i is seeded with seed + i).
    var batch: Int { get }
    var stepsTaken: Int { get }
    var totalSteps: Int { get }
    /// The fixed positions of each sequence (length control, infilling, or a drawn length).
    var constraints: [PositionConstraints] { get }
    /// Top-k candidates shown per position.
    var candidateCount: Int { get set }

    /// The snapshot of the starting state (step 0).
    func initialSnapshot() -> StepSnapshot
    /// One step with the snapshot of sequence 0. The chain must not be finished.
    @discardableResult
    func recordedStep() -> StepSnapshot
    /// One step without a snapshot; leaves the state `recordedStep` would.
    func silentStep()
    func saveState() -> ChainState
    func restore(_ state: ChainState)
    /// The token ids sequence b reads as now.
    func tokenIDs(sequence b: Int) -> [Int32]
    /// p(control | sequence) of every sequence for the active controls (empty without controls).
    func finalScores() -> [[String: Float]]
    /// Starts every sequence from the edit's source corrupted to its strength (one draw per
    /// sequence, seeded with seed + b); returns the step the chain continues from.
    @discardableResult
    func startEdit(_ edit: SentenceEdit) throws -> Int
}

extension DiffusionChain {
    public var isFinished: Bool { stepsTaken >= totalSteps }

    /// Runs the chain to the end without snapshots.
    public func runToEnd() { while !isFinished { silentStep() } }

    /// One recorded step, nil once the chain is finished (the chain as an iterator).
    public func next() -> StepSnapshot? { isFinished ? nil : recordedStep() }

    /// The text of sequence b: words between START and END, joined by spaces.
    public func text(sequence b: Int) -> String {
        Tokenizer.join(model.vocabulary.decode(tokenIDs(sequence: b)))
    }

    /// The fixed length of sequence b (requested or drawn), nil when the model decides.
    public func sentenceLength(sequence b: Int) -> Int? {
        constraints[b].fixed.first { $0.id == Vocabulary.endID }.map { $0.position - 1 }
    }
}

/// Saved state of a chain of any kind, for history and branching: restore it and the chain
/// continues exactly. A continuous chain fills `latent` (and `previousPrediction` when
/// self-conditioned), a discrete one `tokens`.
public struct ChainState: Sendable {
    public var latent: [Float]
    /// The previous prediction of a self-conditioned model (empty for other models).
    public var previousPrediction: [Float]
    /// A discrete chain's current tokens [batch * L] (empty for continuous chains).
    public var tokens: [Int32]
    public var rngs: [RandomSource]
    public var stepsTaken: Int
    public var previousSentence: [Int32]
}

extension DiffusionModel {
    /// A reverse chain of this model's kind.
    public func makeChain(settings: ChainSettings, batch: Int = 1) throws -> any DiffusionChain {
        if config.modelKind.isDiscrete { return try DiscreteChain(model: self, settings: settings, batch: batch) }
        return try ReverseChain(model: self, settings: settings, batch: batch)
    }
}

extension PositionConstraints {
    /// The fixed positions of each sequence of a chain: those `settings` ask for (length or
    /// template), or without either a length drawn per sequence from the model's training
    /// length histogram (the length prior), unless the mode is `free`.
    /// A drawn length is at least `minimumLength` (room for pinned words).
    static func forChain(settings: ChainSettings, model: DiffusionModel, batch: Int, minimumLength: Int = 0) throws -> [PositionConstraints] {
        let c = model.config
        let requested = try PositionConstraints(mode: settings.lengthMode, vocabulary: model.vocabulary,
                                                sequenceLength: c.sequenceLength)
        if requested.fixed.contains(where: { $0.id == c.maskID }) {
            throw DenoiseError.invalid("infill word \"\(Vocabulary.mask)\" is this model's mask token: mark a free token with `_`")
        }
        guard settings.lengthMode == .prior, let histogram = c.lengthHistogram else {
            return Array(repeating: requested, count: batch)
        }
        // Length prior: sequence b draws its length with a stream of its own seed.
        return try (0..<batch).map { b in
            var rng = RandomSource(seed: (settings.seed &+ UInt64(b)) ^ 0xB7E1_5162_8AED_2A6B)
            let n = PositionConstraints.drawLength(histogram: histogram, u: rng.uniform())
            return try PositionConstraints(mode: n.map { .exact(Swift.min(Swift.max($0, minimumLength), c.sequenceLength - 2)) } ?? .prior,
                                           vocabulary: model.vocabulary, sequenceLength: c.sequenceLength)
        }
    }
}

/// What every chain checks and builds before its first step: the pins, the fixed positions of
/// each sequence, and the classifier guide (which also scores every step; it guides only when
/// controls are set). Errors name what is accepted.
struct ChainSetup {
    let pins: [WordPin.Resolved]
    let constraints: [PositionConstraints]
    let guide: ClassifierGuide?

    init(model: DiffusionModel, settings: ChainSettings, batch: Int) throws {
        let c = model.config
        let requested = try PositionConstraints(mode: settings.lengthMode, vocabulary: model.vocabulary,
                                                sequenceLength: c.sequenceLength)
        pins = try WordPin.resolve(settings.pins, vocabulary: model.vocabulary, sequenceLength: c.sequenceLength,
                                   steps: settings.steps, fixed: requested)
        // A drawn length leaves room for the pinned words: END comes after the last of them.
        constraints = try PositionConstraints.forChain(settings: settings, model: model, batch: batch,
                                                       minimumLength: pins.map(\.position).max() ?? 0)
        guard let classifier = model.classifier else {
            guard settings.controls.isEmpty else {
                throw DenoiseError.invalid("this model has no classifier (classifier.safetensors), so --control cannot be used")
            }
            guide = nil
            return
        }
        guide = try ClassifierGuide(classifier: classifier, controls: settings.controls, batch: batch,
                                    tagScore: settings.guidance.tagScore)
        // A known value the model cannot spell: say which word is missing.
        for control in settings.controls {
            let missing = ControlSets.missingWords(of: control, vocabulary: model.vocabulary)
            guard missing.isEmpty else {
                throw DenoiseError.invalid("\(control) cannot be written by this model: \(missing.map { "\"\($0)\"" }.joined(separator: ", ")) "
                                           + "not in its vocabulary (choose another value)")
            }
        }
    }
}
