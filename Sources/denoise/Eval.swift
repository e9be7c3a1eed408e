import ArgumentParser
import DenoiseCore
import Foundation

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure quality: fluency, copies and length of unguided samples; control, length and infill success.")

    @Option(help: "Model folder (default: Models/e2e of this repository).") var model: String?
    @Option(help: "Unguided samples.") var count = 200
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Option(help: "Reverse steps per chain.") var steps = 200
    @Option(name: .customLong("data"), parsing: .upToNextOption,
            help: "The model's training corpus (for trigrams and copies); default: the files named in its config, from ../shared/data/e2e.")
    var data: [String] = []
    @Option(name: .customLong("labels"), parsing: .upToNextOption,
            help: "Labelled E2E CSVs that decide which field/value pairs have at least 20 examples; default: the cleaned E2E files.")
    var labels: [String] = []
    @Option(help: "Samples per control target, per length and per infill template.") var perTarget = 20
    @Option(help: "Which parts to run: all, unguided, control, pairs, triples, length, infill (comma-separated).") var parts = "all"
    @Option(help: "Random cross-field sets for the pairs and triples parts.") var combinations = 30
    @Option(help: "Only values with at least this many training examples in the control parts (default: every value the classifier offers).")
    var minExamples = 0
    @Option(help: "Also write the control report (perValue, pairs, triples) as JSON to this file.") var json: String?
    @Option(help: "Only these fields for the control part (comma-separated), default all.") var fields: String?
    @Option(name: .customLong("target"), help: "Only this FIELD=VALUE in the control part (repeatable).") var targets: [String] = []
    @OptionGroup var guidance: GuidanceOptions

    func validate() throws {
        if count < 1 { throw ValidationError("--count must be positive") }
        if perTarget < 1 { throw ValidationError("--per-target must be positive") }
        if combinations < 1 { throw ValidationError("--combinations must be positive") }
        let known: Set<String> = ["all", "unguided", "control", "pairs", "triples", "length", "infill"]
        for p in parts.split(separator: ",") where !known.contains(String(p)) {
            throw ValidationError("unknown part \"\(p)\": accepted all, unguided, control, pairs, triples, length, infill")
        }
        for t in targets { _ = try ChainOptions.parseControl(t) }
    }

    func wants(_ part: String) -> Bool { parts.split(separator: ",").contains { $0 == "all" || $0 == part } }

    func run() throws { reportingErrors { try evaluate() } }

    func sharedData(_ name: String) -> String {
        (repositoryFolder("../shared/data/e2e") ?? "../shared/data/e2e") + "/" + name
    }

    func evaluate() throws {
        BLAS.setThreads(1)
        let path = model ?? defaultModelPath()
        let m = try DiffusionModel.load(path: path)
        let trainingFiles = !data.isEmpty ? data : (m.config.training?.data ?? ["devset.csv", "testset_w_refs.csv"]).map(sharedData)
        let examples = try trainingFiles.flatMap { try CorpusReader.read(path: $0) }
        let percent = m.config.training?.heldOutPercent ?? 5
        var train = [[String]](), heldOut = [[String]]()
        for ex in examples {
            let t = Tokenizer.tokenize(ex.text)
            if TrainingData.isHeldOut(ex.text, percent: percent) { heldOut.append(t) } else { train.append(t) }
        }
        let index = TrigramIndex(sentences: train)
        print("denoise eval · \(path) · \(steps) steps · seed \(seed)")
        print("corpus: \(train.count) training sentences (trigram reference), \(heldOut.count) held out; mean length \(String(format: "%.1f", index.meanLength)) tokens")

        let base = ChainSettings(seed: seed, steps: steps, guidance: guidance.settings())
        var unguidedShare: Double? = nil
        func decode(_ ids: [[Int32]]) -> [[String]] { ids.map { m.vocabulary.decode($0) } }

        if wants("unguided") {
            let start = Date()
            let samples = decode(try BatchSampler.sample(model: m, settings: base, count: count).ids)
            let seconds = Date().timeIntervalSince(start)
            let share = index.share(samples)
            unguidedShare = share
            let copies = samples.filter { index.sentences.contains($0.joined(separator: " ")) }.count
            let meanLength = Double(samples.reduce(0) { $0 + $1.count }) / Double(samples.count)
            let prior = m.config.lengthHistogram == nil ? "model decides the length" : "lengths drawn from the training length prior"
            print("\n== unguided (\(count) samples, \(prior), \(String(format: "%.1f", seconds)) s)")
            print(String(format: "trigram share          %.3f   (held-out real sentences: %.3f)", share, index.share(heldOut)))
            print(String(format: "verbatim copies        %.1f%%", 100 * Double(copies) / Double(samples.count)))
            print(String(format: "mean length            %.1f tokens (corpus %.1f, ratio %.2f)", meanLength, index.meanLength, meanLength / index.meanLength))
            for s in samples.prefix(5) { print("  · " + Tokenizer.join(s)) }
            if m.config.lengthHistogram != nil {
                // The same samples without the length prior: where the model alone puts END.
                var free = base
                free.freeLength = true
                let freeSamples = decode(try BatchSampler.sample(model: m, settings: free, count: count).ids)
                let freeMean = Double(freeSamples.reduce(0) { $0 + $1.count }) / Double(freeSamples.count)
                print(String(format: "free length (no prior) trigram share %.3f, mean length %.1f tokens (ratio %.2f)",
                             index.share(freeSamples), freeMean, freeMean / index.meanLength))
            }
        }

        let controlParts = ["control", "pairs", "triples"].filter(wants)
        if !controlParts.isEmpty, let classifier = m.classifier {
            let report = try evaluateControl(model: m, classifier: classifier, base: base, index: index,
                                             unguidedShare: unguidedShare, percent: percent)
            if let jsonPath = json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                try AtomicFile.write(try encoder.encode(report), to: jsonPath)
                print("control report written to \(jsonPath)")
            }
        } else if !controlParts.isEmpty {
            print("\n== control: skipped (this model has no classifier)")
        }

        if wants("length") {
            print("\n== length (\(perTarget) samples per length)")
            var exact = 0, total = 0
            var failures = [String]()
            for n in stride(from: 6, through: min(30, m.config.sequenceLength - 2), by: 1) {
                var s = base
                s.length = n
                let samples = decode(try BatchSampler.sample(model: m, settings: s, count: perTarget).ids)
                let ok = samples.filter { $0.count == n }.count
                exact += ok; total += samples.count
                if ok < samples.count { failures.append("\(n): \(ok)/\(samples.count)") }
            }
            print(String(format: "exact length           %.1f%% of %d samples (N = 6...30)", 100 * Double(exact) / Double(total), total))
            if !failures.isEmpty { print("  misses: " + failures.joined(separator: ", ")) }
        }

        if wants("infill") {
            let templates = ["_ _ is a _ restaurant near _ _ .", "The Eagle is a _ _ in the _ _ .",
                             "_ _ _ serves _ food and is located in the city centre .", "There is a cheap _ called _ _ near _ _ ."]
            var kept = 0, given = 0
            print("\n== infill (\(perTarget) samples per template)")
            for template in templates {
                var s = base
                s.infill = template
                let samples = decode(try BatchSampler.sample(model: m, settings: s, count: perTarget).ids)
                let words = Tokenizer.tokenize(template)
                for sample in samples {
                    for (i, w) in words.enumerated() where w != "_" {
                        given += 1
                        if i < sample.count && sample[i] == w { kept += 1 }
                    }
                }
                print("  \(template)  →  \(Tokenizer.join(samples[0]))")
            }
            print(String(format: "infill words kept      %.1f%% of %d", 100 * Double(kept) / Double(max(1, given)), given))
        }
    }
}
