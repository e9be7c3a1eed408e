import Foundation

/// One way of sampling that the steps part measures at every step count: a label for its
/// rows and the change it makes to the evaluation's chain settings. The rows are data, so a
/// model kind with other samplers adds variants rather than report text.
public struct StepsVariant: Sendable {
    /// How the rows name it ("DDPM", "DDIM η 0").
    public var label: String
    public var apply: @Sendable (inout ChainSettings) -> Void

    public init(label: String, apply: @escaping @Sendable (inout ChainSettings) -> Void) {
        self.label = label; self.apply = apply
    }

    /// The variants of a continuous model: DDPM, and DDIM at the eta of `base` (0 unless the
    /// base settings ask for DDIM with another eta).
    public static func continuous(base: ChainSettings) -> [StepsVariant] {
        let eta = base.samplerKind == .ddim ? base.etaValue : 0
        var ddim = base
        ddim.sampler = .ddim
        ddim.eta = eta
        return [
            StepsVariant(label: ChainSettings().samplerDescription) { $0.sampler = .ddpm; $0.eta = nil },
            StepsVariant(label: ddim.samplerDescription) { $0.sampler = .ddim; $0.eta = eta },
        ]
    }

    /// The variants of a discrete model: one row per unmasking rule for a masked model (the
    /// rule `base` asks for first), one row for a uniform model.
    public static func discrete(kind: ModelKind, base: ChainSettings) -> [StepsVariant] {
        guard kind == .masked else { return [StepsVariant(label: "uniform posterior") { _ in }] }
        let rules = [base.unmaskRule] + UnmaskRule.allCases.filter { $0 != base.unmaskRule }
        return rules.map { rule in StepsVariant(label: "unmask \(rule.rawValue)") { $0.unmask = rule } }
    }

    /// The variants of a model of any kind.
    public static func variants(kind: ModelKind, base: ChainSettings) -> [StepsVariant] {
        kind.isDiscrete ? discrete(kind: kind, base: base) : continuous(base: base)
    }

    /// The step counts the part measures unless told otherwise.
    public static let defaultStepCounts = [10, 25, 50, 100, 200]
}

/// Quality against the number of reverse steps: one row per sampler and step count.
public struct StepsEvaluation: Codable, Sendable, Equatable {
    /// Unguided samples per row.
    public var count: Int
    /// Guided samples per control target and row (the controls are `targets`).
    public var perTarget: Int
    /// "field=value" of each control measured ( `--target`); empty: fluency only.
    public var targets: [String]
    /// The step counts, in the order measured (those above the model's T are left out).
    public var stepCounts: [Int]
    public var rows: [StepsRow]
}

/// One sampler at one step count.
public struct StepsRow: Codable, Sendable, Equatable {
    /// The variant's label.
    public var sampler: String
    public var steps: Int
    /// Trigram share of the unguided samples (lengths from the length prior, as in the
    /// unguided part).
    public var trigramShare: Double
    public var meanLength: Double
    /// Wall time of the unguided samples, batched.
    public var seconds: Double
    /// Mean control success over the targets, and the trigram share of the guided samples;
    /// nil without targets.
    public var controlSuccess: Double?
    public var controlledFluency: Double?
    /// The first unguided sample.
    public var example: String
}

extension Evaluation {
    /// The step counts the part runs: those asked for that the model's T allows.
    var stepCounts: [Int] { settings.stepCounts.filter { $0 >= 1 && $0 <= settings.model.config.diffusionSteps } }

    func evaluateSteps(index: TrigramIndex, events: (EvaluationEvent) -> Void) throws -> StepsEvaluation {
        let counts = stepCounts
        let targets = settings.targets
        events(.stepsBegan(count: settings.count, perTarget: settings.perTarget, targets: targets.map(\.description), stepCounts: counts))
        var rows = [StepsRow]()
        for variant in settings.stepsVariants {
            for k in counts {
                var chain = settings.chain
                chain.steps = k
                variant.apply(&chain)
                let start = Date()
                let samples = try samples(chain, count: settings.count)
                let seconds = Date().timeIntervalSince(start)
                var success: Double? = nil, controlled: Double? = nil
                if !targets.isEmpty {
                    let measured = try ControlSets.measure(model: settings.model, base: chain, sets: targets.map { [$0] },
                                                           perSet: settings.perTarget)
                    success = measured.outcomes.map(\.rate).reduce(0, +) / Double(measured.outcomes.count)
                    controlled = index.share(measured.samples)
                }
                let row = StepsRow(sampler: variant.label, steps: k, trigramShare: index.share(samples),
                                   meanLength: Double(samples.reduce(0) { $0 + $1.count }) / Double(max(1, samples.count)),
                                   seconds: seconds, controlSuccess: success, controlledFluency: controlled,
                                   example: samples.first.map(Tokenizer.join) ?? "")
                rows.append(row)
                events(.stepsRow(row))
            }
        }
        return StepsEvaluation(count: settings.count, perTarget: settings.perTarget, targets: targets.map(\.description),
                               stepCounts: counts, rows: rows)
    }
}

extension EvaluationReport {
    static func stepsHeader(count: Int, perTarget: Int, targets: [String], stepCounts: [Int]) -> [String] {
        let control = targets.isEmpty ? "" : "; control: \(targets.joined(separator: ", ")), \(perTarget) guided samples each"
        return ["\n== steps (\(count) unguided samples per row at \(stepCounts.map(String.init).joined(separator: ", ")) steps\(control))",
                padded("sampler", 12) + "  steps  fluency  length  seconds" + (targets.isEmpty ? "" : "  control  controlled fluency")]
    }

    static func stepsRow(_ r: StepsRow) -> [String] {
        var line = padded(r.sampler, 12) + String(format: "  %5d    %.3f    %4.1f  %7.1f", r.steps, r.trigramShare, r.meanLength, r.seconds)
        if let success = r.controlSuccess, let fluency = r.controlledFluency {
            line += String(format: "    %.3f  %.3f", success, fluency)
        }
        return [line + "   " + r.example]
    }
}
