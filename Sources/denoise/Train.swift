import ArgumentParser
import DenoiseCore
import DenoiseTUI
import Foundation

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a denoiser and its embedding on E2E CSV files or plain text (one sentence per line).",
        discussion: """
            Never replaces a model by accident: without --out the model goes to a new folder named after \
            the first data file (--data my.txt writes Models/my; the default data, Models/devset), and a folder that already holds a model \
            is refused unless --resume (continue the run saved there) or --force (replace it) is given. \
            On a terminal the run is shown on a live screen (progress, loss plots, speed, sentences sampled \
            from the current weights at the start and at every checkpoint); in a pipe, or with --plain, it \
            prints log lines.
            """)

    @Option(name: .customLong("data"), parsing: .upToNextOption, help: "Corpus files (.csv with a ref column, or plain text); default: Data/e2e/devset.csv and testset_w_refs.csv.")
    var data: [String] = []
    @Option(help: "Output model folder (default: Models/<first data file's name>); must not hold a model unless --resume or --force.")
    var out: String?
    @Flag(help: "Replace the model already in the output folder.") var force = false
    @Option(help: "Train for this many minutes (the iteration count is planned from the speed and re-planned as it changes).") var minutes: Double?
    @Option(help: "Train for this many iterations (with --resume: the new end of the run).") var iterations: Int?
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Flag(help: "Continue the run saved in the output folder (train-state.safetensors).") var resume = false
    @Option(help: ArgumentHelp("Start a new run from this model's weights (its architecture and vocabulary; fresh optimizer).", valueName: "DIR"))
    var initFrom: String?
    @Option(help: "Share of sentences trained with START, END and PAD fixed to clean embeddings, as the sampler fixes them for a length (0...1; 0: never).")
    var fixedLengthShare: Float = 0.5

    @Option(help: "Sequences per batch.") var batchSize = 64
    @Option(help: "Peak learning rate (2e-3: docs/TRAINING.md, \"The recipe\").") var learningRate: Float = 2e-3
    @Option(help: "Warm-up iterations.") var warmup = 200
    @Option(help: "EMA decay of the saved weights.") var ema: Float = 0.999
    @Option(help: "Weight of the cross-entropy on the denoiser output (0: plain recipe; continuous models, default 1).") var outputCE: Float?
    @Option(help: "Keep every embedding row at this L2 norm (0: free norms; continuous models, default 4).") var embeddingNorm: Float?
    @OptionGroup var architecture: ArchitectureOptions
    @Option(help: "Vocabulary minimum count.") var minCount = 2
    @Option(help: "Minutes between checkpoints.") var checkpointMinutes: Double = 5
    @Option(help: "Worker threads, each with a shard of the batch (default: all cores).") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Flag(help: "Print log lines even on a terminal instead of the live training screen.") var plain = false

    func validate() throws {
        if minutes != nil && iterations != nil { throw ValidationError("give --minutes or --iterations, not both") }
        if let m = minutes, !(m > 0) { throw ValidationError("--minutes must be positive (got \(m))") }
        if let n = iterations, n <= 0 { throw ValidationError("--iterations must be positive (got \(n))") }
        if batchSize < 1 || batchSize > 4096 { throw ValidationError("--batch-size must be in 1...4096 (got \(batchSize))") }
        if !(learningRate > 0) { throw ValidationError("--learning-rate must be positive") }
        if !(ema >= 0 && ema < 1) { throw ValidationError("--ema must be in [0, 1)") }
        if !(fixedLengthShare >= 0 && fixedLengthShare <= 1) { throw ValidationError("--fixed-length-share must be in 0...1 (got \(fixedLengthShare))") }
        if resume && initFrom != nil { throw ValidationError("give --resume or --init-from, not both") }
        if resume && force { throw ValidationError("give --resume (continue the saved run) or --force (replace it), not both") }
    }

    /// Sentences sampled at the start and at every checkpoint on the training screen, and their
    /// chain length: 50 steps of 3 sentences cost about as much as one training iteration.
    static let screenSamples = (count: 3, steps: 50)

    func run() throws {
        try reportingErrors {
            var command = self
            if command.data.isEmpty { command.data = try DefaultData.paths(DefaultData.training, replacedBy: "--data") }
            if !plain && isatty(STDOUT_FILENO) == 1 && isatty(STDIN_FILENO) == 1 {
                try command.runOnScreen()
            } else {
                try command.runWithLog()
            }
        }
    }

    func runWithLog() throws {
        let stop = StopRequest()
        let signals = stopOnSignals(stop)
        defer { withExtendedLifetime(signals) {} }
        let log = TrainingLog(isTTY: isatty(STDOUT_FILENO) == 1)
        let out = try TrainingOutput.resolve(out: out, data: data, resume: resume, force: force)
        let result = try TrainingRun(settings: try settings(out: out), stop: stop).run(events: log.show)
        if result.interrupted {
            log.line("interrupted: resume with --resume")
            throw ExitCode(130)
        }
    }

    /// The live screen. Its terminal session records SIGINT and SIGTERM; the run is asked to
    /// stop at the next event, saves, and the terminal is given back before anything is printed.
    func runOnScreen() throws {
        let out = try TrainingOutput.resolve(out: out, data: data, resume: resume, force: force)
        var settings = try settings(out: out)
        settings.sampleCount = Self.screenSamples.count
        settings.sampleSteps = Self.screenSamples.steps
        let stop = StopRequest()
        let display = try TrainingDisplay(title: "denoise train → \(out)", themesDirectory: repositoryFolder("Themes") ?? "Themes")
        let result: TrainingRunResult
        do {
            defer { display.close() }
            result = try TrainingRun(settings: settings, stop: stop).run { event in
                display.handle(event)
                if display.stopStatus != nil { stop.request() }
            }
        }
        for message in display.messages { print(message) }
        if result.interrupted {
            print("interrupted: resume with --resume")
            throw ExitCode(130)
        }
    }

    func settings(out: String) throws -> TrainingRunSettings {
        let kind = try architecture.modelKind()
        if kind.isDiscrete {
            for (given, name) in [(outputCE != nil, "--output-ce"), (embeddingNorm != nil, "--embedding-norm")] where given {
                throw DenoiseError.invalid("\(name) is for continuous models, not \(kind.rawValue) ones (accepted with --kind continuous)")
            }
        }
        var s = TrainingRunSettings(data: data, out: out)
        s.minutes = minutes
        s.iterations = iterations
        s.resume = resume
        s.initFrom = initFrom
        s.options.batchSize = batchSize
        s.options.peakLearningRate = learningRate
        s.options.warmupIterations = warmup
        s.options.emaDecay = ema
        s.options.outputCrossEntropyWeight = kind.isDiscrete ? 0 : (outputCE ?? 1)
        let norm = kind.isDiscrete ? 0 : (embeddingNorm ?? 4)
        s.options.embeddingNorm = norm > 0 ? norm : nil
        s.options.seed = seed
        s.options.fixedLengthShare = fixedLengthShare
        s.architecture = try architecture.config(vocabSize: 0)
        s.minCount = minCount
        s.checkpointMinutes = checkpointMinutes
        s.threads = threads
        return s
    }
}

/// SIGINT and SIGTERM request `stop` (through dispatch sources, so the handler runs as ordinary
/// code); the returned sources must stay alive while the run works.
func stopOnSignals(_ stop: StopRequest) -> [DispatchSourceSignal] {
    [SIGINT, SIGTERM].map { number in
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler { stop.request() }
        source.resume()
        return source
    }
}

/// Progress on a terminal (one updating line), plain log lines in a pipe.
struct TrainingLog {
    let isTTY: Bool

    func show(_ event: TrainingEvent) {
        switch event {
        case let .message(text): line(text)
        case let .progress(progress): self.progress(progress)
        case .samples, .saved: break
        }
    }

    func line(_ s: String) {
        if isTTY { print("\r\u{1B}[K" + s) } else { print(s) }
        fflush(nil)
    }

    func progress(_ p: TrainingProgress) {
        if isTTY {
            let width = 20, filled = Int(Double(width) * Double(p.iteration) / Double(max(p.total, 1)))
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            print("\r\u{1B}[K\(bar) \(p.summary)", terminator: "")
            fflush(nil)
        } else if p.iteration % 100 == 0 || p.iteration == p.total {
            print(p.summary)
            fflush(nil)
        }
    }
}
