import Foundation

/// The parts of an evaluation, in the order they run.
public enum EvaluationPart: String, CaseIterable, Codable, Sendable {
    /// Fluency, copies and length of unguided samples.
    case unguided
    /// Success of every value the classifier offers, one control at a time.
    case control
    /// Success of random cross-field pairs of values (every control met).
    case pairs
    /// Success of random cross-field triples of values (every control met).
    case triples
    /// Exact-length success for N = 6...30.
    case length
    /// Given words kept in place by infilling.
    case infill
    /// Fluency (and control, with targets) at several step counts, per sampler. Not in the
    /// standard set: it samples once per sampler and step count.
    case steps
    /// The forward curve: what x_t and x0-hat keep of held-out sentences as noise rises.
    case forward
    /// Editing by partial noising: held-out sentences noised to a strength and denoised again.
    case edit
    /// The training loss of the saved weights on training and on held-out sentences.
    case loss

    /// The parts `--parts all` and the default run.
    public static let standard = Set(allCases).subtracting([.steps])
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
    /// Labelled E2E CSVs that count each field/value pair's training examples (read only when
    /// `minimumExamples` > 0 and a control part runs).
    public var labelFiles: [String]
    /// Unguided samples.
    public var count = 200
    /// Samples per control target, per length and per infill template.
    public var perTarget = 20
    public var parts = EvaluationPart.standard
    /// Only these (canonical) fields in the control parts; nil: all.
    public var fields: Set<String>?
    /// Only these targets in the control parts; empty: all.
    public var targets: [ControlTarget] = []
    /// Only values with at least this many training examples in the control parts; 0: every
    /// value the classifier offers.
    public var minimumExamples = 0
    /// Random cross-field sets of the pairs part and of the triples part.
    public var combinations = 30
    /// The steps part: the step counts and the samplers of its rows.
    public var stepCounts = StepsVariant.defaultStepCounts
    public var stepsVariants: [StepsVariant]
    /// The sentences of the forward and edit parts (their held-out bucket when the model
    /// trained on this file).
    public var heldOutFile = "testset_w_refs.csv"
    /// Held-out sentences of the forward and edit parts (the contradicting edit sets use up to
    /// half as many each).
    public var sentences = 100
    /// Strengths of the edit part, each in (0, 1].
    public var strengths = [0.2, 0.4, 0.6, 0.8]
    /// Batches of 64 sequences the loss part measures on each side. At 40, seeds 1-3 on the
    /// bundled model moved each side's total by up to 0.015 while the gap between the sides was
    /// 0.026-0.054.
    public var lossBatches = 40

    public init(model: DiffusionModel, modelPath: String, chain: ChainSettings, trainingFiles: [String], labelFiles: [String]) {
        self.model = model
        self.modelPath = modelPath
        self.chain = chain
        self.trainingFiles = trainingFiles
        self.labelFiles = labelFiles
        stepsVariants = StepsVariant.variants(kind: model.config.modelKind, base: chain)
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
    /// The sampling temperature every part's chains ran at; results written before it read as 1.
    public var temperature: Float
    /// The sampler of every part but steps ("DDPM", "DDIM η 0"); results written before it read as DDPM.
    public var sampler: String
    /// The model's kind, which says how its guidance reads; results written before kinds read as continuous.
    public var kind: ModelKind

    public init(model: String, steps: Int, seed: UInt64, trainingSentences: Int, heldOutSentences: Int,
                meanLength: Double, temperature: Float, sampler: String = ChainSettings().samplerDescription,
                kind: ModelKind = .continuous) {
        self.model = model; self.steps = steps; self.seed = seed; self.trainingSentences = trainingSentences
        self.heldOutSentences = heldOutSentences; self.meanLength = meanLength; self.temperature = temperature
        self.sampler = sampler; self.kind = kind
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case model, steps, seed, trainingSentences, heldOutSentences, meanLength, temperature, sampler, kind
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decode(String.self, forKey: .model)
        steps = try c.decode(Int.self, forKey: .steps)
        seed = try c.decode(UInt64.self, forKey: .seed)
        trainingSentences = try c.decode(Int.self, forKey: .trainingSentences)
        heldOutSentences = try c.decode(Int.self, forKey: .heldOutSentences)
        meanLength = try c.decode(Double.self, forKey: .meanLength)
        temperature = try c.decodeIfPresent(Float.self, forKey: .temperature) ?? 1
        sampler = try c.decodeIfPresent(String.self, forKey: .sampler) ?? ChainSettings().samplerDescription
        kind = try c.decodeIfPresent(ModelKind.self, forKey: .kind) ?? .continuous
    }
}

/// Everything an evaluation measured; a part not run is nil.
public struct EvaluationResult: Codable, Sendable, Equatable {
    public var header: EvaluationHeader
    public var unguided: UnguidedEvaluation?
    /// Every value alone.
    public var control: ControlEvaluation?
    public var pairs: ControlSetEvaluation?
    public var triples: ControlSetEvaluation?
    /// Why the control parts were asked for but not run.
    public var controlSkipped: String?
    public var length: LengthEvaluation?
    public var infill: InfillEvaluation?
    public var steps: StepsEvaluation?
    public var forward: ForwardEvaluation?
    public var edit: EditEvaluation?
    public var loss: LossEvaluation?
    /// Why the forward, edit or loss part was asked for but not run.
    public var forwardSkipped: String?
    public var editSkipped: String?
    public var lossSkipped: String?

    public init(header: EvaluationHeader) {
        self.header = header
    }
}

/// What an evaluation reports as it works: each figure as soon as it is measured.
public enum EvaluationEvent: Sendable {
    case began(EvaluationHeader)
    case unguided(UnguidedEvaluation)
    case controlBegan(values: Int, minimumExamples: Int, perTarget: Int, guidance: GuidanceSettings, kind: ModelKind)
    case target(TargetEvaluation)
    case control(ControlEvaluation)
    case setsBegan(size: Int, sets: Int, seed: UInt64, perSet: Int, guidance: GuidanceSettings, kind: ModelKind)
    case set(ControlOutcome)
    case sets(ControlSetEvaluation)
    case controlSkipped(String)
    case length(LengthEvaluation)
    case infill(InfillEvaluation)
    case stepsBegan(count: Int, perTarget: Int, targets: [String], stepCounts: [Int])
    case stepsRow(StepsRow)
    case forward(ForwardEvaluation)
    /// The plain edit set, then each contradicting set, as each is measured.
    case editSet(EditSet)
    case editContradictionsSkipped(String)
    /// A part of `forward`, `edit` and `loss` that was asked for and could not run, and why.
    case skipped(EvaluationPart, String)
    case loss(LossEvaluation)
}

/// Measures a model's quality: fluency, copies and length of unguided samples; success of
/// single, paired and tripled controls, of lengths and of infilling; the forward curve,
/// editing and the held-out loss. Every sample comes from `BatchSampler` with the settings' seed.
public struct Evaluation {
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
            trainingSentences: train.count, heldOutSentences: heldOut.count, meanLength: index.meanLength,
            temperature: settings.chain.temperature, sampler: settings.chain.samplerDescription,
            kind: settings.model.config.modelKind))
        events(.began(result.header))
        if settings.parts.contains(.unguided) {
            let unguided = try evaluateUnguided(index: index, heldOut: heldOut)
            result.unguided = unguided
            events(.unguided(unguided))
        }
        if !settings.parts.isDisjoint(with: [.control, .pairs, .triples]) {
            if let classifier = m.classifier {
                let values = try controlValues(classifier)
                let unguidedShare = result.unguided?.trigramShare
                if settings.parts.contains(.control) {
                    let control = try evaluateControl(classifier, values: values, index: index, unguidedShare: unguidedShare, events: events)
                    result.control = control
                    events(.control(control))
                }
                for (part, size) in [(EvaluationPart.pairs, 2), (.triples, 3)] where settings.parts.contains(part) {
                    let sets = try evaluateSets(size: size, values: values, index: index, unguidedShare: unguidedShare, events: events)
                    if size == 2 { result.pairs = sets } else { result.triples = sets }
                    events(.sets(sets))
                }
            } else {
                result.controlSkipped = "this model has no classifier"
                events(.controlSkipped("this model has no classifier"))
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
        if settings.parts.contains(.steps) {
            result.steps = try evaluateSteps(index: index, events: events)
        }
        if !settings.parts.isDisjoint(with: [.forward, .edit]) {
            let held = try heldOutSources()
            if settings.parts.contains(.forward) {
                let (forward, skipped) = try evaluateForward(held)
                result.forward = forward; result.forwardSkipped = skipped
                if let forward { events(.forward(forward)) }
                if let skipped { events(.skipped(.forward, skipped)) }
            }
            if settings.parts.contains(.edit) {
                let (edit, skipped) = try evaluateEdit(held, index: index, events: events)
                result.edit = edit; result.editSkipped = skipped
                if let skipped { events(.skipped(.edit, skipped)) }
            }
        }
        if settings.parts.contains(.loss) {
            let (loss, skipped) = try evaluateLoss(examples: examples)
            result.loss = loss; result.lossSkipped = skipped
            if let loss { events(.loss(loss)) }
            if let skipped { events(.skipped(.loss, skipped)) }
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
