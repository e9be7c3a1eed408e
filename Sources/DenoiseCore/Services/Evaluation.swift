import Foundation

/// The parts of an evaluation, in the order they run.
public enum EvaluationPart: String, CaseIterable, Codable, Sendable {
    /// Fluency, copies and length of unguided samples.
    case unguided
    /// Success of every control target with enough training examples.
    case control
    /// Exact-length success for N = 6...30.
    case length
    /// Given words kept in place by infilling.
    case infill
}

/// What `Evaluation` measures: the model, the chain settings (seed, steps, guidance), the
/// corpora that decide fluency and which targets count, and how many samples each part draws.
public struct EvaluationSettings: Sendable {
    public var model: DiffusionModel
    /// The path the model was loaded from, reported with the results.
    public var modelPath: String
    /// Seed, reverse steps and guidance of every chain; each part sets its own constraints.
    public var chain: ChainSettings
    /// The model's training corpus: its trigrams measure fluency, its sentences copies.
    public var trainingFiles: [String]
    /// Labelled E2E CSVs that decide which field/value pairs have enough examples (read only
    /// for the control part of a model with a classifier).
    public var labelFiles: [String]
    /// Unguided samples.
    public var count = 200
    /// Samples per control target, per length and per infill template.
    public var perTarget = 20
    public var parts = Set(EvaluationPart.allCases)
    /// Only these (canonical) fields in the control part; nil: all.
    public var fields: Set<String>?
    /// Only these targets in the control part; empty: all.
    public var targets: [ControlTarget] = []

    public init(model: DiffusionModel, modelPath: String, chain: ChainSettings, trainingFiles: [String], labelFiles: [String]) {
        self.model = model
        self.modelPath = modelPath
        self.chain = chain
        self.trainingFiles = trainingFiles
        self.labelFiles = labelFiles
    }
}

/// The model and corpus an evaluation ran on.
public struct EvaluationHeader: Codable, Sendable, Equatable {
    public var model: String
    public var steps: Int
    public var seed: UInt64
    /// Training sentences (the trigram reference) and held-out ones.
    public var trainingSentences: Int
    public var heldOutSentences: Int
    /// Mean length of the training sentences in tokens.
    public var meanLength: Double
}

/// Everything an evaluation measured; a part not run is nil.
public struct EvaluationResult: Codable, Sendable, Equatable {
    public var header: EvaluationHeader
    public var unguided: UnguidedEvaluation?
    public var control: ControlEvaluation?
    /// Why the control part was asked for but not run.
    public var controlSkipped: String?
    public var length: LengthEvaluation?
    public var infill: InfillEvaluation?

    public init(header: EvaluationHeader) {
        self.header = header
    }
}

/// What an evaluation reports as it works: each figure as soon as it is measured.
public enum EvaluationEvent: Sendable {
    case began(EvaluationHeader)
    case unguided(UnguidedEvaluation)
    case controlBegan(perTarget: Int, guidance: GuidanceSettings)
    case target(TargetEvaluation)
    case control(ControlEvaluation)
    case controlSkipped(String)
    case length(LengthEvaluation)
    case infill(InfillEvaluation)
}

/// Measures a model's quality: fluency, copies and length of unguided samples; control,
/// length and infill success. Every sample comes from `BatchSampler` with the settings' seed.
public struct Evaluation {
    /// A control target is measured when at least this many training sentences carry it.
    public static let minimumTargetExamples = 20

    public let settings: EvaluationSettings

    public init(settings: EvaluationSettings) {
        self.settings = settings
    }

    /// Runs the asked-for parts in order; `events` receives each figure as it is measured.
    public func run(events: (EvaluationEvent) -> Void = { _ in }) throws -> EvaluationResult {
        let m = settings.model
        let examples = try settings.trainingFiles.flatMap { try CorpusReader.read(path: $0) }
        let percent = heldOutPercent
        var train = [[String]](), heldOut = [[String]]()
        for ex in examples {
            let t = Tokenizer.tokenize(ex.text)
            if TrainingData.isHeldOut(ex.text, percent: percent) { heldOut.append(t) } else { train.append(t) }
        }
        let index = TrigramIndex(sentences: train)
        var result = EvaluationResult(header: EvaluationHeader(
            model: settings.modelPath, steps: settings.chain.steps, seed: settings.chain.seed,
            trainingSentences: train.count, heldOutSentences: heldOut.count, meanLength: index.meanLength))
        events(.began(result.header))
        if settings.parts.contains(.unguided) {
            let unguided = try evaluateUnguided(index: index, heldOut: heldOut)
            result.unguided = unguided
            events(.unguided(unguided))
        }
        if settings.parts.contains(.control) {
            if m.classifier == nil {
                result.controlSkipped = "this model has no classifier"
                events(.controlSkipped("this model has no classifier"))
            } else {
                let control = try evaluateControl(index: index, unguidedShare: result.unguided?.trigramShare, events: events)
                result.control = control
                events(.control(control))
            }
        }
        if settings.parts.contains(.length) {
            let length = try evaluateLength()
            result.length = length
            events(.length(length))
        }
        if settings.parts.contains(.infill) {
            let infill = try evaluateInfill()
            result.infill = infill
            events(.infill(infill))
        }
        return result
    }

    /// The held-out share the model was trained with (5 when its config does not say).
    var heldOutPercent: Int { settings.model.config.training?.heldOutPercent ?? 5 }

    /// `count` samples with `chain`, as token lists.
    func samples(_ chain: ChainSettings, count: Int) throws -> [[String]] {
        try BatchSampler.sample(model: settings.model, settings: chain, count: count).ids.map { settings.model.vocabulary.decode($0) }
    }
}
