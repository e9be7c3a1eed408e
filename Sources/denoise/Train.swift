import ArgumentParser
import DenoiseCore
import Foundation

/// Set by the SIGINT/SIGTERM handler; the training loop checks it between iterations, saves, and exits.
nonisolated(unsafe) var stopRequested: sig_atomic_t = 0

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a denoiser and its embedding on E2E CSV files or plain text (one sentence per line).")

    @Option(name: .customLong("data"), parsing: .upToNextOption, help: "Corpus files (.csv with a ref column, or plain text).")
    var data: [String] = []
    @Option(help: "Output model folder.") var out = "Models/e2e"
    @Option(help: "Train for this many minutes (the iteration count is estimated from the first iterations).") var minutes: Double?
    @Option(help: "Train for this many iterations (with --resume: the new end of the run).") var iterations: Int?
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Flag(help: "Continue the run saved in the output folder (train-state.safetensors).") var resume = false
    @Option(help: ArgumentHelp("Start a new run from this model's weights (its architecture and vocabulary; fresh optimizer).", valueName: "DIR"))
    var initFrom: String?
    @Option(help: "Share of sentences trained with START, END and PAD fixed to clean embeddings, as the sampler fixes them for a length (0...1).")
    var fixedLengthShare: Float = 0

    @Option(help: "Sequences per batch.") var batchSize = 64
    @Option(help: "Peak learning rate.") var learningRate: Float = 1e-3
    @Option(help: "Warm-up iterations.") var warmup = 200
    @Option(help: "EMA decay of the saved weights.") var ema: Float = 0.999
    @Option(help: "Weight of the cross-entropy on the denoiser output (0: plain recipe).") var outputCE: Float = 1
    @Option(help: "Keep every embedding row at this L2 norm (0: free norms).") var embeddingNorm: Float = 4
    @Option(help: "Sequence length L (sentences longer than L-2 tokens are dropped).") var length = 48
    @Option(help: "Embedding dimension d.") var embeddingDim = 16
    @Option(help: "Transformer width H.") var hidden = 128
    @Option(help: "Transformer blocks.") var layers = 4
    @Option(help: "Attention heads.") var heads = 4
    @Option(help: "Feed-forward width.") var ffn = 512
    @Option(help: "Diffusion steps T.") var diffusionSteps = 2000
    @Option(help: "Vocabulary minimum count.") var minCount = 2
    @Option(help: "Minutes between checkpoints.") var checkpointMinutes: Double = 5
    @Option(help: "Worker threads, each with a shard of the batch (default: all cores).") var threads = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        if data.isEmpty { throw ValidationError("--data needs at least one corpus file") }
        if minutes != nil && iterations != nil { throw ValidationError("give --minutes or --iterations, not both") }
        if let m = minutes, !(m > 0) { throw ValidationError("--minutes must be positive (got \(m))") }
        if let n = iterations, n <= 0 { throw ValidationError("--iterations must be positive (got \(n))") }
        if batchSize < 1 || batchSize > 4096 { throw ValidationError("--batch-size must be in 1...4096 (got \(batchSize))") }
        if !(learningRate > 0) { throw ValidationError("--learning-rate must be positive") }
        if !(ema >= 0 && ema < 1) { throw ValidationError("--ema must be in [0, 1)") }
        if !(fixedLengthShare >= 0 && fixedLengthShare <= 1) { throw ValidationError("--fixed-length-share must be in 0...1 (got \(fixedLengthShare))") }
        if resume && initFrom != nil { throw ValidationError("give --resume or --init-from, not both") }
    }

    func run() throws {
        reportingErrors { try train() }
    }

    func train() throws {
        // Data-parallel workers, each running single-threaded BLAS: no oversubscription, and the
        // elementwise kernels run on every core too.
        BLAS.setThreads(1)
        let folder = ModelFolder(path: out)
        let statePath = folder.file(Trainer.stateFile)
        let examples = try data.flatMap { try CorpusReader.read(path: $0) }
        // Check the output folder is writable before spending time.
        do { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) } catch { throw DenoiseError.file(out, "cannot create the output folder (is the parent folder missing or not writable?)") }
        guard FileManager.default.isWritableFile(atPath: out) else { throw DenoiseError.file(out, "output folder is not writable") }

        let heldOutPercent = 5
        var vocabulary: Vocabulary? = nil
        var options = TrainOptions()
        var config: ModelConfig
        // The model a run started from (`--init-from`), kept across resumes.
        var startedFrom: String? = nil
        if resume {
            options = try Trainer.savedOptions(at: statePath)
            // --iterations with --resume moves the end of the run (and of the cosine decay).
            if let n = iterations { options.totalIterations = n }
            config = try folder.loadConfig()
            vocabulary = try folder.loadVocabulary(config: config)
            startedFrom = config.training?.startedFrom
        } else {
            options.batchSize = batchSize
            options.peakLearningRate = learningRate
            options.warmupIterations = warmup
            options.emaDecay = ema
            options.outputCrossEntropyWeight = outputCE
            options.embeddingNorm = embeddingNorm > 0 ? embeddingNorm : nil
            options.seed = seed
            options.totalIterations = iterations ?? 1_000_000
            options.fixedLengthShare = fixedLengthShare > 0 ? fixedLengthShare : nil
            if let source = initFrom {
                // The starting model decides the architecture and the vocabulary.
                let sourceFolder = ModelFolder(path: source)
                config = try sourceFolder.loadConfig()
                vocabulary = try sourceFolder.loadVocabulary(config: config)
                startedFrom = source + (config.training.map { " at iteration \($0.iterations)" } ?? "")
            } else {
                config = ModelConfig(vocabSize: 0, sequenceLength: length, embeddingDim: embeddingDim, hiddenSize: hidden,
                                     layers: layers, heads: heads, ffnSize: ffn, diffusionSteps: diffusionSteps)
            }
        }
        let trainingData = try TrainingData(examples: examples, length: config.sequenceLength, minCount: minCount,
                                            heldOutPercent: heldOutPercent, vocabulary: vocabulary)
        config.vocabSize = trainingData.vocabulary.count
        config.lengthHistogram = trainingData.lengthHistogram
        try config.validate(file: "training options")
        func makeModel() throws -> Denoiser {
            let model = Denoiser(config: config, seed: options.seed)
            if let source = initFrom {
                let (loaded, _) = try ModelFolder(path: source).loadTrainableDenoiser()
                model.params.values.copy(from: loaded.params.values)
            }
            return model
        }
        let model = try makeModel()
        var trainer = Trainer(model: model, data: trainingData, options: options, workers: threads)
        var previousSeconds = 0.0
        if resume {
            try trainer.loadState(from: statePath)
            previousSeconds = config.training?.wallSeconds ?? 0
            if trainer.iteration >= options.totalIterations {
                throw DenoiseError.invalid("the saved run is at iteration \(trainer.iteration), already at or past --iterations \(options.totalIterations)")
            }
        }
        let log = TrainingLog(isTTY: isatty(STDOUT_FILENO) == 1)
        log.line("data: \(trainingData.trainCount) training sentences, \(trainingData.heldOutSentences.count) held out, "
                 + "\(trainingData.droppedTooLong) dropped (longer than \(config.sequenceLength - 2) tokens); "
                 + "vocabulary \(config.vocabSize); \(model.parameterCount) parameters")

        signal(SIGINT) { _ in stopRequested = 1 }
        signal(SIGTERM) { _ in stopRequested = 1 }

        func save(final: Bool) throws {
            let elapsed = previousSeconds + Date().timeIntervalSince(start)
            config.training = TrainingRecord(
                data: data.map { ($0 as NSString).lastPathComponent }, iterations: trainer.iteration,
                batchSize: options.batchSize, seed: options.seed, minCount: minCount, heldOutPercent: heldOutPercent,
                heldOutRule: TrainingData.heldOutRule, wallSeconds: elapsed, startedFrom: startedFrom,
                fixedLengthShare: options.fixedLengthShare.map(Double.init),
                finalLosses: ["mse": Double(average.mse), "roundingCE": Double(average.roundingCE),
                              "outputCE": Double(average.outputCE), "prior": Double(average.prior)])
            try trainer.saveState(to: statePath)
            try folder.save(model: trainer.model, weights: trainer.ema, vocabulary: trainingData.vocabulary, config: config)
            log.line("saved \(out) at iteration \(trainer.iteration)\(final ? "" : " (checkpoint)")")
        }

        let start = Date()
        var lastCheckpoint = start
        var average = LossParts()
        var window = [Double]()
        var target = options.totalIterations
        if let m = minutes, !resume {
            // Time budget: measure 10 iterations, then fix the iteration count (and the
            // learning-rate schedule with it) so the run stays deterministic and resumable.
            for _ in 0..<10 { average = trainer.step() }
            let perIteration = Date().timeIntervalSince(start) / 10
            target = max(20, Int(m * 60 / perIteration))
            var o = options
            o.totalIterations = target
            options = o
            let fresh = Trainer(model: try makeModel(), data: trainingData, options: options, workers: threads)
            trainer = fresh
            log.line("about \(String(format: "%.0f", perIteration * 1000)) ms per iteration: \(target) iterations in \(m) minutes")
        }
        var last = Date()
        var stepsThisRun = 0
        while trainer.iteration < target && stopRequested == 0 {
            let parts = trainer.step()
            stepsThisRun += 1
            let k: Float = stepsThisRun == 1 ? 0 : (stepsThisRun < 50 ? 0.8 : 0.98)
            average.mse = k * average.mse + (1 - k) * parts.mse
            average.roundingCE = k * average.roundingCE + (1 - k) * parts.roundingCE
            average.outputCE = k * average.outputCE + (1 - k) * parts.outputCE
            average.prior = k * average.prior + (1 - k) * parts.prior
            let now = Date()
            window.append(now.timeIntervalSince(last))
            last = now
            if window.count > 50 { window.removeFirst() }
            let perIt = window.sorted()[window.count / 2]
            log.progress(iteration: trainer.iteration, total: target, loss: average, secondsPerIteration: perIt,
                         learningRate: options.learningRate(at: trainer.iteration))
            if now.timeIntervalSince(lastCheckpoint) > checkpointMinutes * 60 {
                try save(final: false)
                lastCheckpoint = now
            }
        }
        try save(final: true)
        if stopRequested != 0 {
            log.line("interrupted: resume with --resume")
            Foundation.exit(130)
        }
    }
}

/// Progress on a terminal (one updating line), plain log lines in a pipe.
struct TrainingLog {
    let isTTY: Bool

    func line(_ s: String) {
        if isTTY { print("\r\u{1B}[K" + s) } else { print(s) }
        fflush(nil)
    }

    func progress(iteration: Int, total: Int, loss: LossParts, secondsPerIteration: Double, learningRate: Float) {
        let eta = Double(total - iteration) * secondsPerIteration
        let text = String(format: "it %d/%d  loss %.4f (mse %.4f ce %.3f out-ce %.3f prior %.4f)  %.1f it/s  lr %.2e  eta %@",
                          iteration, total, loss.total, loss.mse, loss.roundingCE, loss.outputCE, loss.prior,
                          1 / max(secondsPerIteration, 1e-9), learningRate, formatDuration(eta))
        if isTTY {
            let width = 20, filled = Int(Double(width) * Double(iteration) / Double(max(total, 1)))
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            print("\r\u{1B}[K\(bar) \(text)", terminator: "")
            fflush(nil)
        } else if iteration % 100 == 0 || iteration == total {
            print(text)
            fflush(nil)
        }
    }
}

func formatDuration(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    return s >= 3600 ? String(format: "%dh%02dm", s / 3600, (s % 3600) / 60) : String(format: "%dm%02ds", s / 60, s % 60)
}
