import Foundation

/// What `Benchmark` measures with: the model, how many training iterations to time, and the
/// BLAS thread count of the batch-1 inference timings.
public struct BenchmarkSettings: Sendable {
    public var model: DiffusionModel
    /// The path the model was loaded from, reported with the figures.
    public var modelPath: String
    /// Training iterations to time (after 2 untimed).
    public var trainIterations = 15
    /// BLAS threads for the batch-1 inference timings (the engine's setting is 1).
    public var inferenceThreads = 1
    /// Timed calls per inference figure; the defaults give stable medians, tests use fewer.
    public var repeats = BenchmarkRepeats()
    /// Builds one 120x40 frame of the playground's main view for an engine state (the UI layer
    /// provides it; the frame figures are nil without it).
    public var renderFrame: (@Sendable (EngineState, ModelSummary, BenchmarkView) -> Void)?

    public init(model: DiffusionModel, modelPath: String) {
        self.model = model
        self.modelPath = modelPath
    }
}

/// The playground's main views, each timed as a whole frame.
public enum BenchmarkView: Sendable, CaseIterable {
    case strip, geometry, timeline
    /// The compare screen (`play --compare`): the model's chain in both halves.
    case compare
}

/// How many timed calls each figure takes a median over.
public struct BenchmarkRepeats: Sendable {
    /// Chains (seeds 1...n) whose silent steps are timed, and timed steps per chain.
    public var stepChains = 8, stepsPerChain = 50
    /// The free-length step, the recorded step, the guided step, rounding and the frame.
    public var step = 201
    public var freeLengthStep = 301
    /// Whole 200-step chains.
    public var chain = 7
    /// Batch-64 and batch-1 matrix products.
    public var gemm = 21, stepGemm = 501
    public init() {}
}

/// Latency and throughput figures of one model on this machine, in milliseconds unless the
/// name says otherwise. `nil` where the model cannot be measured that way (no classifier).
public struct BenchmarkResult: Sendable, Equatable {
    public var model: String
    public var machine: String
    public var reverseStepMs: Double
    public var reverseStepFreeLengthMs: Double
    public var reverseStepWithSnapshotMs: Double
    public var guidedStepMs: Double?
    /// The same with three controls on three fields at once.
    public var guidedStepThreeControlsMs: Double?
    public var chainMs: Double
    public var roundingMs: Double
    public var frameMs: Double?
    public var frameGeometryMs: Double?
    public var frameTimelineMs: Double?
    /// One 120x40 frame of the compare screen.
    public var frameCompareMs: Double? = nil
    public var playFullHistoryRSSMB: Double
    public var trainStepMs: Double
    public var trainTokensPerSec: Double
    public var sgemmGflops: Double
    public var inferenceSgemmGflops: Double
    public var reverseStepFloorMs: Double
    public var trainGflops: Double
    public var inferenceGflops: Double
    public var peakRSSMB: Double
    /// The BLAS library, its version and the kernel set the figures were measured with
    /// (`blasLibrary`, `blasVersion`, `blasCoreType`, `blasCoreChosenBy`, `blasConfig`).
    public var blas: [String: String] = BLAS.summaryFields

    /// The figures in the order they are measured and printed.
    public var figures: [(name: String, value: Double?)] {
        [("reverseStepMs", reverseStepMs), ("reverseStepFreeLengthMs", reverseStepFreeLengthMs),
         ("reverseStepWithSnapshotMs", reverseStepWithSnapshotMs), ("guidedStepMs", guidedStepMs),
         ("guidedStepThreeControlsMs", guidedStepThreeControlsMs), ("chainMs", chainMs),
         ("roundingMs", roundingMs), ("frameMs", frameMs), ("frameGeometryMs", frameGeometryMs),
         ("frameTimelineMs", frameTimelineMs), ("frameCompareMs", frameCompareMs), ("playFullHistoryRSSMB", playFullHistoryRSSMB),
         ("trainStepMs", trainStepMs), ("trainTokensPerSec", trainTokensPerSec), ("sgemmGflops", sgemmGflops),
         ("inferenceSgemmGflops", inferenceSgemmGflops), ("reverseStepFloorMs", reverseStepFloorMs),
         ("trainGflops", trainGflops), ("inferenceGflops", inferenceGflops), ("peakRSSMB", peakRSSMB)]
    }
}

/// Measures a model's inference, rendering, memory and training speed: medians after warm-up.
public struct Benchmark {
    public let settings: BenchmarkSettings

    public init(settings: BenchmarkSettings) {
        self.settings = settings
    }

    /// Median of `repeats` timings of `body` in milliseconds, after `warmup` untimed calls.
    static func median(_ repeats: Int, warmup: Int = 3, _ body: () -> Void) -> Double {
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

    static func peakRSSMB() -> Double { CPUFacts.peakResidentMB() }

    /// `N cores, <CPU model name>`.
    public static func machineDescription() -> String {
        "\(ProcessInfo.processInfo.activeProcessorCount) cores, \(CPUFacts.modelName)"
    }
}
