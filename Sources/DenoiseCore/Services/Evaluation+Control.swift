import Foundation

/// Control success of every measured value alone.
public struct ControlEvaluation: Codable, Sendable, Equatable {
    public var perTarget: Int
    public var guidance: GuidanceSettings
    /// Values with fewer training examples were left out (0: every value the classifier offers).
    public var minimumExamples: Int
    public var targets: [TargetEvaluation]
    /// Per field, in the classifier's order: the mean success over its targets.
    public var fields: [FieldEvaluation]
    /// Mean success over the targets; nil when no target was measured.
    public var success: Double?
    /// Trigram share of every guided sample, and of the unguided ones when measured.
    public var fluency: Double?
    public var unguidedFluency: Double?
    /// Wall time per reverse step per sample, batched over `cores` cores.
    public var millisecondsPerGuidedStep: Double?
    public var cores: Int

    /// Success below which a value counts as weak in the report.
    public static let weakSuccess = 0.70

    /// The targets under `weakSuccess`, in measuring order.
    public var weakTargets: [TargetEvaluation] { targets.filter { $0.successRate < Self.weakSuccess } }
    /// The target with the lowest success (the first of equals).
    public var worst: TargetEvaluation? { targets.min { $0.successRate < $1.successRate } }
}

/// One control target: the share of its samples that mention the value.
public struct TargetEvaluation: Codable, Sendable, Equatable {
    public var field: String
    public var value: String
    public var hits: Int
    public var samples: Int
    public var successRate: Double { Double(hits) / Double(samples) }
}

/// One field's mean success over its targets.
public struct FieldEvaluation: Codable, Sendable, Equatable {
    public var field: String
    public var meanSuccess: Double
    public var targets: Int
}

/// Random cross-field sets of controls (the pairs or the triples part): a set succeeds when
/// its text meets every control.
public struct ControlSetEvaluation: Codable, Sendable, Equatable {
    /// Controls per set: 2 for pairs, 3 for triples.
    public var size: Int
    /// The seed the sets were drawn with (also the chains' seed).
    public var seed: UInt64
    public var perSet: Int
    public var guidance: GuidanceSettings
    public var outcomes: [ControlOutcome]
    /// Mean success over the sets (each set weighs the same); nil when no set was drawn.
    public var success: Double?
    /// The lowest set's success, and its controls.
    public var worst: Double?
    public var worstControls: [String]
    /// Trigram share of every sample of the sets, and of the unguided ones when measured.
    public var fluency: Double?
    public var unguidedFluency: Double?
    public var millisecondsPerGuidedStep: Double?
    public var cores: Int

    /// The part's name: pairs, triples or "sets of N".
    public var name: String { Self.name(size: size) }

    public static func name(size: Int) -> String { size == 2 ? "pairs" : size == 3 ? "triples" : "sets of \(size)" }
}

extension Evaluation {
    /// The values the control parts measure: every value the classifier offers, narrowed to
    /// the asked-for fields and targets and, when `minimumExamples` > 0, to values with at
    /// least that many training sentences in the label files.
    func controlValues(_ classifier: Classifier) throws -> [ControlTarget] {
        var counts = [String: Int]()
        if settings.minimumExamples > 0 {
            let labelled = try settings.labelFiles.flatMap { try CorpusReader.read(path: $0) }
            for ex in labelled where !TrainingData.isHeldOut(ex.text, percent: heldOutPercent) {
                for (f, v) in ex.meaning?.values ?? [:] { counts["\(f)=\(v)", default: 0] += 1 }
            }
        }
        let chosen = Set(settings.targets.map { $0.description.lowercased() })
        // A value the model cannot write (a word missing from its vocabulary) is not offered.
        return ControlSets.values(of: classifier) { t in
            settings.model.writable(t) && (settings.fields?.contains(t.field) ?? true) && (chosen.isEmpty || chosen.contains(t.description.lowercased()))
                && (settings.minimumExamples == 0 || counts[t.description, default: 0] >= settings.minimumExamples)
        }
    }

    func evaluateControl(_ classifier: Classifier, values: [ControlTarget], index: TrigramIndex, unguidedShare: Double?,
                         events: (EvaluationEvent) -> Void) throws -> ControlEvaluation {
        let perTarget = settings.perTarget
        events(.controlBegan(values: values.count, minimumExamples: settings.minimumExamples, perTarget: perTarget,
                             guidance: settings.chain.guidance, kind: settings.model.config.modelKind))
        var next = 0
        let measured = try ControlSets.measure(model: settings.model, base: settings.chain, sets: values.map { [$0] }, perSet: perTarget) {
            events(.target(TargetEvaluation(values[next], $0)))
            next += 1
        }
        let targets = zip(values, measured.outcomes).map(TargetEvaluation.init)
        let fields = classifier.fields.compactMap { field -> FieldEvaluation? in
            let rates = targets.filter { $0.field == field.name }.map(\.successRate)
            return rates.isEmpty ? nil : FieldEvaluation(field: field.name, meanSuccess: rates.reduce(0, +) / Double(rates.count), targets: rates.count)
        }
        let some = !targets.isEmpty
        return ControlEvaluation(
            perTarget: perTarget, guidance: settings.chain.guidance, minimumExamples: settings.minimumExamples,
            targets: targets, fields: fields,
            success: some ? targets.map(\.successRate).reduce(0, +) / Double(targets.count) : nil,
            fluency: some ? index.share(measured.samples) : nil, unguidedFluency: unguidedShare,
            millisecondsPerGuidedStep: some ? millisecondsPerStep(measured) : nil,
            cores: ProcessInfo.processInfo.activeProcessorCount)
    }

    /// `settings.combinations` random cross-field sets of `size` values, `perTarget` samples each.
    func evaluateSets(size: Int, values: [ControlTarget], index: TrigramIndex, unguidedShare: Double?,
                      events: (EvaluationEvent) -> Void) throws -> ControlSetEvaluation {
        let seed = settings.chain.seed, perSet = settings.perTarget
        let sets = ControlSets.combinations(of: values, size: size, count: settings.combinations, seed: seed)
        events(.setsBegan(size: size, sets: sets.count, seed: seed, perSet: perSet, guidance: settings.chain.guidance,
                          kind: settings.model.config.modelKind))
        let measured = try ControlSets.measure(model: settings.model, base: settings.chain, sets: sets, perSet: perSet) { events(.set($0)) }
        let outcomes = measured.outcomes, some = !outcomes.isEmpty
        let worst = outcomes.min { $0.rate < $1.rate }
        return ControlSetEvaluation(
            size: size, seed: seed, perSet: perSet, guidance: settings.chain.guidance, outcomes: outcomes,
            success: some ? outcomes.map(\.rate).reduce(0, +) / Double(outcomes.count) : nil,
            worst: worst?.rate, worstControls: worst?.controls ?? [],
            fluency: some ? index.share(measured.samples) : nil, unguidedFluency: unguidedShare,
            millisecondsPerGuidedStep: some ? millisecondsPerStep(measured) : nil,
            cores: ProcessInfo.processInfo.activeProcessorCount)
    }

    /// Wall time per reverse step and sample of a measurement.
    func millisecondsPerStep(_ measured: ControlSetSamples) -> Double {
        1000 * measured.seconds / Double(settings.chain.steps * max(1, measured.samples.count))
    }
}

extension TargetEvaluation {
    /// A value's single-control outcome.
    init(_ target: ControlTarget, _ outcome: ControlOutcome) {
        self.init(field: target.field, value: target.value, hits: outcome.successes, samples: outcome.samples)
    }
}
