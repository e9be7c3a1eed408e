import ArgumentParser
import DenoiseCore
import Foundation

/// `--model`, shared by every command that reads a model.
struct ModelOption: ParsableArguments {
    @Option(help: "Model folder (default: Models/e2e of this repository).") var model: String?

    var path: String { model ?? defaultModelPath() }

    func load() throws -> DiffusionModel { try DiffusionModel.load(path: path) }
}

/// Options shared by `sample` and `play`: which model, and how to run the chain.
struct ChainOptions: ParsableArguments {
    @OptionGroup var modelOption: ModelOption
    @Option(help: "Random seed (sample i of a batch uses seed + i).") var seed: UInt64 = 1
    @Option(help: "Reverse steps K (respaced from the model's T).") var steps = 200
    @Option(name: .customLong("control"), help: "Steer towards FIELD=VALUE (repeatable), e.g. food=Italian.")
    var controlArguments: [String] = []
    /// `--control`, parsed once by `validate` (a bad one is refused there with what is accepted).
    var controls: [ControlTarget] = []
    @Option(help: "Exact number of tokens (words and punctuation).") var length: Int?
    @Option(help: "Template with known words and `_` for free tokens.") var infill: String?
    @OptionGroup var guidance: GuidanceOptions
    @Flag(name: .customLong("no-clamp"), help: "Turn off the clamping trick (continuous models).") var noClamp = false
    @Flag(help: "Let the model alone decide where each sentence ends (no length prior).") var freeLength = false
    @OptionGroup var temperatureOption: TemperatureOption
    @OptionGroup var discrete: DiscreteOptions
    @OptionGroup var samplerOption: SamplerOption

    var modelPath: String { modelOption.path }

    mutating func validate() throws {
        if steps < 1 { throw ValidationError("--steps must be at least 1 (got \(steps))") }
        controls = try controlArguments.map(Self.parseControl)
    }

    /// FIELD=VALUE with a case-insensitive field name (`customer rating`, `customerRating`).
    static func parseControl(_ text: String) throws -> ControlTarget {
        guard let eq = text.firstIndex(of: "=") else {
            throw ValidationError("--control \"\(text)\" is not FIELD=VALUE (fields: \(MeaningRepresentation.fields.joined(separator: ", ")))")
        }
        let name = String(text[..<eq]).trimmingCharacters(in: .whitespaces)
        let value = String(text[text.index(after: eq)...]).trimmingCharacters(in: .whitespaces)
        guard let field = MeaningRepresentation.canonicalField(name) else {
            throw ValidationError("unknown control field \"\(name)\": accepted \(MeaningRepresentation.fields.joined(separator: ", "))")
        }
        guard !value.isEmpty else { throw ValidationError("--control \(name)= has no value") }
        return ControlTarget(field: field, value: value)
    }

    /// The chain settings for a model of `kind` (whose kind decides the default temperature).
    func settings(for kind: ModelKind = .continuous) throws -> ChainSettings {
        var settings = ChainSettings(seed: seed, steps: steps, clamp: !noClamp,
                                     controls: controls,
                                     lengthMode: try LengthMode.from(length: length, infill: infill, free: freeLength),
                                     guidance: guidance.settings(for: kind), temperature: temperatureOption.value(for: kind))
        settings.unmask = discrete.unmaskRule
        samplerOption.apply(to: &settings)
        return settings
    }

    /// Loads the model and refuses options that its kind does not take.
    func loadModel() throws -> DiffusionModel {
        let m = try modelOption.load()
        try checkKind(m.config.modelKind)
        return m
    }

    /// Options of one kind given for a model of another: one line naming the kind that takes them.
    func checkKind(_ kind: ModelKind) throws {
        var continuousOnly = guidance.continuousOnlyGiven + samplerOption.given
        if noClamp { continuousOnly.insert("--no-clamp", at: 0) }
        try KindCheck.refuse(continuousOnly: continuousOnly, discreteOnly: guidance.discreteOnlyGiven, discrete: discrete, for: kind)
    }
}

/// Options of the discrete kinds, shared by `sample`, `play` and `eval`.
struct DiscreteOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Masked models: which masked positions each step commits (default: \(UnmaskRule.standard.rawValue)).",
                               valueName: "random|confidence|margin|entropy"))
    var unmask: String?

    /// Checked with the model's kind (`KindCheck`), so an unknown rule is a one-line error.
    func check() throws {
        if let unmask, UnmaskRule(rawValue: unmask) == nil {
            throw DenoiseError.invalid("--unmask \(unmask) is not a rule (accepted: \(UnmaskRule.accepted))")
        }
    }

    var unmaskRule: UnmaskRule? { unmask.flatMap(UnmaskRule.init(rawValue:)) }
    /// The discrete-only options given on the command line.
    var given: [String] { unmask == nil ? [] : ["--unmask"] }
}

/// Refuses options given for a model of a kind that does not take them.
enum KindCheck {
    /// `discrete`: the options of masked models (`--unmask`); `discreteOnly`: those of masked
    /// and uniform models (`--guidance-candidates`).
    static func refuse(continuousOnly: [String], discreteOnly: [String] = [], discrete: DiscreteOptions, for kind: ModelKind) throws {
        try discrete.check()
        if kind.isDiscrete, let first = continuousOnly.first {
            throw DenoiseError.invalid("\(first) is for continuous models; this model is \(kind.rawValue) (accepted with a continuous model such as Models/e2e)")
        }
        if !kind.isDiscrete, let first = discreteOnly.first {
            throw DenoiseError.invalid("\(first) is for masked and uniform models; this model is \(kind.rawValue) (accepted with a model such as Models/e2e-masked)")
        }
        if kind != .masked, let first = discrete.given.first {
            throw DenoiseError.invalid("\(first) is for masked models; this model is \(kind.rawValue) (accepted with a masked model such as Models/e2e-masked)")
        }
    }
}

/// `--temperature`, shared by `sample`, `play` and `eval`.
struct TemperatureOption: ParsableArguments {
    @Option(help: "Sampling temperature: scales the noise each reverse step adds (continuous, default \(ChainSettings.defaultTemperature(for: .continuous))), or divides a masked or uniform model's logits (default \(ChainSettings.defaultTemperature(for: .masked))); 1 is the model's own reverse process, lower is more fluent and less varied; 0...2.")
    var temperature: Float?

    func validate() throws {
        if let temperature, !(temperature.isFinite && ChainSettings.temperatureRange.contains(temperature)) {
            throw ValidationError("--temperature must be a number in 0...2 (got \(temperature))")
        }
    }

    /// The temperature given, or the default of the model's kind.
    func value(for kind: ModelKind) -> Float { temperature ?? ChainSettings.defaultTemperature(for: kind) }
}

/// `--sampler` and `--eta`, shared by `sample`, `play` and `eval`. The chain checks eta
/// (`ChainSettings.validateSampler`), so a bad one is a one-line error with exit status 1.
struct SamplerOption: ParsableArguments {
    @Option(help: "Reverse sampler of a continuous model: ddpm (ancestral, the model's own reverse process) or ddim (Song et al. 2021; deterministic at --eta 0).")
    var sampler: ReverseSampler?
    @Option(help: "DDIM's eta in 0...1: 0 adds no noise after the start, 1 adds DDPM's posterior noise (default 0; DDIM only).")
    var eta: Float?

    /// Records the sampler in the settings (and so in trace headers), DDIM's eta with it.
    func apply(to settings: inout ChainSettings) {
        settings.sampler = sampler ?? .ddpm
        settings.eta = eta ?? (sampler == .ddim ? 0 : nil)
    }

    /// The options given on the command line (continuous models only).
    var given: [String] { (sampler == nil ? [] : ["--sampler"]) + (eta == nil ? [] : ["--eta"]) }
}

extension ReverseSampler: ExpressibleByArgument {}

/// The guidance knobs of docs/DESIGN.md ("The method"), shared by `sample`, `play` and `eval`. Defaults are
/// `GuidanceSettings()`; every value is checked here so a bad one is a one-line error.
struct GuidanceOptions: ParsableArguments {
    @Option(help: "Weight of the classifier term in guidance (every kind; default \(GuidanceSettings.defaultWeight(for: .continuous)) for continuous models, \(GuidanceSettings.defaultWeight(for: .masked)) for masked, \(GuidanceSettings.defaultWeight(for: .uniform)) for uniform).")
    var guidanceWeight: Float?
    @Option(help: "Gradient steps on the latent after each reverse step (continuous models; default \(GuidanceSettings().iterations)).")
    var guidanceSteps: Int?
    @Option(help: "Step size of each guidance step: per coordinate (sign), or the RMS of the change (normalized) (continuous models; default \(GuidanceSettings().stepSize)).")
    var guidanceStepSize: Float?
    @Option(help: "Weight lambda of the fluency term |mu - x|^2 / sigma (continuous models; default \(GuidanceSettings().lambda)).")
    var guidanceLambda: Float?
    @Option(help: "Final reverse steps left unguided, of 200, scaled to --steps (continuous models; default \(GuidanceSettings().unguidedFinalSteps)).")
    var unguidedSteps: Int?
    @Option(help: "Gradient steps on the denoiser's prediction x0-hat before rounding, 0: off (continuous models; default \(GuidanceSettings().predictionIterations)).")
    var predictionGuidanceSteps: Int?
    @Option(help: "Step size of the steps on x0-hat (continuous models; default \(GuidanceSettings().predictionStepSize)).")
    var predictionGuidanceStepSize: Float?
    @Option(help: "Scale guidance steps by 1 - p(control) so they fade once a control is met: on or off (continuous models; default on).")
    var guidanceSaturation: Switch?
    @Option(help: "Guidance update: sign (step per coordinate) or normalized (step * g / rms(g)) (continuous models; default \(GuidanceSettings().update.rawValue)).")
    var guidanceUpdate: GuidanceUpdate?
    @Option(help: "How several controls share a step: sum (of -log p, the reference), per-control (each weighted by its own 1 - p on the words), alternate (one control per gradient step) (continuous models; default sum).")
    var guidanceCombination: ControlCombination?
    @Option(help: "Masked and uniform models: words that the classifier scores exactly where a position commits (masked: half the likeliest, half the first-order guidance's favourites) or changes (uniform: the likeliest); 0: the first-order reweighting alone (default \(GuidanceSettings.defaultCandidates(for: .masked))).")
    var guidanceCandidates: Int?
    @Option(help: "With a tagging classifier, how a tagged value is scored: span (its best run of adjacent words), both (span times sentence head), head (sentence head only).")
    var tagScore: TagScore = GuidanceSettings().tagScore

    func validate() throws {
        func finite(_ v: Float?, _ name: String) throws {
            if let v, !(v >= 0 && v.isFinite) { throw ValidationError("--\(name) must be a finite number >= 0 (got \(v))") }
        }
        try finite(guidanceWeight, "guidance-weight")
        try finite(guidanceStepSize, "guidance-step-size")
        try finite(guidanceLambda, "guidance-lambda")
        try finite(predictionGuidanceStepSize, "prediction-guidance-step-size")
        if let n = predictionGuidanceSteps, !(0...100).contains(n) {
            throw ValidationError("--prediction-guidance-steps must be 0...100 (got \(n))")
        }
        if let n = guidanceSteps, !(0...100).contains(n) { throw ValidationError("--guidance-steps must be 0...100 (got \(n))") }
        if let n = unguidedSteps, !(0...200).contains(n) { throw ValidationError("--unguided-steps must be 0...200 (got \(n))") }
        if let n = guidanceCandidates, !GuidanceSettings.candidateRange.contains(n) {
            throw ValidationError("--guidance-candidates must be \(GuidanceSettings.candidateRange.lowerBound)...\(GuidanceSettings.candidateRange.upperBound) (got \(n))")
        }
    }

    /// The continuous-only options given on the command line, by name.
    var continuousOnlyGiven: [String] {
        [(guidanceSteps != nil, "--guidance-steps"), (guidanceStepSize != nil, "--guidance-step-size"),
         (guidanceLambda != nil, "--guidance-lambda"), (unguidedSteps != nil, "--unguided-steps"),
         (predictionGuidanceSteps != nil, "--prediction-guidance-steps"),
         (predictionGuidanceStepSize != nil, "--prediction-guidance-step-size"),
         (guidanceSaturation != nil, "--guidance-saturation"), (guidanceUpdate != nil, "--guidance-update"),
         (guidanceCombination != nil, "--guidance-combination")].filter(\.0).map(\.1)
    }

    /// The options of the discrete kinds given on the command line, by name.
    var discreteOnlyGiven: [String] { guidanceCandidates == nil ? [] : ["--guidance-candidates"] }

    func settings(for kind: ModelKind = .continuous) -> GuidanceSettings {
        var g = GuidanceSettings.defaults(for: kind)
        if let v = guidanceWeight { g.weight = v }
        if let v = guidanceCandidates { g.candidates = v }
        if let v = guidanceSteps { g.iterations = v }
        if let v = guidanceStepSize { g.stepSize = v }
        if let v = guidanceLambda { g.lambda = v }
        if let v = unguidedSteps { g.unguidedFinalSteps = v }
        if let v = guidanceSaturation { g.saturating = v == .on }
        if let v = predictionGuidanceSteps { g.predictionIterations = v }
        if let v = predictionGuidanceStepSize { g.predictionStepSize = v }
        if let v = guidanceUpdate { g.update = v }
        if let v = guidanceCombination { g.combination = v }
        g.tagScore = tagScore
        return g
    }
}

extension GuidanceUpdate: ExpressibleByArgument {}
extension ControlCombination: ExpressibleByArgument {}
extension TagScore: ExpressibleByArgument {}

/// An on/off option value.
enum Switch: String, CaseIterable, ExpressibleByArgument {
    case on, off
}

/// `--format` of commands that print a report: a text rendering, or the result as JSON.
enum ReportFormat: String, CaseIterable, ExpressibleByArgument {
    case text, json
}
