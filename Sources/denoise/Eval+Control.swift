import ArgumentParser
import DenoiseCore
import Foundation

extension Eval {
    /// The control parts: every value alone (`control`), random cross-field pairs and triples.
    /// Prints a table per part and returns the report.
    func evaluateControl(model m: DiffusionModel, classifier: Classifier, base: ChainSettings, index: TrigramIndex,
                         unguidedShare: Double?, percent: Int) throws -> ControlReport {
        var counts = [String: Int]()
        if minExamples > 0 {
            let labelFiles = !labels.isEmpty ? labels : ["devel-fixed.no-ol.csv", "test-fixed.csv"].map(sharedData)
            for ex in try labelFiles.flatMap({ try CorpusReader.read(path: $0) }) where !TrainingData.isHeldOut(ex.text, percent: percent) {
                for (f, v) in ex.meaning?.values ?? [:] { counts["\(f)=\(v)", default: 0] += 1 }
            }
        }
        let chosen = Set(try targets.map { "\(try ChainOptions.parseControl($0))".lowercased() })
        let only = fields.map { Set($0.split(separator: ",").map { MeaningRepresentation.canonicalField(String($0)) ?? String($0) }) }
        let values = ControlEvaluation.values(of: classifier) { t in
            (only?.contains(t.field) ?? true) && (chosen.isEmpty || chosen.contains(t.description.lowercased()))
                && (minExamples == 0 || counts[t.description, default: 0] >= minExamples)
        }
        let g = base.guidance
        print("\n== control guidance (\(values.count) values\(minExamples > 0 ? " with at least \(minExamples) training examples" : ""), \(perTarget) samples per set)")
        print(String(format: "          %d steps of %.3g (%@), weight %.3g, lambda %.3g, last %d of 200 steps unguided",
                     g.iterations, g.stepSize, g.update.rawValue as NSString, g.weight, g.lambda, g.unguidedFinalSteps))
        print("          saturation \(g.saturating ? "on" : "off")")
        if g.predictionIterations > 0 {
            print(String(format: "          and %d steps of %.3g on the prediction x0-hat", g.predictionIterations, g.predictionStepSize))
        }
        func show(_ o: ControlOutcome) {
            let detail = o.controls.count > 1 ? "  (" + o.controls.map { String(format: "%.2f", o.perControl[$0] ?? 0) }.joined(separator: " ") + ")" : ""
            print(String(format: "  %-60@ %.2f%@", o.controls.joined(separator: " + ") as NSString, o.rate, detail as NSString))
        }
        func summary(_ name: String, _ r: ControlGroupReport, sets: Int) {
            print(String(format: "%@ success %.3f (mean over %d), worst %.2f (%@)", name as NSString, r.mean, sets, r.worst,
                         r.worstControls.joined(separator: " + ") as NSString))
            print(String(format: "controlled fluency     %.3f   (trigram share%@)", r.fluency ?? 0,
                         unguidedShare.map { String(format: "; unguided %.3f", $0) as NSString } ?? ""))
            print(String(format: "time per guided step   %.2f ms per sample (batched, %d cores)", r.stepMs,
                         ProcessInfo.processInfo.activeProcessorCount))
        }
        var report = ControlReport()
        if wants("control") {
            let r = try ControlEvaluation.measure(model: m, base: base, sets: values.map { [$0] }, perSet: perTarget,
                                                  fluency: index.share, progress: show)
            print("per field (mean over its values):")
            for f in r.meanPerField() { print(String(format: "  %-18@ %.3f  (%d values)", f.field as NSString, f.mean, f.targets)) }
            let under = r.outcomes.filter { $0.rate < 0.70 }.map { $0.controls[0] }
            print("values under 0.70: \(under.isEmpty ? "none" : under.joined(separator: ", "))")
            summary("control", r, sets: r.outcomes.count)
            report.perValue = r
        }
        for (part, size) in [("pairs", 2), ("triples", 3)] where wants(part) {
            let sets = ControlEvaluation.combinations(of: values, size: size, count: combinations, seed: seed)
            print("\n== \(part) (\(sets.count) random cross-field sets, seed \(seed), \(perTarget) samples each; success = every control met)")
            let r = try ControlEvaluation.measure(model: m, base: base, sets: sets, perSet: perTarget, fluency: index.share, progress: show)
            summary(part, r, sets: sets.count)
            if size == 2 { report.pairs = r } else { report.triples = r }
        }
        return report
    }
}
