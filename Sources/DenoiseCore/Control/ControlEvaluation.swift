import Foundation

/// Success of one set of controls (one value, a pair or a triple) over guided samples, judged
/// from the text by `MentionJudge`, never by the classifier.
public struct ControlOutcome: Codable, Sendable, Equatable {
    /// "field=value" of every control of the set.
    public var controls: [String]
    public var samples: Int
    /// Samples whose text meets every control.
    public var successes: Int
    public var rate: Double { samples == 0 ? 0 : Double(successes) / Double(samples) }
    /// Per control, the share of samples that meet it (for a pair or triple: which one failed).
    public var perControl: [String: Double]

    enum CodingKeys: String, CodingKey { case controls, samples, successes, rate, perControl }

    public init(controls: [String], samples: Int, successes: Int, perControl: [String: Double]) {
        self.controls = controls; self.samples = samples; self.successes = successes; self.perControl = perControl
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        controls = try c.decode([String].self, forKey: .controls)
        samples = try c.decode(Int.self, forKey: .samples)
        successes = try c.decode(Int.self, forKey: .successes)
        perControl = try c.decode([String: Double].self, forKey: .perControl)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(controls, forKey: .controls)
        try c.encode(samples, forKey: .samples)
        try c.encode(successes, forKey: .successes)
        try c.encode(rate, forKey: .rate)
        try c.encode(perControl, forKey: .perControl)
    }
}

/// One group of control sets (single values, pairs or triples) and its summary.
public struct ControlGroupReport: Codable, Sendable, Equatable {
    public var outcomes: [ControlOutcome]
    /// Mean success over the sets (each set weighs the same).
    public var mean: Double
    /// The lowest set's success, and which set it was.
    public var worst: Double
    public var worstControls: [String]
    /// Trigram share of all samples of the group (nil without a trigram index).
    public var fluency: Double?
    /// Wall time per guided reverse step and sample (batched).
    public var stepMs: Double

    public init(outcomes: [ControlOutcome], fluency: Double?, stepMs: Double) {
        self.outcomes = outcomes
        mean = outcomes.isEmpty ? 0 : outcomes.reduce(0) { $0 + $1.rate } / Double(outcomes.count)
        let low = outcomes.min { $0.rate < $1.rate }
        worst = low?.rate ?? 0
        worstControls = low?.controls ?? []
        self.fluency = fluency; self.stepMs = stepMs
    }

    /// Mean success of the single-value outcomes of each field.
    public func meanPerField() -> [(field: String, mean: Double, targets: Int)] {
        var order = [String](), sums = [String: (Double, Int)]()
        for o in outcomes {
            guard let field = o.controls.first?.split(separator: "=").first.map(String.init) else { continue }
            if sums[field] == nil { order.append(field) }
            let e = sums[field] ?? (0, 0)
            sums[field] = (e.0 + o.rate, e.1 + 1)
        }
        return order.map { ($0, sums[$0]!.0 / Double(sums[$0]!.1), sums[$0]!.1) }
    }
}

/// The control part of `denoise eval`: every value alone (`perValue`), and random cross-field
/// pairs and triples (`pairs`, `triples`), names included.
public struct ControlReport: Codable, Sendable, Equatable {
    public var perValue: ControlGroupReport?
    public var pairs: ControlGroupReport?
    public var triples: ControlGroupReport?
    public init(perValue: ControlGroupReport? = nil, pairs: ControlGroupReport? = nil, triples: ControlGroupReport? = nil) {
        self.perValue = perValue; self.pairs = pairs; self.triples = triples
    }
}

/// Guided sampling and text judging for control success (the measurement behind the targets
/// of the model card).
public enum ControlEvaluation {
    /// Whether `text` meets every control.
    public static func meets(_ controls: [ControlTarget], text: String) -> Bool {
        controls.allSatisfy { MentionJudge.mentions(field: $0.field, value: $0.value, in: text) }
    }

    /// Every value the classifier offers, in its field/value order, that `keep` accepts.
    public static func values(of classifier: Classifier, keep: (ControlTarget) -> Bool = { _ in true }) -> [ControlTarget] {
        classifier.fields.flatMap { f in f.values.map { ControlTarget(field: f.name, value: $0) } }.filter(keep)
    }

    /// `count` distinct sets of `size` controls on different fields, drawn with `seed` from
    /// `targets`: fields first (uniformly among those with targets), then a value per field.
    /// A set never asks for the same words twice (name=X with near=X).
    public static func combinations(of targets: [ControlTarget], size: Int, count: Int, seed: UInt64) -> [[ControlTarget]] {
        var byField = [String: [ControlTarget]](), fieldOrder = [String]()
        for t in targets {
            if byField[t.field] == nil { fieldOrder.append(t.field) }
            byField[t.field, default: []].append(t)
        }
        guard size >= 1, fieldOrder.count >= size else { return [] }
        var rng = RandomSource(seed: seed &+ 0xC0B0)
        var seen = Set<[ControlTarget]>(), out = [[ControlTarget]]()
        var attempts = 0
        while out.count < count && attempts < count * 200 {
            attempts += 1
            var fields = fieldOrder
            for i in 0..<size { fields.swapAt(i, i + rng.int(below: fields.count - i)) }
            let chosen = fields.prefix(size).compactMap { f -> ControlTarget? in
                let options = byField[f]!
                return options[rng.int(below: options.count)]
            }
            guard Set(chosen.map { $0.value.lowercased() }).count == size else { continue }
            let key = chosen.sorted { $0.field < $1.field }
            guard seen.insert(key).inserted else { continue }
            out.append(chosen)
        }
        return out
    }

    /// `perSet` guided samples for each set of controls (`base` gives seed, steps and
    /// guidance), judged from the text. `fluency` scores all samples' tokens; `progress` is
    /// called after each set.
    public static func measure(model: DiffusionModel, base: ChainSettings, sets: [[ControlTarget]], perSet: Int,
                               fluency: (([[String]]) -> Double)? = nil,
                               progress: (ControlOutcome) -> Void = { _ in }) throws -> ControlGroupReport {
        var outcomes = [ControlOutcome](), all = [[String]]()
        let start = Date()
        for set in sets {
            var s = base
            s.controls = set
            let samples = try BatchSampler.sample(model: model, settings: s, count: perSet).ids.map { model.vocabulary.decode($0) }
            let texts = samples.map(Tokenizer.join)
            var perControl = [String: Double]()
            for c in set {
                perControl[c.description] = Double(texts.filter { MentionJudge.mentions(field: c.field, value: c.value, in: $0) }.count)
                    / Double(max(1, texts.count))
            }
            let outcome = ControlOutcome(controls: set.map(\.description), samples: texts.count,
                                         successes: texts.filter { meets(set, text: $0) }.count, perControl: perControl)
            outcomes.append(outcome)
            all += samples
            progress(outcome)
        }
        let steps = Double(base.steps * perSet * max(1, sets.count))
        return ControlGroupReport(outcomes: outcomes, fluency: fluency?(all),
                                  stepMs: 1000 * Date().timeIntervalSince(start) / steps)
    }
}
