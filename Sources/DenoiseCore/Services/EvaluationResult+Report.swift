import Foundation

/// The text report of an evaluation: the lines each event adds, so a report printed as the
/// evaluation runs and one rendered from the finished result are the same text.
public enum EvaluationReport {
    public static func lines(for event: EvaluationEvent) -> [String] {
        switch event {
        case let .began(h):
            return ["denoise eval · \(h.model) · \(h.steps) steps · seed \(h.seed)",
                    "corpus: \(h.trainingSentences) training sentences (trigram reference), \(h.heldOutSentences) held out; mean length \(String(format: "%.1f", h.meanLength)) tokens"]
        case let .unguided(u):
            return unguided(u)
        case let .controlBegan(perTarget, g):
            var lines = ["\n== control (targets with at least \(Evaluation.minimumTargetExamples) training examples, \(perTarget) samples each)",
                         String(format: "guidance: %d steps of %.3g (%@), weight %.3g, lambda %.3g, last %d of 200 steps unguided",
                                g.iterations, g.stepSize, g.update.rawValue as NSString, g.weight, g.lambda, g.unguidedFinalSteps),
                         "          saturation \(g.saturating ? "on" : "off")"]
            if g.predictionIterations > 0 {
                lines.append(String(format: "          and %d steps of %.3g on the prediction x0-hat", g.predictionIterations, g.predictionStepSize))
            }
            return lines
        case let .target(t):
            return [String(format: "  %-40@ %.2f", "\(t.field)=\(t.value)" as NSString, t.successRate)]
        case let .control(c):
            return controlSummary(c)
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
        }
    }

    static func unguided(_ u: UnguidedEvaluation) -> [String] {
        let prior = u.lengthPrior ? "lengths drawn from the training length prior" : "model decides the length"
        var lines = ["\n== unguided (\(u.count) samples, \(prior), \(String(format: "%.1f", u.seconds)) s)",
                     String(format: "trigram share          %.3f   (held-out real sentences: %.3f)", u.trigramShare, u.heldOutTrigramShare),
                     String(format: "verbatim copies        %.1f%%", 100 * Double(u.copies) / Double(u.count)),
                     String(format: "mean length            %.1f tokens (corpus %.1f, ratio %.2f)", u.meanLength, u.corpusMeanLength,
                            u.meanLength / u.corpusMeanLength)]
        lines += u.examples.map { "  · " + $0 }
        if let free = u.freeLength {
            lines.append(String(format: "free length (no prior) trigram share %.3f, mean length %.1f tokens (ratio %.2f)",
                                free.trigramShare, free.meanLength, free.meanLength / u.corpusMeanLength))
        }
        return lines
    }

    static func controlSummary(_ c: ControlEvaluation) -> [String] {
        var lines = ["per field (mean over its targets):"]
        lines += c.fields.map { String(format: "  %-18@ %.3f  (%d targets)", $0.field as NSString, $0.meanSuccess, $0.targets) }
        if let success = c.success, let fluency = c.fluency, let ms = c.millisecondsPerGuidedStep {
            lines.append(String(format: "control success        %.3f   (mean over %d targets)", success, c.targets.count))
            lines.append(String(format: "controlled fluency     %.3f   (trigram share%@)", fluency,
                                c.unguidedFluency.map { String(format: "; unguided %.3f", $0) as NSString } ?? ""))
            lines.append(String(format: "time per guided step   %.2f ms per sample (batched, %d cores)", ms, c.cores))
        }
        return lines
    }
}

extension EvaluationResult {
    /// The events that report this result, in the order the evaluation sends them.
    public var events: [EvaluationEvent] {
        var events: [EvaluationEvent] = [.began(header)]
        if let unguided { events.append(.unguided(unguided)) }
        if let control {
            events.append(.controlBegan(perTarget: control.perTarget, guidance: control.guidance))
            events += control.targets.map(EvaluationEvent.target)
            events.append(.control(control))
        }
        if let controlSkipped { events.append(.controlSkipped(controlSkipped)) }
        if let length { events.append(.length(length)) }
        if let infill { events.append(.infill(infill)) }
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
