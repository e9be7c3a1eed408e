import Foundation

/// Reverse-step figures, measured with the inference thread count.
struct InferenceFigures {
    var reverseStepMs = 0.0, reverseStepFreeLengthMs = 0.0, reverseStepWithSnapshotMs = 0.0
    var guidedStepMs: Double?
    var guidedStepThreeControlsMs: Double?
    var chainMs = 0.0, roundingMs = 0.0
}

/// Training and matrix-product figures.
struct ThroughputFigures {
    var trainStepMs = 0.0, trainTokensPerSec = 0.0, trainGflops = 0.0
    var sgemmGflops = 0.0, inferenceSgemmGflops = 0.0
    /// Peak memory once the training buffers exist.
    var peakRSSMB = 0.0
}

extension Benchmark {
    /// Runs every measurement in order (inference, frame, memory, training, matrix products).
    public func run() throws -> BenchmarkResult {
        let m = settings.model
        guard m.denoiser.isTrainable else {
            throw DenoiseError.invalid("bench also times training, and the \(m.config.architectureKind.rawValue) architecture is inference only: time its steps with `denoise sample --steps N`")
        }
        // Single-threaded BLAS as on the engine queue (unless asked otherwise for inference), and
        // for the trainer's data-parallel workers.
        let inference = try BLAS.withThreads(settings.inferenceThreads) { try measureInference() }
        let (frames, playRSS, throughput) = try BLAS.withThreads(1) {
            let frames = try measureFrames()
            let (playRSS, playedEngine) = try measurePlayMemory()
            // The played chain's history stays in memory through the training figures, so
            // peakRSSMB is what the playground and training buffers take together.
            let throughput = try withExtendedLifetime(playedEngine) { try measureThroughput() }
            return (frames, playRSS, throughput)
        }
        let stepFlops = m.denoiser.forwardFlops(batch: 1)
        return BenchmarkResult(
            model: settings.modelPath, machine: Self.machineDescription(), reverseStepMs: inference.reverseStepMs,
            reverseStepFreeLengthMs: inference.reverseStepFreeLengthMs, reverseStepWithSnapshotMs: inference.reverseStepWithSnapshotMs,
            guidedStepMs: inference.guidedStepMs, guidedStepThreeControlsMs: inference.guidedStepThreeControlsMs, chainMs: inference.chainMs, roundingMs: inference.roundingMs, frameMs: frames[.strip],
            frameGeometryMs: frames[.geometry], frameTimelineMs: frames[.timeline], frameCompareMs: frames[.compare],
            playFullHistoryRSSMB: playRSS, trainStepMs: throughput.trainStepMs, trainTokensPerSec: throughput.trainTokensPerSec,
            sgemmGflops: throughput.sgemmGflops, inferenceSgemmGflops: throughput.inferenceSgemmGflops,
            reverseStepFloorMs: stepFlops / (throughput.inferenceSgemmGflops * 1e9) * 1000, trainGflops: throughput.trainGflops,
            // Every row computed: the free-length step is the one whose FLOPs are forwardFlops.
            inferenceGflops: stepFlops / (inference.reverseStepFreeLengthMs / 1000) / 1e9,
            peakRSSMB: throughput.peakRSSMB)
    }

    /// Reverse steps (silent, every row, recorded, guided), a whole chain and rounding, on the
    /// BLAS threads `run` gives it (`inferenceThreads`).
    func measureInference() throws -> InferenceFigures {
        let m = settings.model, c = m.config, repeats = settings.repeats
        var figures = InferenceFigures()
        // Chains of seeds 1...8, 50 timed steps each (after 3 untimed), so the steps cover the
        // lengths the length prior draws: a silent step skips the fixed tail's predictions, and
        // how much that saves depends on the length. One chain at a time, as a user runs them.
        var stepTimes = [Double]()
        for seed in 1...repeats.stepChains {
            let chain = try m.makeChain(settings: ChainSettings(seed: UInt64(seed), steps: 200))
            for _ in 0..<3 { chain.silentStep() }
            for _ in 0..<repeats.stepsPerChain {
                let begin = DispatchTime.now().uptimeNanoseconds
                chain.silentStep()
                stepTimes.append(Double(DispatchTime.now().uptimeNanoseconds - begin) / 1e6)
            }
        }
        figures.reverseStepMs = stepTimes.sorted()[stepTimes.count / 2]
        // The same step with every row computed (free length fixes no position).
        var freeSettings = ChainSettings(seed: 1, steps: 200)
        freeSettings.lengthMode = .free
        let free = try m.makeChain(settings: freeSettings)
        let freeStart = free.saveState()
        figures.reverseStepFreeLengthMs = Self.median(repeats.freeLengthStep) {
            if free.isFinished { free.restore(freeStart) }
            free.silentStep()
        }
        let chain = try m.makeChain(settings: ChainSettings(seed: 1, steps: 200))
        let start = chain.saveState()
        figures.reverseStepWithSnapshotMs = Self.median(repeats.step) {
            if chain.isFinished { chain.restore(start) }
            chain.recordedStep()
        }
        figures.guidedStepMs = try measureGuidedStep(controls: 1)
        figures.guidedStepThreeControlsMs = try measureGuidedStep(controls: 3)
        figures.chainMs = try measureChain()
        guard let continuous = chain as? ReverseChain else { return figures }  // discrete kinds do not round
        let rounder = Rounder(embedding: m.embedding(of: 0), vocabularySize: c.vocabSize, dim: c.embeddingDim, maxRows: c.sequenceLength)
        let latent = continuous.latent
        figures.roundingMs = Self.median(repeats.step) {
            rounder.round(latent.pointer, rows: c.sequenceLength)
            for p in 0..<c.sequenceLength { _ = rounder.topK(row: p, k: 5) }
        }
        return figures
    }

    /// A guided step towards the first value of `controls` fields (food first, then the
    /// classifier's order), nil without a classifier or with fewer fields than that.
    func measureGuidedStep(controls count: Int) throws -> Double? {
        let m = settings.model
        guard let classifier = m.classifier else { return nil }
        let fields = classifier.fields.filter { $0.name == "food" } + classifier.fields.filter { $0.name != "food" }
        guard fields.count >= count else { return nil }
        var s = ChainSettings(seed: 1, steps: 200, guidance: GuidanceSettings.defaults(for: m.config.modelKind))
        s.controls = fields.prefix(count).map { ControlTarget(field: $0.name, value: $0.values[0]) }
        if m.config.modelKind.isDiscrete {
            // Discrete guidance runs where a position commits or changes, unevenly over the
            // 200 steps, so a median step would miss it: the mean over whole chains.
            var failure: Error?
            let ms = Self.median(settings.repeats.chain, warmup: 1) {
                do { try m.makeChain(settings: s).runToEnd() } catch { failure = error }
            }
            if let failure { throw failure }
            return ms / Double(s.steps)
        }
        let g = try m.makeChain(settings: s)
        let gStart = g.saveState()
        return Self.median(settings.repeats.step) {
            if g.stepsTaken > 150 { g.restore(gStart) }
            g.silentStep()
        }
    }

    /// A whole 200-step chain, set up and run to the end.
    func measureChain() throws -> Double {
        let m = settings.model
        var failure: Error?
        let ms = Self.median(settings.repeats.chain, warmup: 1) {
            do { try m.makeChain(settings: ChainSettings(seed: 3, steps: 200)).runToEnd() } catch { failure = error }
        }
        if let failure { throw failure }
        return ms
    }

    /// Frames: a real engine state (60 steps in), each main view built into the off-screen
    /// buffer at 120x40.
    func measureFrames() throws -> [BenchmarkView: Double] {
        guard let render = settings.renderFrame else { return [:] }
        let m = settings.model
        let engine = try PlaygroundEngine(model: m, settings: ChainSettings(seed: 1, steps: 200))
        engine.send(.jump(to: 60))
        engine.waitUntilIdle()
        guard let state = engine.poll() else { throw DenoiseError.invalid("bench: the engine published no state") }
        let summary = m.summary
        var times = [BenchmarkView: Double]()
        for view in BenchmarkView.allCases {
            times[view] = Self.median(settings.repeats.step) { render(state, summary, view) }
        }
        return times
    }

    /// Memory of the playground: a T-step chain played to the end, its whole history kept
    /// (measured before the training buffers exist, so it is what `denoise play` needs).
    func measurePlayMemory() throws -> (rssMB: Double, engine: PlaygroundEngine) {
        let m = settings.model
        let longEngine = try PlaygroundEngine(model: m, settings: ChainSettings(seed: 1, steps: m.config.diffusionSteps))
        longEngine.send(.toEnd)
        longEngine.waitUntilIdle()
        return (Self.peakRSSMB(), longEngine)
    }
}
