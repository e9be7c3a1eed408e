import Foundation

/// The text report of an evaluation: the lines each event adds, so a report printed as the
/// evaluation runs and one rendered from the finished result are the same text.
public enum EvaluationReport {
    public static func lines(for event: EvaluationEvent) -> [String] {
        switch event {
        case let .began(h):
            let temperature = h.temperature == 1 ? "" : String(format: " · temperature %.2g", h.temperature)
            let sampler = h.sampler == "DDPM" ? "" : " · \(h.sampler)"
            return ["denoise eval · \(h.model) · \(h.steps) steps · seed \(h.seed)\(temperature)\(sampler)",
                    "corpus: \(h.trainingSentences) training sentences (trigram reference), \(h.heldOutSentences) held out; mean length \(String(format: "%.1f", h.meanLength)) tokens"]
        case let .unguided(u):
            return unguided(u)
        case let .controlBegan(values, minimumExamples, perTarget, g, kind):
            let which = minimumExamples > 0 ? " with at least \(minimumExamples) training examples" : ""
            return ["\n== control (\(values) values\(which), \(perTarget) samples each)"] + guidanceLines(g, kind: kind)
        case let .target(t):
            return ["  " + padded("\(t.field)=\(t.value)", 40) + String(format: " %.2f", t.successRate)]
        case let .control(c):
            return controlSummary(c)
        case let .setsBegan(size, sets, seed, perSet, g, kind):
            let name = ControlSetEvaluation.name(size: size)
            return ["\n== \(name) (\(sets) random cross-field sets, seed \(seed), \(perSet) samples each; success = every control met)"]
                + guidanceLines(g, kind: kind)
        case let .set(o):
            let detail = "  (" + o.controls.map { String(format: "%.2f", o.perControl[$0] ?? 0) }.joined(separator: " ") + ")"
            return ["  " + padded(o.controls.joined(separator: " + "), 60) + String(format: " %.2f", o.rate) + detail]
        case let .sets(r):
            return setsSummary(r)
        case let .controlSkipped(reason):
            return ["\n== control: skipped (\(reason))"]
        case let .length(l):
            return ["\n== length (\(l.perLength) samples per length)",
                    String(format: "exact length           %.1f%% of %d samples (N = %d...%d)", 100 * l.exactShare, l.total, l.shortest, l.longest)]
                + (l.misses.isEmpty ? [] : ["  misses: " + l.misses.map { "\($0.length): \($0.exact)/\($0.samples)" }.joined(separator: ", ")])
        case let .infill(i):
            return ["\n== infill (\(i.perTemplate) samples per template)"]
                + i.templates.map { "  \($0.template)  →  \($0.firstSample)" }
                + [String(format: "infill words kept      %.1f%% of %d", 100 * i.keptShare, i.given)]
        case let .stepsBegan(count, perTarget, targets, stepCounts):
            return stepsHeader(count: count, perTarget: perTarget, targets: targets, stepCounts: stepCounts)
        case let .stepsRow(row):
            return stepsRow(row)
        case let .forward(f):
            return forward(f)
        case let .editSet(set):
            return editSet(set)
        case let .editContradictionsSkipped(reason):
            return ["edit with a contradicting control: skipped (\(reason))"]
        case let .skipped(part, reason):
            return ["\n== \(part.rawValue): skipped (\(reason))"]
        case let .loss(l):
            return loss(l)
        }
    }

    static func unguided(_ u: UnguidedEvaluation) -> [String] {
        let prior = u.lengthPrior ? "lengths drawn from the training length prior" : "model decides the length"
        var lines = ["\n== unguided (\(u.count) samples, \(prior), \(String(format: "%.1f", u.seconds)) s)",
                     String(format: "trigram share          %.3f   (held-out real sentences: %.3f)", u.trigramShare, u.heldOutTrigramShare),
                     String(format: "verbatim copies        %.1f%%", 100 * Double(u.copies) / Double(u.count))]
        if let d = u.distinctTrigrams {
            lines.append(String(format: "distinct trigrams      %.3f", d)
                         + (u.heldOutDistinctTrigrams.map { String(format: "   (as many held-out real sentences: %.3f)", $0) } ?? ""))
        }
        lines.append(String(format: "mean length            %.1f tokens (corpus %.1f, ratio %.2f)", u.meanLength, u.corpusMeanLength,
                             u.meanLength / u.corpusMeanLength))
        lines += u.examples.map { "  · " + $0 }
        if let free = u.freeLength {
            lines.append(String(format: "free length (no prior) trigram share %.3f, mean length %.1f tokens (ratio %.2f)",
                                free.trigramShare, free.meanLength, free.meanLength / u.corpusMeanLength))
        }
        return lines
    }

    /// `text` left-aligned in `width` columns (Foundation's `%-N@` does not pad on Linux).
    static func padded(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text.padding(toLength: width, withPad: " ", startingAt: 0)
    }

    /// The guidance settings every control part runs with, as the model's kind reads them.
    static func guidanceLines(_ g: GuidanceSettings, kind: ModelKind) -> [String] {
        switch kind {
        case .masked where g.candidates > 0, .uniform where g.candidates > 0:
            let event = kind == .masked ? "committed" : "changed"
            return [String(format: "guidance: weight %.3g; each %@ word drawn among %d candidates, reweighted by p(control)^w",
                           g.weight, event as NSString, g.candidates)]
        case .masked, .uniform:
            return [String(format: "guidance: weight %.3g, first-order reweighting of every position's words", g.weight)]
        case .continuous:
            break
        }
        var lines = [String(format: "guidance: %d steps of %.3g (%@), weight %.3g, lambda %.3g, last %d of 200 steps unguided",
                            g.iterations, g.stepSize, g.update.rawValue as NSString, g.weight, g.lambda, g.unguidedFinalSteps),
                     "          saturation \(g.saturating ? "on" : "off")"]
        if g.predictionIterations > 0 {
            lines.append(String(format: "          and %d steps of %.3g on the prediction x0-hat", g.predictionIterations, g.predictionStepSize))
        }
        return lines
    }

    static func controlSummary(_ c: ControlEvaluation) -> [String] {
        var lines = ["per field (mean over its values):"]
        lines += c.fields.map { "  " + padded($0.field, 18) + String(format: " %.3f  (%d values)", $0.meanSuccess, $0.targets) }
        guard let success = c.success, let worst = c.worst else { return lines + ["no value measured"] }
        let weak = c.weakTargets.map { "\($0.field)=\($0.value)" }
        lines.append(String(format: "values under %.2f: %@", ControlEvaluation.weakSuccess, (weak.isEmpty ? "none" : weak.joined(separator: ", ")) as NSString))
        lines.append(String(format: "control success        %.3f   (mean over %d values), worst %.2f (%@)", success, c.targets.count,
                            worst.successRate, "\(worst.field)=\(worst.value)" as NSString))
        return lines + fluencyAndTime(c.fluency, c.unguidedFluency, c.millisecondsPerGuidedStep, c.cores)
    }

    static func setsSummary(_ r: ControlSetEvaluation) -> [String] {
        guard let success = r.success, let worst = r.worst else { return ["no \(r.name) drawn: they need values of \(r.size) fields (see --fields and --target)"] }
        return [String(format: "%@ success %.3f   (mean over %d sets), worst %.2f (%@)", r.name as NSString, success, r.outcomes.count,
                       worst, r.worstControls.joined(separator: " + ") as NSString)]
            + fluencyAndTime(r.fluency, r.unguidedFluency, r.millisecondsPerGuidedStep, r.cores)
    }

    static func fluencyAndTime(_ fluency: Double?, _ unguided: Double?, _ milliseconds: Double?, _ cores: Int) -> [String] {
        guard let fluency, let milliseconds else { return [] }
        return [String(format: "controlled fluency     %.3f   (trigram share%@)", fluency,
                       unguided.map { String(format: "; unguided %.3f", $0) as NSString } ?? ""),
                String(format: "time per guided step   %.2f ms per sample (batched, %d cores)", milliseconds, cores)]
    }
}

extension EvaluationResult {
    /// The events that report this result, in the order the evaluation sends them.
    public var events: [EvaluationEvent] {
        var events: [EvaluationEvent] = [.began(header)]
        if let unguided { events.append(.unguided(unguided)) }
        if let control {
            events.append(.controlBegan(values: control.targets.count, minimumExamples: control.minimumExamples,
                                        perTarget: control.perTarget, guidance: control.guidance, kind: header.kind))
            events += control.targets.map(EvaluationEvent.target)
            events.append(.control(control))
        }
        for sets in [pairs, triples].compactMap({ $0 }) {
            events.append(.setsBegan(size: sets.size, sets: sets.outcomes.count, seed: sets.seed, perSet: sets.perSet, guidance: sets.guidance,
                                     kind: header.kind))
            events += sets.outcomes.map(EvaluationEvent.set)
            events.append(.sets(sets))
        }
        if let controlSkipped { events.append(.controlSkipped(controlSkipped)) }
        if let length { events.append(.length(length)) }
        if let infill { events.append(.infill(infill)) }
        if let steps {
            events.append(.stepsBegan(count: steps.count, perTarget: steps.perTarget, targets: steps.targets, stepCounts: steps.stepCounts))
            events += steps.rows.map(EvaluationEvent.stepsRow)
        }
        if let forward { events.append(.forward(forward)) }
        if let forwardSkipped { events.append(.skipped(.forward, forwardSkipped)) }
        if let edit {
            events += ([edit.plain] + edit.contradictions).map(EvaluationEvent.editSet)
            if let reason = edit.contradictionsSkipped { events.append(.editContradictionsSkipped(reason)) }
        }
        if let editSkipped { events.append(.skipped(.edit, editSkipped)) }
        if let loss { events.append(.loss(loss)) }
        if let lossSkipped { events.append(.skipped(.loss, lossSkipped)) }
        return events
    }

    /// The whole text report.
    public var report: [String] { events.flatMap(EvaluationReport.lines) }

    /// The result as JSON with sorted keys, as `denoise eval --format json` prints it.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }
}
