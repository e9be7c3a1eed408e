import Foundation

/// Time as a training run reads it, in seconds on a monotonic scale. A run takes one, so a test
/// can play a machine whose speed changes without waiting for it.
public protocol TrainingClock: Sendable {
    func seconds() -> Double
}

/// The machine's monotonic clock.
public struct SystemClock: TrainingClock {
    public init() {}
    public func seconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}

/// The running state of the iteration loop: smoothed losses, step times and the clock.
struct TrainingLoopState {
    let clock: any TrainingClock
    let start: Double
    var previousSeconds: Double
    var lastCheckpoint: Double
    var last: Double
    var average = LossParts()
    var window = [Double]()
    var stepsThisRun = 0

    init(previousSeconds: Double, clock: any TrainingClock) {
        self.clock = clock
        self.previousSeconds = previousSeconds
        start = clock.seconds()
        lastCheckpoint = start
        last = start
    }

    var now: Double { clock.seconds() }
    /// Seconds since this run started.
    var thisRun: Double { now - start }
    /// Seconds over every run of this model.
    var elapsed: Double { previousSeconds + thisRun }

    /// Folds one iteration's loss into the moving averages (fast at first, then over ~50).
    mutating func record(_ parts: LossParts) {
        stepsThisRun += 1
        let k: Float = stepsThisRun == 1 ? 0 : (stepsThisRun < 50 ? 0.8 : 0.98)
        average.mse = k * average.mse + (1 - k) * parts.mse
        average.roundingCE = k * average.roundingCE + (1 - k) * parts.roundingCE
        average.outputCE = k * average.outputCE + (1 - k) * parts.outputCE
        average.prior = k * average.prior + (1 - k) * parts.prior
        average.diffusion = k * average.diffusion + (1 - k) * parts.diffusion
        let now = self.now
        window.append(now - last)
        last = now
        if window.count > 50 { window.removeFirst() }
    }

    /// The median of the last 50 iteration times.
    var secondsPerIteration: Double { window.sorted()[window.count / 2] }

    /// The smoothed loss terms at the end: a discrete model's ELBO ("diffusion"), or the
    /// continuous recipe's four terms.
    var finalLosses: [String: Double] {
        if average.diffusion != 0 { return ["diffusion": Double(average.diffusion)] }
        return ["mse": Double(average.mse), "roundingCE": Double(average.roundingCE),
                "outputCE": Double(average.outputCE), "prior": Double(average.prior)]
    }
}

extension TrainingRun {
    /// Runs the whole training: prepares, iterates to the budget or a stop request, checkpoints
    /// every `checkpointMinutes`, and saves at the end. `events` receives the log lines,
    /// every iteration's progress and the samples, on the calling thread.
    public func run(events: (TrainingEvent) -> Void = { _ in }) throws -> TrainingRunResult {
        // Data-parallel workers, each running single-threaded BLAS: no oversubscription, and the
        // elementwise kernels run on every core too.
        try BLAS.withThreads(1) { try train(events: events) }
    }

    func train(events: (TrainingEvent) -> Void) throws -> TrainingRunResult {
        var plan = try prepare()
        let model = try plan.makeModel()
        var trainer = Trainer(model: model, data: plan.data, options: plan.options, workers: settings.threads)
        var previousSeconds = 0.0
        if settings.resume {
            try trainer.loadState(from: plan.statePath)
            previousSeconds = plan.config.training?.wallSeconds ?? 0
            if trainer.iteration >= plan.options.totalIterations {
                throw DenoiseError.invalid("the saved run is at iteration \(trainer.iteration), already at or past --iterations \(plan.options.totalIterations)")
            }
        }
        events(.message("data: \(plan.data.trainCount) training sentences, \(plan.data.heldOutSentences.count) held out, "
                        + "\(plan.data.droppedTooLong) dropped (longer than \(plan.config.sequenceLength - 2) tokens); "
                        + "vocabulary \(plan.config.vocabSize); \(model.parameterCount) parameters"))
        if !settings.resume && settings.initFrom == nil {
            for advice in plan.data.corpusAdvice(minCount: settings.minCount) { events(.message("note: " + advice)) }
        }
        if let hint = BLAS.kernelHint { events(.message(hint)) }

        var state = TrainingLoopState(previousSeconds: previousSeconds, clock: clock)
        // Stopped while the data loaded: nothing trained, so nothing is written.
        if stop.isRequested { return result(trainer, plan: plan, state: state, model: model) }
        var budget: TimeBudget? = nil
        if let minutes = settings.minutes, !settings.resume {
            trainer = try fitTimeBudget(minutes: minutes, plan: &plan, trainer: trainer, state: &state, events: events)
            budget = TimeBudget(seconds: minutes * 60, planned: trainer.options.totalIterations, now: state.thisRun)
        }
        let sampler = settings.sampleCount > 0
            ? TrainingSampler(config: plan.config, data: plan.data, count: settings.sampleCount, steps: settings.sampleSteps,
                              workers: settings.threads)
            : nil
        if let sampler { events(.samples(try sampler.sample(trainer))) }
        state.last = state.now
        while trainer.iteration < trainer.options.totalIterations && !stop.isRequested {
            state.record(trainer.step())
            if budget != nil, let total = budget?.replan(iteration: trainer.iteration, now: state.thisRun,
                                                          secondsPerIteration: state.secondsPerIteration) {
                trainer.replan(totalIterations: total.iterations)
                plan.options = trainer.options
                if let message = total.message { events(.message(message)) }
            }
            events(.progress(TrainingProgress(iteration: trainer.iteration, total: trainer.options.totalIterations,
                                              loss: state.average, secondsPerIteration: state.secondsPerIteration,
                                              learningRate: trainer.options.learningRate(at: trainer.iteration))))
            if state.now - state.lastCheckpoint > settings.checkpointMinutes * 60 {
                try save(trainer, plan: &plan, state: state, final: false, events: events)
                if let sampler { events(.samples(try sampler.sample(trainer))) }
                state.lastCheckpoint = state.now
                // The sampling time is not an iteration's time.
                state.last = state.now
            }
        }
        try save(trainer, plan: &plan, state: state, final: true, events: events)
        return result(trainer, plan: plan, state: state, model: model)
    }

    func result(_ trainer: Trainer, plan: TrainingPlan, state: TrainingLoopState, model: Denoiser) -> TrainingRunResult {
        TrainingRunResult(
            out: settings.out, iterations: trainer.iteration, targetIterations: plan.options.totalIterations,
            iterationsThisRun: state.stepsThisRun, wallSeconds: plan.config.training?.wallSeconds ?? state.elapsed,
            interrupted: stop.isRequested, finalLosses: state.finalLosses, trainingSentences: plan.data.trainCount,
            heldOutSentences: plan.data.heldOutSentences.count, droppedTooLong: plan.data.droppedTooLong,
            vocabularySize: plan.config.vocabSize, parameters: model.parameterCount)
    }

    /// Time budget, first plan: times iterations, then sets the iteration count (and the end of
    /// the learning-rate schedule with it); `TimeBudget` re-plans it as the run goes.
    ///
    /// With a warm-up of at least `timedWarmup` iterations, the timed iterations are the
    /// warm-up's own (their learning rate does not depend on the run's length), so they are
    /// kept and count against the budget; iterations 10 to 200 (or as many as the budget
    /// allows) are timed, because the first
    /// few run faster than the rest and 10 alone set 31,897 iterations for 60 minutes where
    /// 28,800 fitted. A shorter warm-up falls back to timing 10 iterations of a throw-away
    /// trainer and starting afresh.
    func fitTimeBudget(minutes: Double, plan: inout TrainingPlan, trainer: Trainer, state: inout TrainingLoopState,
                       events: (TrainingEvent) -> Void) throws -> Trainer {
        let budget = minutes * 60
        let warmup = plan.options.warmupIterations
        if warmup < Self.timedWarmup {
            for _ in 0..<10 { state.average = trainer.step() }
            let perIteration = state.thisRun / 10
            plan.options.totalIterations = max(TimeBudget.floor, Int(budget / perIteration))
            let fresh = Trainer(model: try plan.makeModel(), data: plan.data, options: plan.options, workers: settings.threads)
            events(.message("about \(String(format: "%.0f", perIteration * 1000)) ms per iteration: \(plan.options.totalIterations) iterations in \(minutes) minutes"))
            return fresh
        }
        let skipped = 10, timed = min(warmup, 200)
        var timingStart = state.now
        // Timing ends early when the budget is spent (a slow machine or a short budget): the
        // run then goes to the floor of `TimeBudget.floor` iterations at least.
        while trainer.iteration < timed && !stop.isRequested && !(trainer.iteration > skipped && state.thisRun >= budget) {
            state.record(trainer.step())
            if trainer.iteration == skipped { timingStart = state.now }
            // Until the count is fixed, show the one the budget gives at the current pace.
            let provisional = trainer.iteration + Int(max(0, budget - state.elapsed + state.previousSeconds) / max(state.secondsPerIteration, 1e-6))
            events(.progress(TrainingProgress(iteration: trainer.iteration, total: provisional, loss: state.average,
                                              secondsPerIteration: state.secondsPerIteration,
                                              learningRate: plan.options.learningRate(at: trainer.iteration))))
        }
        let perIteration = (state.now - timingStart) / Double(max(1, trainer.iteration - skipped))
        let left = max(0, budget - state.thisRun)
        // The warm-up so far did not depend on the run's length; the decay from here on does.
        trainer.replan(totalIterations: max(TimeBudget.floor, trainer.iteration, trainer.iteration + Int(left / perIteration)))
        plan.options = trainer.options
        events(.message("about \(String(format: "%.0f", perIteration * 1000)) ms per iteration (iterations \(skipped + 1)-\(trainer.iteration)): "
                        + "\(plan.options.totalIterations) iterations in \(minutes) minutes"))
        return trainer
    }

    /// Warm-ups at least this long are timed in place by `fitTimeBudget`.
    static let timedWarmup = 30

    /// Writes the model (EMA weights), its config with the training record, and the optimizer
    /// state for `resume`.
    func save(_ trainer: Trainer, plan: inout TrainingPlan, state: TrainingLoopState, final: Bool,
              events: (TrainingEvent) -> Void) throws {
        let options = plan.options
        plan.config.training = TrainingRecord(
            data: settings.data.map { ($0 as NSString).lastPathComponent }, iterations: trainer.iteration,
            batchSize: options.batchSize, seed: options.seed, minCount: settings.minCount, heldOutPercent: settings.heldOutPercent,
            heldOutRule: TrainingData.heldOutRule, wallSeconds: state.elapsed, startedFrom: plan.startedFrom,
            fixedLengthShare: options.fixedLengthShare > 0 ? Double(options.fixedLengthShare) : nil, finalLosses: state.finalLosses)
        try trainer.saveState(to: plan.statePath)
        try plan.folder.save(model: trainer.model, weights: trainer.ema, vocabulary: plan.data.vocabulary, config: plan.config)
        events(.message("saved \(settings.out) at iteration \(trainer.iteration)\(final ? "" : " (checkpoint)")"))
        events(.saved(iteration: trainer.iteration, final: final))
    }
}


/// A time budget re-planned in both directions as the run goes: every `interval` seconds the
/// iteration count becomes the iterations done plus the seconds left at the current pace (the
/// median of the last 50 iteration times, so one slow iteration does not move it), and the
/// cosine decay is stretched or shortened from there without a jump (`TrainOptions.replan`).
/// A machine that is busy for a while lowers the plan, and raises it again when it is free.
struct TimeBudget {
    /// The fewest iterations a timed run plans.
    static let floor = 20
    let seconds: Double
    /// Seconds between re-plans: a hundredth of the budget, between 1 and 30 seconds.
    let interval: Double
    var nextReplan: Double
    var planned: Int
    /// The plan last reported in a message; a new message when the plan moves 5 % from it.
    var reported: Int

    init(seconds: Double, planned: Int, now: Double) {
        self.seconds = seconds
        interval = min(30, max(1, seconds / 100))
        nextReplan = now + interval
        self.planned = planned
        reported = planned
    }

    /// The new plan when one is due (nil otherwise), with a log line when it moved far.
    mutating func replan(iteration: Int, now: Double, secondsPerIteration: Double) -> (iterations: Int, message: String?)? {
        guard now >= nextReplan else { return nil }
        nextReplan = now + interval
        let left = max(0, seconds - now)
        let total = max(Self.floor, iteration, iteration + Int(left / max(secondsPerIteration, 1e-9)))
        guard total != planned else { return nil }
        planned = total
        var message: String? = nil
        if abs(Double(total - reported)) >= 0.05 * Double(reported) {
            message = "re-planned at iteration \(iteration): \(String(format: "%.0f", secondsPerIteration * 1000)) ms per iteration, "
                + "\(total) iterations in \(seconds / 60) minutes"
            reported = total
        }
        return (total, message)
    }
}
