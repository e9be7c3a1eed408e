import ArgumentParser
import DenoiseCore
import DenoiseTUI
import Foundation

struct Play: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open the interactive playground (the default command).")

    @OptionGroup var chain: ChainOptions
    @Option(help: "Theme name (a file in Themes/): default, light, high-contrast, colorblind, mono.") var theme = "default"
    @Option(help: "Replay an exported JSONL trace (no model needed).") var replay: String?
    @Option(help: "Open in forward mode: noise this sentence step by step (tokens in the model's vocabulary, at most L-2).")
    var forward: String?
    @Option(help: "A corpus file (E2E CSV, or one sentence a line) whose held-out sentences the forward menu (f) picks from at random: those in the model's held-out bucket that it can read.")
    var sentences: String?
    @Option(help: "Open the compare screen: this model folder's chain beside --model's, in lockstep by the fraction of the chain (same seed, controls, length, infill).")
    var compare: String?

    func run() throws {
        try reportingErrors {
            let engine: any EngineHandle
            var heldOut: [String] = []
            var second: (any EngineHandle)?
            if replay != nil && compare != nil {
                throw DenoiseError.invalid("--compare and --replay cannot be used together: a replay has no model to run beside another")
            }
            // The engine's queue runs the chains on this many BLAS threads for the whole session.
            var threads = 1
            if replay != nil && forward != nil {
                throw DenoiseError.invalid("--forward and --replay cannot be used together: a replay has no model to noise the sentence with")
            }
            if let replay {
                engine = try ReplayEngine(tracePath: replay)
            } else {
                let model = try chain.loadModel()
                threads = model.denoiser.inferenceThreads
                let settings = try chain.settings(for: model.config.modelKind)
                engine = try BLAS.withThreads(threads) { try PlaygroundEngine(model: model, settings: settings, forward: forward) }
                if let sentences { heldOut = try Self.heldOutSentences(path: sentences, model: model) }
                if let compare { second = try Self.compareEngine(path: compare, settings: try chain.settings()) }
            }
            var options = PlaygroundOptions(themeName: theme, themesDirectory: repositoryFolder("Themes") ?? "Themes",
                                            heldOutSentences: heldOut)
            options.compareEngine = second
            options.bundledModels = Self.bundledModels()
            options.makeCompareEngine = { path, settings in try Self.compareEngine(path: path, settings: settings) }
            // After the engine, so a bad model or sentence is named even without a terminal.
            try BLAS.withThreads(threads) {
                try Self.open(engine, command: "play", options: options)
            }
        }
    }

    /// Runs the playground on a terminal (refusing in one line without one) and turns its exit
    /// status and errors into the CLI's.
    static func open(_ engine: any EngineHandle, command: String, options: PlaygroundOptions) throws {
        guard isatty(STDOUT_FILENO) == 1, isatty(STDIN_FILENO) == 1 else {
            throw DenoiseError.invalid("denoise \(command) needs a terminal: stdout or stdin is not a TTY (for scripts use `denoise sample`)")
        }
        let status: Int32
        do { status = try Playground.run(engine: engine, options: options) } catch let e as PlaygroundError {
            throw DenoiseError.invalid(e.message)
        }
        if status != 0 { throw ExitCode(status) }
    }

    /// The sentences of `path` that the model never trained on (its recorded held-out bucket;
    /// all of them when the model records no training) and can encode, at most 1000.
    static func heldOutSentences(path: String, model: DiffusionModel) throws -> [String] {
        let kept = try HeldOutSentences.read(path: path, model: model, heldOutPercent: model.config.training?.heldOutPercent,
                                             limit: 1000).sentences.map(\.text)
        guard !kept.isEmpty else {
            throw DenoiseError.invalid("--sentences \(path): no held-out sentence the model can read (in its vocabulary, at most L-2 tokens)")
        }
        return kept
    }

    /// The compare screen's second engine: the model in `path` run with the first chain's seed,
    /// steps, controls, length and infill. Settings its kind does not take are dropped (clamping
    /// off for a discrete model, the unmasking rule and sampler back to the defaults), guidance
    /// and temperature are its kind's defaults, and controls are dropped when it has no
    /// classifier to steer with.
    static func compareEngine(path: String, settings: ChainSettings) throws -> any EngineHandle {
        let model = try DiffusionModel.load(path: path)
        let kind = model.config.modelKind
        let s = ChainSettings(seed: settings.seed, steps: settings.steps, clamp: kind == .continuous,
                              controls: model.classifier == nil ? [] : settings.controls, lengthMode: settings.lengthMode,
                              guidance: GuidanceSettings.defaults(for: kind),
                              temperature: ChainSettings.defaultTemperature(for: kind))
        return try PlaygroundEngine(model: model, settings: s)
    }

    /// The model folders bundled in the repository's Models/ (each holding a config.json),
    /// sorted by name: what `K` offers.
    static func bundledModels() -> [String] {
        guard let folder = repositoryFolder("Models") else { return [] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.sorted().map { (folder as NSString).appendingPathComponent($0) }.filter {
            FileManager.default.fileExists(atPath: ($0 as NSString).appendingPathComponent("config.json"))
        }
    }
}
