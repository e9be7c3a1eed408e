import DenoiseCore
import Foundation

/// The `forward` and `edit` parts of `denoise eval`: the forward curve, and editing by partial
/// noising, on held-out sentences.
extension Eval {
    /// Runs the forward and edit parts when asked for, against the settings' training corpus.
    func evaluateForwardAndEdit(_ settings: EvaluationSettings) throws {
        guard parts.forward || parts.edit else { return }
        let m = settings.model
        let percent = m.config.training?.heldOutPercent ?? 5
        let train = try settings.trainingFiles.flatMap { try CorpusReader.read(path: $0) }
            .filter { !TrainingData.isHeldOut($0.text, percent: percent) }.map { Tokenizer.tokenize($0.text) }
        let held = try heldOutSources(model: m, trainingFiles: settings.trainingFiles)
        if parts.forward { try evaluateForward(model: m, held: held.sources, skipped: held.skipped, file: held.file) }
        if parts.edit {
            try evaluateEdit(model: m, held: held.sources, index: TrigramIndex(sentences: train), base: settings.chain, file: held.file)
        }
    }

    /// Held-out sentences of `heldOutData` that the model can embed (every token in its
    /// vocabulary, at most L-2 tokens), with their meaning representations, and how many were
    /// skipped. A file the model trained on contributes its held-out part only.
    func heldOutSources(model m: DiffusionModel, trainingFiles: [String]) throws
        -> (sources: [(source: SourceSentence, meaning: MeaningRepresentation?)], skipped: Int, file: String) {
        let file = try heldOutData ?? DefaultData.path(DefaultData.heldOut, replacedBy: "--held-out-data")
        let trainedOn = trainingFiles.contains { ($0 as NSString).lastPathComponent == (file as NSString).lastPathComponent }
        let percent = m.config.training?.heldOutPercent ?? 5
        var seen = Set<String>(), sources = [(source: SourceSentence, meaning: MeaningRepresentation?)](), skipped = 0
        for ex in try CorpusReader.read(path: file) where !trainedOn || TrainingData.isHeldOut(ex.text, percent: percent) {
            guard seen.insert(ex.text).inserted else { continue }
            if let s = try? SourceSentence(text: ex.text, vocabulary: m.vocabulary, sequenceLength: m.config.sequenceLength) {
                sources.append((s, ex.meaning))
            } else {
                skipped += 1
            }
        }
        return (sources, skipped, file)
    }

    func evaluateForward(model m: DiffusionModel, held: [(source: SourceSentence, meaning: MeaningRepresentation?)],
                         skipped: Int, file: String) throws {
        let sources = Array(held.prefix(sentences)).map(\.source)
        guard !sources.isEmpty else { print("\n== forward: skipped (no held-out sentence the model can embed in \(file))"); return }
        let start = Date()
        let curve = try ForwardCurve.measure(model: m, sources: sources, seed: seed, steps: steps)
        print("\n== forward (\(sources.count) held-out sentences of \(file); \(skipped) skipped: unknown words or too long;")
        print("   one noise draw per sentence, \(steps) steps, \(String(format: "%.1f", Date().timeIntervalSince(start))) s)")
        print(" step     t  alphaBar  SNR dB   kept  x0Kept")
        let shown = Set(stride(from: 0, to: steps, by: max(1, steps / 20)).map { $0 } + [steps - 1])
        for k in shown.sorted() {
            print(String(format: "%5d %5d  %8.5f %7.2f  %5.3f  %6.3f", k + 1, curve.timesteps[k], curve.alphaBars[k], curve.snrDB[k],
                         curve.kept[k], curve.x0Kept[k]))
        }
        let floor = curve.x0Kept[steps - 1]
        print(String(format: "x0Kept from pure noise (t = %d): %.3f — the model's guess of a sentence it cannot see", curve.timesteps[steps - 1], floor))
        func at(_ level: Double, _ values: [Double]) -> String {
            guard let k = values.firstIndex(where: { $0 <= level }) else { return "never" }
            return String(format: "t = %d (alphaBar %.3f, SNR %.1f dB)", curve.timesteps[k], curve.alphaBars[k], curve.snrDB[k])
        }
        for level in [0.9, 0.75, 0.5] {
            print(String(format: "kept <= %.2f from %@; x0Kept <= %.2f from %@", level, at(level, curve.kept) as NSString,
                         level, at(level, curve.x0Kept) as NSString))
        }
        let halfway = (1 + floor) / 2
        print(String(format: "x0Kept halfway to its noise floor (%.3f) from %@", halfway, at(halfway, curve.x0Kept) as NSString))
        print(String(format: "x0Kept within 0.05 of its noise floor from %@", at(floor + 0.05, curve.x0Kept) as NSString))
    }

    func evaluateEdit(model m: DiffusionModel, held: [(source: SourceSentence, meaning: MeaningRepresentation?)],
                      index: TrigramIndex, base: ChainSettings, file: String) throws {
        let plain = Array(held.prefix(sentences)).map(\.source)
        guard !plain.isEmpty else { print("\n== edit: skipped (no held-out sentence the model can embed in \(file))"); return }
        let levels = try strengthLevels()
        print("\n== edit (\(plain.count) held-out sentences, one edit each, length fixed to the source's; \(steps) steps)")
        print(String(format: "held-out sources: trigram share %.3f", index.share(plain.map(\.tokens))))
        print("strength  start t  words kept  trigram share")
        var shown = [String]()
        for s in levels {
            let r = try EditMeasurement.measure(model: m, sources: plain, strength: s, settings: base, control: nil,
                                                sourceValue: nil, index: index)
            print(String(format: "%8.2f  %7d  %10.3f  %13.3f", s, r.startT, r.wordsKept, r.fluency))
            if let e = r.examples.first { shown.append(String(format: "  %.1f: %@  →  %@", s, e.source as NSString, e.result as NSString)) }
        }
        shown.forEach { print($0) }
        guard m.classifier != nil else { print("edit with a contradicting control: skipped (this model has no classifier)"); return }
        let contradictions = [("food", "French", "Italian"), ("area", "city centre", "riverside")]
        for (field, from, to) in contradictions {
            let sources = Array(held.filter { $0.meaning?.values[field] == from }.prefix(max(1, sentences / 2))).map(\.source)
            guard !sources.isEmpty else { print("edit \(field)=\(to) on \(field)=\(from) sentences: skipped (none held out)"); continue }
            print("\nedit with \(field)=\(to) on \(sources.count) sentences whose MR says \(field)=\(from) (mention judged from text)")
            print("strength  words kept  \(to) mentioned  \(from) still mentioned  trigram share")
            var examples = [String]()
            for s in levels {
                let r = try EditMeasurement.measure(model: m, sources: sources, strength: s, settings: base,
                                                    control: ControlTarget(field: field, value: to), sourceValue: from, index: index)
                print(String(format: "%8.2f  %10.3f  %14.3f  %20.3f  %13.3f", s, r.wordsKept, r.controlSuccess ?? 0,
                             r.sourceValueKept ?? 0, r.fluency))
                if let e = r.examples.first { examples.append(String(format: "  %.1f: %@  →  %@", s, e.source as NSString, e.result as NSString)) }
            }
            examples.forEach { print($0) }
        }
    }

    func strengthLevels() throws -> [Double] {
        try strengths.split(separator: ",").map { text in
            guard let s = Double(text.trimmingCharacters(in: .whitespaces)) else {
                throw DenoiseError.invalid("--strengths \"\(strengths)\" is not a comma-separated list of numbers in (0, 1]")
            }
            try SentenceEdit.validate(strength: s)
            return s
        }
    }
}
