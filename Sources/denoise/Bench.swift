import ArgumentParser
import DenoiseCore
import DenoiseTUI
import Foundation

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure latency and throughput (medians after warm-up; use a release build).")

    @Option(help: "Model folder (default: Models/e2e of this repository).") var model: String?
    @Option(help: "Output format: text or json.") var format = "text"
    @Option(help: "Training iterations to time.") var trainIterations = 15
    @Option(help: "BLAS threads for the batch-1 inference timings (the engine's setting is 1).") var inferenceThreads = 1

    func validate() throws {
        if !["text", "json"].contains(format) { throw ValidationError("--format \"\(format)\" is not accepted: text or json") }
        if !(1...256).contains(inferenceThreads) { throw ValidationError("--inference-threads must be 1...256 (got \(inferenceThreads))") }
    }

    func run() throws {
        reportingErrors { try bench() }
    }

    /// Median of `repeats` timings of `body` in milliseconds, after `warmup` untimed calls.
    func median(_ repeats: Int, warmup: Int = 3, _ body: () -> Void) -> Double {
        for _ in 0..<warmup { body() }
        var times = [Double]()
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        times.sort()
        return times[times.count / 2]
    }

    func bench() throws {
        let path = model ?? defaultModelPath()
        let m = try DiffusionModel.load(path: path)
        let c = m.config
        var results = [(String, Double?)]()
        let cores = ProcessInfo.processInfo.activeProcessorCount

        // Inference: single-threaded BLAS, as on the engine queue (unless asked otherwise).
        BLAS.setThreads(inferenceThreads)
        // Chains of seeds 1...8, 50 timed steps each (after 3 untimed), so the steps cover the
        // lengths the length prior draws: a silent step skips the fixed tail's predictions, and
        // how much that saves depends on the length. One chain at a time, as a user runs them.
        var stepTimes = [Double]()
        for seed in 1...8 {
            let chain = try ReverseChain(model: m, settings: ChainSettings(seed: UInt64(seed), steps: 200))
            for _ in 0..<3 { chain.step(record: false) }
            for _ in 0..<50 {
                let begin = DispatchTime.now().uptimeNanoseconds
                chain.step(record: false)
                stepTimes.append(Double(DispatchTime.now().uptimeNanoseconds - begin) / 1e6)
            }
        }
        let stepMs = stepTimes.sorted()[stepTimes.count / 2]
        results.append(("reverseStepMs", stepMs))
        // The same step with every row computed (--free-length fixes no position).
        let freeStepMs: Double
        do {
            var freeSettings = ChainSettings(seed: 1, steps: 200)
            freeSettings.freeLength = true
            let free = try ReverseChain(model: m, settings: freeSettings)
            let freeStart = free.saveState()
            freeStepMs = median(301) {
                if free.isFinished { free.restore(freeStart) }
                free.step(record: false)
            }
        }
        results.append(("reverseStepFreeLengthMs", freeStepMs))
        let chain = try ReverseChain(model: m, settings: ChainSettings(seed: 1, steps: 200))
        let start = chain.saveState()
        let snapshotMs = median(201) {
            if chain.isFinished { chain.restore(start) }
            chain.step(record: true)
        }
        results.append(("reverseStepWithSnapshotMs", snapshotMs))

        var guided: Double? = nil
        if let classifier = m.classifier, let field = classifier.fields.first(where: { $0.name == "food" }) ?? classifier.fields.first {
            var s = ChainSettings(seed: 1, steps: 200)
            s.controls = [ControlTarget(field: field.name, value: field.values[0])]
            let g = try ReverseChain(model: m, settings: s)
            let gStart = g.saveState()
            guided = median(201) {
                if g.stepsTaken > 150 { g.restore(gStart) }
                g.step(record: false)
            }
        }
        results.append(("guidedStepMs", guided))

        results.append(("chainMs", median(7, warmup: 1) {
            let ch = try! ReverseChain(model: m, settings: ChainSettings(seed: 3, steps: 200))
            ch.runToEnd()
        }))

        let rounder = Rounder(embedding: m.embedding(of: 0), vocabularySize: c.vocabSize, dim: c.embeddingDim, maxRows: c.sequenceLength)
        let latent = chain.latent
        results.append(("roundingMs", median(201) {
            rounder.round(latent.pointer, rows: c.sequenceLength)
            for p in 0..<c.sequenceLength { _ = rounder.topK(row: p, k: 5) }
        }))
        BLAS.setThreads(1)

        // Frame: a real engine state (60 steps in), built into the off-screen buffer at 120x40.
        let engine = try PlaygroundEngine(model: m, settings: ChainSettings(seed: 1, steps: 200))
        engine.send(.jump(to: 60))
        engine.waitUntilIdle()
        guard let state = engine.poll() else { throw DenoiseError.invalid("bench: the engine published no state") }
        results.append(("frameMs", median(201) {
            _ = Playground.renderFrame(state: AppState(), engineState: state, summary: m.summary, width: 120, height: 40)
        }))

        // Memory of the playground: a T-step chain played to the end, its whole history kept
        // (measured before the training buffers exist, so it is what `denoise play` needs).
        let longEngine = try PlaygroundEngine(model: m, settings: ChainSettings(seed: 1, steps: c.diffusionSteps))
        longEngine.send(.toEnd)
        longEngine.waitUntilIdle()
        results.append(("playFullHistoryRSSMB", peakRSSMB()))

        // Training: data-parallel workers with single-threaded BLAS, batch 64, random sentences.
        var rng = RandomSource(seed: 9)
        let words = m.vocabulary.words.dropFirst(4)
        let examples = (0..<256).map { _ in
            CorpusExample(text: (0..<(5 + rng.int(below: 20))).map { _ in words[words.startIndex + rng.int(below: words.count)] }.joined(separator: " "), meaning: nil)
        }
        let data = try TrainingData(examples: examples, length: c.sequenceLength, minCount: 1, heldOutPercent: 0, vocabulary: m.vocabulary)
        var options = TrainOptions()
        options.batchSize = 64
        let trainModel = Denoiser(config: c, seed: 1)
        let trainer = Trainer(model: trainModel, data: data, options: options, workers: cores)
        let trainMs = median(trainIterations, warmup: 2) { trainer.step() }
        results.append(("trainStepMs", trainMs))
        results.append(("trainTokensPerSec", Double(64 * c.sequenceLength) / (trainMs / 1000)))

        // Raw sgemm at the model's largest shapes (batch-64 FFN and QKV), all cores.
        BLAS.setThreads(cores)
        let rows = 64 * c.sequenceLength
        let a = FloatBuffer(count: rows * c.ffnSize), b = FloatBuffer(count: c.ffnSize * c.ffnSize), out = FloatBuffer(count: rows * c.ffnSize)
        var gflops = [Double]()
        for (k, n) in [(c.hiddenSize, c.ffnSize), (c.hiddenSize, 3 * c.hiddenSize), (c.ffnSize, c.hiddenSize)] {
            let ms = median(21) {
                BLAS.gemm(m: rows, n: n, k: k, a: a.pointer, lda: k, b: b.pointer, ldb: n, c: out.pointer, ldc: n)
            }
            gflops.append(2 * Double(rows * n * k) / (ms / 1000) / 1e9)
        }
        // The same three products at batch-1 shapes ([L, k] rows) on the inference thread count:
        // the rate a reverse step's matrix products can reach at best, so the step's FLOPs
        // divided by it are the floor under reverseStepMs on this machine.
        BLAS.setThreads(inferenceThreads)
        var stepGflops = [Double]()
        for (k, n) in [(c.hiddenSize, c.ffnSize), (c.hiddenSize, 3 * c.hiddenSize), (c.ffnSize, c.hiddenSize)] {
            let ms = median(501, warmup: 20) {
                BLAS.gemm(m: c.sequenceLength, n: n, k: k, a: a.pointer, lda: k, b: b.pointer, ldb: n, c: out.pointer, ldc: n)
            }
            stepGflops.append(2 * Double(c.sequenceLength * n * k) / (ms / 1000) / 1e9)
        }
        withExtendedLifetime((a, b, out)) {}
        BLAS.setThreads(1)
        let sgemm = gflops.sorted()[gflops.count / 2]
        results.append(("sgemmGflops", sgemm))
        let stepSgemm = stepGflops.sorted()[stepGflops.count / 2]
        results.append(("inferenceSgemmGflops", stepSgemm))
        results.append(("reverseStepFloorMs", m.denoiser.forwardFlops(batch: 1) / (stepSgemm * 1e9) * 1000))
        results.append(("trainGflops", trainModel.trainFlops(batch: 64) / (trainMs / 1000) / 1e9))
        // Every row computed: the free-length step is the one whose FLOPs are forwardFlops.
        results.append(("inferenceGflops", m.denoiser.forwardFlops(batch: 1) / (freeStepMs / 1000) / 1e9))

        results.append(("peakRSSMB", peakRSSMB()))

        let machine = machineDescription()
        if format == "json" {
            var object = [String: Any]()
            for (k, v) in results { object[k] = v.map { ($0 * 1000).rounded() / 1000 } ?? NSNull() }
            object["machine"] = machine
            object["model"] = path
            object.merge(BLAS.summaryFields) { $1 }
            print(Trace.json(object))
        } else {
            print("denoise bench · \(path) · \(machine)")
            print("blas: \(BLAS.summary)")
            print("medians after warm-up; inference with single-threaded BLAS, training with \(cores) data-parallel workers")
            for (k, v) in results {
                print(k.padding(toLength: 28, withPad: " ", startingAt: 0) + (v.map { String(format: "%.3f", $0) } ?? "n/a (model has no classifier)"))
            }
        }
    }

    func peakRSSMB() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_maxrss) / 1024
    }

    func machineDescription() -> String {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let name = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .map { $0.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "" } ?? "unknown CPU"
        return "\(ProcessInfo.processInfo.activeProcessorCount) cores, \(name)"
    }
}
