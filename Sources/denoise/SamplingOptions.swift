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
    @Flag(name: .customLong("no-clamp"), help: "Turn off the clamping trick.") var noClamp = false
    @Flag(help: "Let the model alone decide where each sentence ends (no length prior).") var freeLength = false
    @OptionGroup var temperatureOption: TemperatureOption

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

    func settings() throws -> ChainSettings {
        ChainSettings(seed: seed, steps: steps, clamp: !noClamp,
                      controls: controls,
                      lengthMode: try LengthMode.from(length: length, infill: infill, free: freeLength),
                      guidance: guidance.settings(), temperature: temperatureOption.temperature)
    }

    func loadModel() throws -> DiffusionModel { try modelOption.load() }
}

/// `--temperature`, shared by `sample`, `play` and `eval`.
struct TemperatureOption: ParsableArguments {
    @Option(help: "Sampling temperature: scales the noise each reverse step adds (1: the model's own reverse process; lower: more fluent, less varied; 0...2).")
    var temperature: Float = ChainSettings.defaultTemperature

    func validate() throws {
        guard temperature.isFinite, ChainSettings.temperatureRange.contains(temperature) else {
            throw ValidationError("--temperature must be a number in 0...2 (got \(temperature))")
        }
    }
}

/// The guidance knobs of docs/DESIGN.md ("The method"), shared by `sample`, `play` and `eval`. Defaults are
/// `GuidanceSettings()`; every value is checked here so a bad one is a one-line error.
struct GuidanceOptions: ParsableArguments {
    @Option(help: "Weight of the classifier term in guidance.") var guidanceWeight: Float = GuidanceSettings().weight
    @Option(help: "Gradient steps on the latent after each reverse step.") var guidanceSteps = GuidanceSettings().iterations
    @Option(help: "Step size of each guidance step: per coordinate (sign), or the RMS of the change (normalized).") var guidanceStepSize: Float = GuidanceSettings().stepSize
    @Option(help: "Weight lambda of the fluency term |mu - x|^2 / sigma.") var guidanceLambda: Float = GuidanceSettings().lambda
    @Option(help: "Final reverse steps left unguided (of 200; scaled to --steps).") var unguidedSteps = GuidanceSettings().unguidedFinalSteps
    @Option(help: "Gradient steps on the denoiser's prediction x0-hat before rounding (0: off).")
    var predictionGuidanceSteps = GuidanceSettings().predictionIterations
    @Option(help: "Step size of the steps on x0-hat.") var predictionGuidanceStepSize: Float = GuidanceSettings().predictionStepSize
    @Option(help: "Scale guidance steps by 1 - p(control) so they fade once a control is met: on or off.")
    var guidanceSaturation: Switch = GuidanceSettings().saturating ? .on : .off
    @Option(help: "Guidance update: sign (step per coordinate) or normalized (step * g / rms(g)).")
    var guidanceUpdate: GuidanceUpdate = GuidanceSettings().update
    @Option(help: "How several controls share a step: sum (of -log p, the reference), per-control (each weighted by its own 1 - p on the words), alternate (one control per gradient step).")
    var guidanceCombination: ControlCombination = GuidanceSettings().combination
    @Option(help: "With a tagging classifier, how a tagged value is scored: span (its best run of adjacent words), both (span times sentence head), head (sentence head only).")
    var tagScore: TagScore = GuidanceSettings().tagScore

    func validate() throws {
        func finite(_ v: Float, _ name: String) throws {
            if !(v >= 0 && v.isFinite) { throw ValidationError("--\(name) must be a finite number >= 0 (got \(v))") }
        }
        try finite(guidanceWeight, "guidance-weight")
        try finite(guidanceStepSize, "guidance-step-size")
        try finite(guidanceLambda, "guidance-lambda")
        try finite(predictionGuidanceStepSize, "prediction-guidance-step-size")
        if !(0...100).contains(predictionGuidanceSteps) {
            throw ValidationError("--prediction-guidance-steps must be 0...100 (got \(predictionGuidanceSteps))")
        }
        if !(0...100).contains(guidanceSteps) { throw ValidationError("--guidance-steps must be 0...100 (got \(guidanceSteps))") }
        if !(0...200).contains(unguidedSteps) { throw ValidationError("--unguided-steps must be 0...200 (got \(unguidedSteps))") }
    }

    func settings() -> GuidanceSettings {
        var g = GuidanceSettings()
        g.weight = guidanceWeight
        g.iterations = guidanceSteps
        g.stepSize = guidanceStepSize
        g.lambda = guidanceLambda
        g.unguidedFinalSteps = unguidedSteps
        g.saturating = guidanceSaturation == .on
        g.predictionIterations = predictionGuidanceSteps
        g.predictionStepSize = predictionGuidanceStepSize
        g.update = guidanceUpdate
        g.combination = guidanceCombination
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
