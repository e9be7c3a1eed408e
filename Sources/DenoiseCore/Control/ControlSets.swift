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

/// The outcomes of guided sampling over sets of controls, with every sample and the wall time.
public struct ControlSetSamples: Sendable {
    public var outcomes: [ControlOutcome]
    /// Every sample of every set, as tokens (for fluency).
    public var samples: [[String]]
    public var seconds: Double
}

/// Sets of controls and their success: which values to measure, random cross-field sets of
/// them, and guided sampling judged from the text.
public enum ControlSets {
    /// Whether `text` meets every control.
    public static func meets(_ controls: [ControlTarget], text: String) -> Bool {
        controls.allSatisfy { MentionJudge.mentions(field: $0.field, value: $0.value, in: text) }
    }

    /// The words of `target` that its text must contain and `vocabulary` lacks: a value that
    /// `MentionJudge` finds only as its own token run ("Café Adriatic") cannot be written by a
    /// model whose vocabulary has no "Adriatic", however it is guided. Empty when the value can
    /// be written (values judged by paraphrase, such as familyFriendly or a "cheap" price,
    /// always can).
    public static func missingWords(of target: ControlTarget, vocabulary: Vocabulary) -> [String] {
        guard MentionJudge.needsItsOwnWords(field: target.field, value: target.value) else { return [] }
        return Tokenizer.tokenize(target.value).filter { !vocabulary.contains($0) }
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
    /// guidance), judged from the text; `progress` is called after each set.
    public static func measure(model: DiffusionModel, base: ChainSettings, sets: [[ControlTarget]], perSet: Int,
                               progress: (ControlOutcome) -> Void = { _ in }) throws -> ControlSetSamples {
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
        return ControlSetSamples(outcomes: outcomes, samples: all, seconds: Date().timeIntervalSince(start))
    }
}
