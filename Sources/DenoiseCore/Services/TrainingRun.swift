import Foundation

/// What a training run is asked to do: the corpus, the output folder, the budget (iterations
/// or minutes), how it starts (fresh, `resume`, `initFrom`), and the recipe of a new run.
public struct TrainingRunSettings: Sendable {
    /// Corpus files (.csv with a ref column, or plain text, one sentence per line).
    public var data: [String]
    /// The model folder written at every checkpoint (and read back with `resume`).
    public var out: String
    /// A time budget: the iteration count is planned from the first iterations' speed and
    /// re-planned as the speed changes, so the run ends at the budget.
    public var minutes: Double?
    /// An iteration budget; with `resume`, the new end of the run (and of the cosine decay).
    public var iterations: Int?
    /// Continue the run saved in `out` (its optimizer state, options and vocabulary).
    public var resume = false
    /// Start a new run from this model folder's weights, architecture and vocabulary.
    public var initFrom: String?
    /// The optimizer recipe of a new run; a resumed run keeps its saved one.
    /// `totalIterations` comes from `iterations` (or the time budget).
    public var options = TrainOptions()
    /// The architecture of a run from random weights; `vocabSize` comes from the data.
    public var architecture = ModelConfig(vocabSize: 0)
    /// Words seen fewer times than this become UNK.
    public var minCount = 2
    /// Share of sentences (by a stable hash) never trained on, kept for evaluation.
    public var heldOutPercent = 5
    /// Minutes between checkpoints.
    public var checkpointMinutes: Double = 5
    /// Data-parallel workers, each with a shard of the batch.
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    /// Sentences sampled from the EMA weights at the start and at every checkpoint, reported as
    /// `TrainingEvent.samples` (0: none, and no sampling cost).
    public var sampleCount = 0
    /// Reverse-chain steps of those samples: short, because they run between iterations.
    public var sampleSteps = 50

    public init(data: [String], out: String) {
        self.data = data
        self.out = out
    }
}

/// A request to stop a run early, safe to set from any thread (signal handlers set it through a
/// dispatch source). The run checks it between iterations, saves, and returns.
public final class StopRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var requested = false

    public init() {}

    public func request() {
        lock.lock()
        requested = true
        lock.unlock()
    }

    public var isRequested: Bool {
        lock.lock()
        defer { lock.unlock() }
        return requested
    }
}

/// What a run reports while it works: human-readable log lines, after every iteration its
/// progress, and (with `sampleCount`) sentences from the current weights.
public enum TrainingEvent: Sendable {
    case message(String)
    case progress(TrainingProgress)
    case samples(TrainingSamples)
    /// A checkpoint or the final model was written, at this iteration.
    case saved(iteration: Int, final: Bool)
}

/// One iteration's standing: smoothed losses, speed and schedule.
public struct TrainingProgress: Sendable, Equatable {
    public var iteration: Int
    public var total: Int
    /// Exponential moving averages of the loss parts.
    public var loss: LossParts
    /// Median seconds per iteration over the last 50.
    public var secondsPerIteration: Double
    public var learningRate: Float

    public init(iteration: Int, total: Int, loss: LossParts, secondsPerIteration: Double, learningRate: Float) {
        self.iteration = iteration; self.total = total; self.loss = loss
        self.secondsPerIteration = secondsPerIteration; self.learningRate = learningRate
    }

    public var secondsLeft: Double { Double(total - iteration) * secondsPerIteration }

    /// The one-line summary, e.g. `it 120/4000  loss 0.5123 (mse …)  9.1 it/s  lr 1.00e-03  eta 7m06s`.
    public var summary: String {
        if loss.diffusion != 0 {
            // A discrete model's only term: its kind's ELBO.
            return String(format: "it %d/%d  loss %.4f (elbo)  %.1f it/s  lr %.2e  eta %@", iteration, total, loss.total,
                          1 / max(secondsPerIteration, 1e-9), learningRate, Self.duration(secondsLeft))
        }
        return String(format: "it %d/%d  loss %.4f (mse %.4f ce %.3f out-ce %.3f prior %.4f)  %.1f it/s  lr %.2e  eta %@",
               iteration, total, loss.total, loss.mse, loss.roundingCE, loss.outputCE, loss.prior,
               1 / max(secondsPerIteration, 1e-9), learningRate, Self.duration(secondsLeft))
    }

    /// `7m06s`, or `2h05m` from an hour up.
    public static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%dh%02dm", s / 3600, (s % 3600) / 60) : String(format: "%dm%02ds", s / 60, s % 60)
    }
}

/// How a run ended: where it stands, what it trained on, and whether it was stopped early.
public struct TrainingRunResult: Codable, Sendable, Equatable {
    public var out: String
    /// The iteration the saved model is at (counting earlier runs of a resumed one).
    public var iterations: Int
    /// The iteration the run was going to (fixed by `--iterations` or the time budget).
    public var targetIterations: Int
    public var iterationsThisRun: Int
    /// Wall time over every run of this model, as recorded in its config.
    public var wallSeconds: Double
    /// Stopped by a `StopRequest` before reaching `targetIterations` (the model is saved).
    public var interrupted: Bool
    /// The smoothed loss parts at the end: mse, roundingCE, outputCE, prior.
    public var finalLosses: [String: Double]
    public var trainingSentences: Int
    public var heldOutSentences: Int
    public var droppedTooLong: Int
    public var vocabularySize: Int
    public var parameters: Int
}

/// Trains a denoiser and its embedding into a model folder: a new run, a run started from
/// another model, or a saved run resumed exactly. Checkpoints every few minutes and at the end;
/// a `StopRequest` ends the run early with the model saved.
public final class TrainingRun {
    public let settings: TrainingRunSettings
    public let stop: StopRequest
    /// The time a `minutes` budget is measured in, and checkpoints are spaced by.
    public let clock: any TrainingClock

    public init(settings: TrainingRunSettings, stop: StopRequest = StopRequest(), clock: any TrainingClock = SystemClock()) {
        self.settings = settings
        self.stop = stop
        self.clock = clock
    }
}
