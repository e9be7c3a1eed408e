import ArgumentParser
import DenoiseCore
import Foundation

/// Options shared by `sample`, `play` and `eval`: which model, and how to run the chain.
struct ChainOptions: ParsableArguments {
    @Option(help: "Model folder (default: Models/e2e of this repository).") var model: String?
    @Option(help: "Random seed (sample i of a batch uses seed + i).") var seed: UInt64 = 1
    @Option(help: "Reverse steps K (respaced from the model's T).") var steps = 200
    @Option(name: .customLong("control"), help: "Steer towards FIELD=VALUE (repeatable), e.g. food=Italian.")
    var controls: [String] = []
    @Option(help: "Exact number of tokens (words and punctuation).") var length: Int?
    @Option(help: "Template with known words and `_` for free tokens.") var infill: String?
    @Option(help: "Weight of the classifier term in guidance.") var guidanceWeight: Float = 1
    @Flag(name: .customLong("no-clamp"), help: "Turn off the clamping trick.") var noClamp = false
    @Flag(help: "Let the model alone decide where each sentence ends (no length prior).") var freeLength = false

    var modelPath: String { model ?? defaultModelPath() }

    func validate() throws {
        if steps < 1 { throw ValidationError("--steps must be at least 1 (got \(steps))") }
        if !(guidanceWeight >= 0 && guidanceWeight.isFinite) { throw ValidationError("--guidance-weight must be a number >= 0") }
        for c in controls { _ = try Self.parseControl(c) }
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

    func settings() -> ChainSettings {
        var guidance = GuidanceSettings()
        guidance.weight = guidanceWeight
        var settings = ChainSettings(seed: seed, steps: steps, clamp: !noClamp,
                                     controls: controls.compactMap { try? Self.parseControl($0) },
                                     length: length, infill: infill, guidance: guidance)
        settings.freeLength = freeLength
        return settings
    }

    func loadModel() throws -> DiffusionModel { try DiffusionModel.load(path: modelPath) }
}
