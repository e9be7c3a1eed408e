import Foundation

/// The forward curve on held-out sentences: how much of each sentence x_t and the denoiser's
/// x0-hat still hold as noise rises (`denoise eval --parts forward`).
public struct ForwardEvaluation: Codable, Sendable, Equatable {
    /// The held-out sentences' file.
    public var file: String
    /// Sentences walked, one noise draw each.
    public var sentences: Int
    /// Sentences of the file left out: a word not in the vocabulary, or too long.
    public var skippedSentences: Int
    public var steps: Int
    public var seconds: Double
    public var curve: ForwardCurve
}

/// One strength of an edit set: where the chains start and what the edits kept.
public struct EditRow: Codable, Sendable, Equatable {
    public var strength: Double
    /// Original time index the chains start at.
    public var startT: Int
    /// Share of source token positions holding the source's token in the result.
    public var wordsKept: Double
    /// Trigram share of the results.
    public var fluency: Double
    /// Share of results that mention the control's value (contradicting sets only).
    public var controlSuccess: Double?
    /// Share of results that still mention the source's value (contradicting sets only).
    public var sourceValueKept: Double?
    /// The first source and its edit.
    public var exampleSource: String?
    public var exampleResult: String?

    init(_ m: EditMeasurement) {
        strength = m.strength; startT = m.startT; wordsKept = m.wordsKept; fluency = m.fluency
        controlSuccess = m.controlSuccess; sourceValueKept = m.sourceValueKept
        exampleSource = m.examples.first?.source; exampleResult = m.examples.first?.result
    }
}

/// Edits of held-out sentences at every strength: plain ones (no control), or with a control
/// that contradicts what the sources say (`control`, the sources' own value `sourceValue`).
public struct EditSet: Codable, Sendable, Equatable {
    public var control: ControlTarget?
    public var sourceValue: String?
    public var sentences: Int
    public var steps: Int
    /// Trigram share of the sources themselves (plain sets).
    public var sourceFluency: Double?
    public var rows: [EditRow]
    /// Why a contradicting set was not measured.
    public var skipped: String?
}

/// The edit part (`denoise eval --parts edit`): the plain set, then the contradicting sets.
public struct EditEvaluation: Codable, Sendable, Equatable {
    public var file: String
    public var plain: EditSet
    public var contradictions: [EditSet]
    /// Why the contradicting sets were not measured (a model without a classifier).
    public var contradictionsSkipped: String?
}

/// The loss part (`denoise eval --parts loss`): the training loss of the saved weights on
/// training and on held-out sentences.
public struct LossEvaluation: Codable, Sendable, Equatable {
    /// The loss terms of one side, means over its sequences.
    public struct Terms: Codable, Sendable, Equatable {
        public var total: Double
        public var mse: Double
        public var roundingCE: Double
        public var outputCE: Double

        init(_ p: LossParts) {
            total = Double(p.total); mse = Double(p.mse); roundingCE = Double(p.roundingCE); outputCE = Double(p.outputCE)
        }
    }

    /// Sequences each side was measured on.
    public var sequences: Int
    public var trainingSentences: Int
    public var heldOutSentences: Int
    public var seconds: Double
    public var training: Terms
    public var heldOut: Terms
    /// Held-out total over training total.
    public var ratio: Double
}

extension Evaluation {
    /// The contradicting controls of the edit part: (field, the sources' value, the control's).
    static let contradictions = [("food", "French", "Italian"), ("area", "city centre", "riverside")]

    /// The held-out sentences of the forward and edit parts: `heldOutFile`, its held-out bucket
    /// only when the model trained on it.
    func heldOutSources() throws -> HeldOutSentences {
        let file = settings.heldOutFile
        let trainedOn = settings.trainingFiles.contains { ($0 as NSString).lastPathComponent == (file as NSString).lastPathComponent }
        return try HeldOutSentences.read(path: file, model: settings.model, heldOutPercent: trainedOn ? heldOutPercent : nil)
    }

    /// The forward curve of the first `sentences` held-out sentences; nil with the reason when
    /// there are none.
    func evaluateForward(_ held: HeldOutSentences) throws -> (ForwardEvaluation?, skipped: String?) {
        let sources = held.sentences.prefix(settings.sentences).map(\.source)
        guard !sources.isEmpty else { return (nil, "no held-out sentence the model can embed in \(settings.heldOutFile)") }
        let start = Date()
        let curve = try ForwardCurve.measure(model: settings.model, sources: Array(sources), seed: settings.chain.seed,
                                             steps: settings.chain.steps)
        return (ForwardEvaluation(file: settings.heldOutFile, sentences: sources.count, skippedSentences: held.skipped,
                                  steps: settings.chain.steps, seconds: Date().timeIntervalSince(start), curve: curve), nil)
    }

    /// Edits of the held-out sentences at every strength: the plain set, then the contradicting
    /// sets (each sent to `events` as it is measured); nil with the reason when there are no
    /// sentences.
    func evaluateEdit(_ held: HeldOutSentences, index: TrigramIndex,
                      events: (EvaluationEvent) -> Void) throws -> (EditEvaluation?, skipped: String?) {
        let m = settings.model, steps = settings.chain.steps
        let plainSources = Array(held.sentences.prefix(settings.sentences).map(\.source))
        guard !plainSources.isEmpty else { return (nil, "no held-out sentence the model can embed in \(settings.heldOutFile)") }
        func rows(_ sources: [SourceSentence], control: ControlTarget?, sourceValue: String?) throws -> [EditRow] {
            try settings.strengths.map { s in
                EditRow(try EditMeasurement.measure(model: m, sources: sources, strength: s, settings: settings.chain,
                                                    control: control, sourceValue: sourceValue, index: index))
            }
        }
        let plain = EditSet(control: nil, sourceValue: nil, sentences: plainSources.count, steps: steps,
                            sourceFluency: index.share(plainSources.map(\.tokens)),
                            rows: try rows(plainSources, control: nil, sourceValue: nil), skipped: nil)
        events(.editSet(plain))
        var result = EditEvaluation(file: settings.heldOutFile, plain: plain, contradictions: [], contradictionsSkipped: nil)
        guard m.classifier != nil else {
            result.contradictionsSkipped = "this model has no classifier"
            events(.editContradictionsSkipped("this model has no classifier"))
            return (result, nil)
        }
        for (field, from, to) in Self.contradictions {
            let control = ControlTarget(field: field, value: to)
            let sources = Array(held.sentences.filter { $0.meaning?.values[field] == from }
                .prefix(max(1, settings.sentences / 2)).map(\.source))
            var set = EditSet(control: control, sourceValue: from, sentences: sources.count, steps: steps,
                              sourceFluency: nil, rows: [], skipped: sources.isEmpty ? "none held out" : nil)
            if !sources.isEmpty { set.rows = try rows(sources, control: control, sourceValue: from) }
            result.contradictions.append(set)
            events(.editSet(set))
        }
        return (result, nil)
    }

    /// The training loss of the saved weights on `lossBatches` batches of training and of
    /// held-out sentences; nil with the reason when the model is not trainable here or no
    /// held-out sentence fits.
    func evaluateLoss(examples: [CorpusExample]) throws -> (LossEvaluation?, skipped: String?) {
        let m = settings.model
        guard m.denoiser.isTrainable else {
            return (nil, "a model of the \(m.config.architectureKind.rawValue) architecture is not trained here")
        }
        let start = Date()
        guard let r = try HeldOutLoss.measure(model: m, examples: examples, batches: settings.lossBatches, seed: settings.chain.seed) else {
            return (nil, "no held-out sentence of the corpus fits the model")
        }
        return (LossEvaluation(sequences: r.sequences, trainingSentences: r.trainingSentences, heldOutSentences: r.heldOutSentences,
                               seconds: Date().timeIntervalSince(start), training: .init(r.training), heldOut: .init(r.heldOut),
                               ratio: Double(r.heldOut.total / max(r.training.total, 1e-12))), nil)
    }
}

extension EvaluationReport {
    static func forward(_ f: ForwardEvaluation) -> [String] {
        let curve = f.curve, steps = f.steps
        var lines = ["\n== forward (\(f.sentences) held-out sentences of \(f.file); \(f.skippedSentences) skipped: unknown words or too long;",
                     "   one noise draw per sentence, \(steps) steps, \(String(format: "%.1f", f.seconds)) s)",
                     " step     t  alphaBar  SNR dB   kept  x0Kept"]
        let shown = Set(stride(from: 0, to: steps, by: max(1, steps / 20)).map { $0 } + [steps - 1])
        for k in shown.sorted() {
            lines.append(String(format: "%5d %5d  %8.5f %7.2f  %5.3f  %6.3f", k + 1, curve.timesteps[k], curve.alphaBars[k], curve.snrDB[k],
                                curve.kept[k], curve.x0Kept[k]))
        }
        let floor = curve.x0Kept[steps - 1]
        lines.append(String(format: "x0Kept from pure noise (t = %d): %.3f — the model's guess of a sentence it cannot see",
                            curve.timesteps[steps - 1], floor))
        func at(_ level: Double, _ values: [Double]) -> String {
            guard let k = values.firstIndex(where: { $0 <= level }) else { return "never" }
            return String(format: "t = %d (alphaBar %.3f, SNR %.1f dB)", curve.timesteps[k], curve.alphaBars[k], curve.snrDB[k])
        }
        for level in [0.9, 0.75, 0.5] {
            lines.append(String(format: "kept <= %.2f from %@; x0Kept <= %.2f from %@", level, at(level, curve.kept) as NSString,
                                level, at(level, curve.x0Kept) as NSString))
        }
        let halfway = (1 + floor) / 2
        lines.append(String(format: "x0Kept halfway to its noise floor (%.3f) from %@", halfway, at(halfway, curve.x0Kept) as NSString))
        lines.append(String(format: "x0Kept within 0.05 of its noise floor from %@", at(floor + 0.05, curve.x0Kept) as NSString))
        return lines
    }

    static func editSet(_ set: EditSet) -> [String] {
        func example(_ r: EditRow) -> String? {
            guard let source = r.exampleSource, let result = r.exampleResult else { return nil }
            return String(format: "  %.1f: %@  →  %@", r.strength, source as NSString, result as NSString)
        }
        guard let control = set.control else {
            return ["\n== edit (\(set.sentences) held-out sentences, one edit each, length fixed to the source's; \(set.steps) steps)",
                    String(format: "held-out sources: trigram share %.3f", set.sourceFluency ?? 0),
                    "strength  start t  words kept  trigram share"]
                + set.rows.map { String(format: "%8.2f  %7d  %10.3f  %13.3f", $0.strength, $0.startT, $0.wordsKept, $0.fluency) }
                + set.rows.compactMap(example)
        }
        let field = control.field, to = control.value, from = set.sourceValue ?? ""
        if let skipped = set.skipped { return ["edit \(field)=\(to) on \(field)=\(from) sentences: skipped (\(skipped))"] }
        return ["\nedit with \(field)=\(to) on \(set.sentences) sentences whose MR says \(field)=\(from) (mention judged from text)",
                "strength  words kept  \(to) mentioned  \(from) still mentioned  trigram share"]
            + set.rows.map {
                String(format: "%8.2f  %10.3f  %14.3f  %20.3f  %13.3f", $0.strength, $0.wordsKept, $0.controlSuccess ?? 0,
                       $0.sourceValueKept ?? 0, $0.fluency)
            }
            + set.rows.compactMap(example)
    }

    static func loss(_ r: LossEvaluation) -> [String] {
        ["\n== loss (the training loss of the saved weights on \(r.sequences) sequences per side: same times, noise",
         String(format: "   and length fixing; %d training and %d held-out sentences, %.1f s)", r.trainingSentences,
                r.heldOutSentences, r.seconds),
         "              total     mse  round-ce   out-ce"]
            + [("training", r.training), ("held out", r.heldOut)].map { name, p in
                String(format: "%-10@  %7.4f  %6.4f  %8.4f  %7.4f", name as NSString, p.total, p.mse, p.roundingCE, p.outputCE)
            }
            + [String(format: "held-out loss / training loss  %.3f", r.ratio)]
    }
}
