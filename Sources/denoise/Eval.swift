import ArgumentParser
import DenoiseCore
import Foundation

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure quality: fluency, copies and length of unguided samples; success of single, paired and tripled controls, of lengths and of infilling.")

    @OptionGroup var model: ModelOption
    @Option(help: "Unguided samples.") var count = 200
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Option(help: "Reverse steps per chain.") var steps = 200
    @Option(name: .customLong("data"), parsing: .upToNextOption,
            help: "The model's training corpus (for trigrams and copies); default: the files named in its config, from Data/e2e.")
    var data: [String] = []
    @Option(name: .customLong("labels"), parsing: .upToNextOption,
            help: "Labelled E2E CSVs that count each field/value pair's training examples for --min-examples; default: the cleaned E2E files in Data/e2e.")
    var labels: [String] = []
    @Option(help: "Samples per control target, per length and per infill template.") var perTarget = 20
    @Option(help: "Which parts to run: all, unguided, control, pairs, triples, length, infill, forward, edit, loss, and steps (fluency, and control with --target, at each of --step-counts with DDPM and DDIM; not in all) (comma-separated).") var parts = PartList.all
    @Option(help: "Random cross-field sets for the pairs part and for the triples part (drawn with --seed).") var combinations = 30
    @Option(help: "Only values with at least this many training examples in the control, pairs and triples parts (0: every value the classifier offers).")
    var minExamples = 0
    @Option(help: "Held-out sentences for the forward and edit parts (the edit's contradicting-control sets use up to half as many each).")
    var sentences = 100
    @Option(help: "Strengths of the edit part (comma-separated, each in (0, 1]).") var strengths = "0.2,0.4,0.6,0.8"
    @Option(help: "CSV or text file of the sentences for the forward and edit parts (its held-out part when the model trained on it); default: Data/e2e/testset_w_refs.csv.")
    var heldOutData: String?
    @Option(help: "Only these fields for the control, pairs and triples parts (comma-separated), default all.") var fields: String?
    @Option(name: .customLong("target"), help: "Only this FIELD=VALUE in the control, pairs and triples parts (repeatable).")
    var targetArguments: [String] = []
    /// `--target`, parsed once by `validate`.
    var targets: [ControlTarget] = []
    @OptionGroup var guidance: GuidanceOptions
    @OptionGroup var temperatureOption: TemperatureOption
    @OptionGroup var discrete: DiscreteOptions
    @OptionGroup var samplerOption: SamplerOption
    @Option(help: "Step counts of the steps part (comma-separated, each within the model's T).")
    var stepCounts = StepsVariant.defaultStepCounts.map(String.init).joined(separator: ",")
    @Option(help: "Output format: text (printed as each part finishes) or json (the whole result at the end).")
    var format = ReportFormat.text

    mutating func validate() throws {
        if count < 1 { throw ValidationError("--count must be positive") }
        if perTarget < 1 { throw ValidationError("--per-target must be positive") }
        if sentences < 1 { throw ValidationError("--sentences must be positive") }
        if combinations < 1 { throw ValidationError("--combinations must be positive") }
        if minExamples < 0 { throw ValidationError("--min-examples must be 0 or more") }
        if let name = parts.unknown.first ?? (parts.parts.isEmpty ? "" : nil) {
            throw ValidationError("--parts: unknown part \"\(name)\": accepted \(PartList.accepted.joined(separator: ", ")) (comma-separated)")
        }
        targets = try targetArguments.map(ChainOptions.parseControl)
        _ = try parsedStepCounts()
    }

    /// `--step-counts` as numbers, each at least 1.
    func parsedStepCounts() throws -> [Int] {
        let counts = stepCounts.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !counts.isEmpty, counts.allSatisfy({ ($0 ?? 0) >= 1 }) else {
            throw ValidationError("--step-counts \"\(stepCounts)\" is not a comma-separated list of step counts >= 1 (e.g. 10,25,50,100,200)")
        }
        return counts.compactMap { $0 }
    }

    func run() throws {
        try reportingErrors {
            let settings = try settings()
            let evaluation = Evaluation(settings: settings)
            try BLAS.withThreads(1) {
                switch format {
                case .text:
                    // A run of the forward, edit and loss parts alone prints no header, as those
                    // parts' own reports say what they ran on.
                    let headerless = parts.parts.isSubset(of: [.forward, .edit, .loss])
                    _ = try evaluation.run { event in
                        if headerless, case .began = event { return }
                        EvaluationReport.lines(for: event).forEach { print($0) }
                    }
                case .json:
                    print(try evaluation.run().json)
                }
            }
        }
    }

    func settings() throws -> EvaluationSettings {
        let m = try model.load()
        try KindCheck.refuse(continuousOnly: guidance.continuousOnlyGiven + samplerOption.given,
                             discreteOnly: guidance.discreteOnlyGiven, discrete: discrete, for: m.config.modelKind)
        let trainingFiles = !data.isEmpty ? data : try DefaultData.paths(m.config.training?.data ?? DefaultData.training, replacedBy: "--data")
        // The labels are read only to count examples for --min-examples.
        let labelFiles = !labels.isEmpty || minExamples == 0 ? labels : try DefaultData.paths(DefaultData.labels, replacedBy: "--labels")
        var chain = ChainSettings(seed: seed, steps: steps, guidance: guidance.settings(for: m.config.modelKind),
                                  temperature: temperatureOption.value(for: m.config.modelKind))
        samplerOption.apply(to: &chain)
        try chain.validateSampler()
        chain.unmask = discrete.unmaskRule
        var s = EvaluationSettings(model: m, modelPath: model.path, chain: chain, trainingFiles: trainingFiles, labelFiles: labelFiles)
        s.stepCounts = try parsedStepCounts()
        if !s.stepCounts.contains(where: { $0 <= m.config.diffusionSteps }) && parts.parts.contains(.steps) {
            throw DenoiseError.invalid("--step-counts \(stepCounts): none within this model's \(m.config.diffusionSteps) diffusion steps")
        }
        s.count = count
        s.perTarget = perTarget
        s.combinations = combinations
        s.minimumExamples = minExamples
        s.parts = parts.parts
        s.fields = fields.map { Set($0.split(separator: ",").map { MeaningRepresentation.canonicalField(String($0)) ?? String($0) }) }
        s.targets = targets
        s.heldOutFile = try heldOutData ?? DefaultData.path(DefaultData.heldOut, replacedBy: "--held-out-data")
        s.sentences = sentences
        if parts.parts.contains(.edit) { s.strengths = try strengthLevels() }
        return s
    }
}

/// `--parts`: a comma-separated list of evaluation parts, or `all`.
struct PartList: ExpressibleByArgument {
    static let all = PartList(parts: EvaluationPart.standard)

    var parts: Set<EvaluationPart>
    /// Names that are no part, reported by `Eval.validate` with the accepted ones (a parse
    /// failure would not say which names are accepted).
    var unknown = [String]()
    /// Whether the list named its parts one by one rather than `all`.
    var namedOnly = false

    init(parts: Set<EvaluationPart>) { self.parts = parts }

    init?(argument: String) {
        var parts = Set<EvaluationPart>(), unknown = [String]()
        for name in argument.split(separator: ",") {
            if name == "all" {
                parts.formUnion(EvaluationPart.standard)
            } else if let part = EvaluationPart(rawValue: String(name)) {
                parts.insert(part)
            } else {
                unknown.append(String(name))
            }
        }
        self.init(parts: parts)
        self.unknown = unknown
        namedOnly = !argument.split(separator: ",").contains("all")
    }

    /// The accepted names, in the order `--help` gives them.
    static let accepted = ["all"] + EvaluationPart.allCases.map(\.rawValue)

    var defaultValueDescription: String { namedOnly ? parts.map(\.rawValue).sorted().joined(separator: ",") : "all" }
}
