import DenoiseCore

/// A series of unbounded length kept in at most `capacity` points: when full, neighbouring
/// points are averaged in pairs and each point covers twice as many values, so a run of a
/// million iterations draws in the same memory as one of a hundred.
public struct DownsampledSeries: Sendable, Equatable {
    public private(set) var points: [Double] = []
    /// Values averaged into one point.
    public private(set) var stride = 1
    private var pendingSum = 0.0
    private var pendingCount = 0
    let capacity: Int

    public init(capacity: Int = 512) { self.capacity = max(2, capacity - capacity % 2) }

    public mutating func append(_ value: Double) {
        guard value.isFinite else { return }
        pendingSum += value
        pendingCount += 1
        guard pendingCount == stride else { return }
        points.append(pendingSum / Double(stride))
        pendingSum = 0
        pendingCount = 0
        if points.count == capacity {
            var halved = [Double]()
            halved.reserveCapacity(capacity)
            for i in Swift.stride(from: 0, to: capacity, by: 2) { halved.append((points[i] + points[i + 1]) / 2) }
            points = halved
            stride *= 2
        }
    }
}

/// The live view of `denoise train`: what the run has reported, and how to draw it. Pure state
/// fed by `TrainingEvent`s; the terminal driver only blits `render`'s frame.
public struct TrainingScreen: Sendable, Equatable {
    /// One plotted quantity: its label, its history and how to print its newest value.
    public struct Plot: Sendable, Equatable {
        public var label: String
        public var format: String
        public var series = DownsampledSeries()

        /// `value` in the plot's format, or in scientific notation when that format would print
        /// it as zero (the length prior's term sits near 1e-5 once the model has learned it).
        public func text(_ value: Double) -> String {
            let fixed = String(format: format, value)
            guard value != 0, fixed.allSatisfy({ "0.-".contains($0) }) else { return fixed }
            return String(format: "%.2e", value)
        }
    }

    public struct Checkpoint: Sendable, Equatable {
        public var iteration: Int
        /// Seconds since the screen started.
        public var elapsed: Double
        public var final: Bool
    }

    public var title: String
    public private(set) var progress: TrainingProgress?
    /// total, mse, roundingCE, outputCE, prior, it/s (in that order).
    public private(set) var plots: [Plot]
    public private(set) var samples: TrainingSamples?
    public private(set) var checkpoints: [Checkpoint] = []
    /// The run's log lines, newest last (the last few).
    public private(set) var messages: [String] = []
    /// Seconds since the screen started, as of the newest event.
    public private(set) var elapsed = 0.0

    public init(title: String) {
        self.title = title
        plots = [Plot(label: "loss", format: "%.4f"), Plot(label: "mse", format: "%.4f"),
                 Plot(label: "roundingCE", format: "%.3f"), Plot(label: "outputCE", format: "%.3f"),
                 Plot(label: "prior", format: "%.4f"), Plot(label: "it/s", format: "%.1f")]
    }

    /// Folds in one event reported `elapsed` seconds after the screen started.
    public mutating func apply(_ event: TrainingEvent, elapsed: Double) {
        self.elapsed = elapsed
        switch event {
        case let .progress(p):
            progress = p
            let losses: [Float] = [p.loss.total, p.loss.mse, p.loss.roundingCE, p.loss.outputCE, p.loss.prior]
            let values: [Double] = losses.map { Double($0) } + [1 / max(p.secondsPerIteration, 1e-9)]
            for (i, value) in values.enumerated() { plots[i].series.append(value) }
        case let .samples(s):
            samples = s
        case let .saved(iteration, final):
            checkpoints.append(Checkpoint(iteration: iteration, elapsed: elapsed, final: final))
        case let .message(text):
            messages.append(text)
            if messages.count > 4 { messages.removeFirst() }
        }
    }
}
