import Foundation

/// The playground's engine: owns the model, the reverse chains of every branch and their
/// history, on one serial DispatchQueue.
///
/// Threading contract:
/// - Everything below "engine-queue state" is touched only on `queue`.
/// - `send` may be called from any thread; it only enqueues and returns at once.
/// - The newest `EngineState` is published into `loop`'s lock-protected mailbox; `poll` (the
///   UI thread, once per input timeout) takes it without waiting for the engine. Only immutable
///   `Sendable` values cross: requests one way, states the other.
/// - Long work (running to the end, jumping far) is done one step per queue turn, so requests
///   such as pause or step back are served in between.
///
/// Memory: each branch keeps its snapshots and per-step chain states; when the stored steps of
/// all branches pass `historyCap`, the oldest other branches are dropped and a note says so.
public final class PlaygroundEngine: EngineHandle, @unchecked Sendable {
    public let summary: ModelSummary
    let loop = EngineLoop(label: "denoise.engine", qos: .userInitiated)
    var queue: DispatchQueue { loop.queue }
    public let historyCap: Int

    // Engine-queue state.
    private let model: DiffusionModel
    private var branches: [Branch] = []
    private var shown = 0
    private var target: Int? = nil
    private var pumping = false
    private var clock: PlayClock { loop.clock }
    private var note: String?
    private var lastPublish: UInt64 = 0
    /// Steps take long enough (a large model, or the last step was slow) that the next one is
    /// announced with a `computing` state first.
    private var slowSteps: Bool

    final class Branch {
        let settings: ChainSettings
        let parentStep: Int
        let chain: ReverseChain
        var history: [StepSnapshot]
        var states: [ReverseChain.State]
        var current: Int

        init(settings: ChainSettings, parentStep: Int, chain: ReverseChain, history: [StepSnapshot], states: [ReverseChain.State]) {
            self.settings = settings; self.parentStep = parentStep; self.chain = chain
            self.history = history; self.states = states; current = history.count - 1
        }

        var lastStep: Int { chain.totalSteps }
    }

    /// Builds the first chain synchronously (so bad settings fail before the UI starts).
    public init(model: DiffusionModel, settings: ChainSettings, historyCap: Int = 12_000) throws {
        self.model = model
        self.summary = model.summary
        slowSteps = model.denoiser.isLarge
        self.historyCap = historyCap
        let chain = try ReverseChain(model: model, settings: settings)
        let first = chain.initialSnapshot()
        branches = [Branch(settings: settings, parentStep: 0, chain: chain, history: [first], states: [chain.saveState()])]
        loop.post(currentState())
    }

    public func send(_ request: EngineRequest) {
        queue.async { [self] in handle(request) }
    }

    public func poll() -> EngineState? { loop.take() }

    /// Blocks until every request sent so far has been handled (tests and benchmarks only;
    /// the UI never calls it).
    public func waitUntilIdle() {
        while true {
            let busy: Bool = queue.sync { pumping || target != nil }
            if !busy { return }
            usleep(1000)
        }
    }

    // MARK: engine queue

    private var branch: Branch { branches[shown] }

    private func handle(_ request: EngineRequest) {
        dispatchPrecondition(condition: .onQueue(queue))
        note = nil
        switch request {
        case .stepForward: target = nil; advance()
        case .stepBack:
            target = nil
            pause()
            if branch.current > 0 { branch.current -= 1 }
        case .jump(let k): moveTo(max(0, min(k, branch.lastStep)))
        case .toStart: target = nil; pause(); branch.current = 0
        case .toEnd: moveTo(branch.lastStep)
        case .play(let s): play(stepsPerSecond: s)
        case .pause: pause()
        case .branch(let settings): makeBranch(settings: settings, from: branch.current)
        case .selectBranch(let i):
            if branches.indices.contains(i) { shown = i; target = nil } else { note = "no branch \(i)" }
        case .reseed(let seed):
            var s = branch.settings
            s.seed = seed
            makeBranch(settings: s, from: 0)
        }
        publish()
    }

    /// One step forward: replay from history when we have been here, else compute.
    @discardableResult
    private func advance() -> Bool {
        let b = branch
        if b.current < b.history.count - 1 { b.current += 1; return true }
        if slowSteps && !b.chain.isFinished { loop.post(currentState(computing: true)) }
        let begin = DispatchTime.now().uptimeNanoseconds
        defer { slowSteps = model.denoiser.isLarge || DispatchTime.now().uptimeNanoseconds - begin > 50_000_000 }
        guard let snapshot = b.chain.next() else { return false }
        b.history.append(snapshot)
        b.states.append(b.chain.saveState())
        b.current += 1
        enforceCap()
        return true
    }

    private func moveTo(_ k: Int) {
        if k <= branch.history.count - 1 {
            branch.current = k
            target = nil
        } else {
            target = k
            pump()
        }
    }

    /// Computes towards `target` one step per queue turn, publishing about 30 times a second.
    private func pump() {
        guard !pumping else { return }
        pumping = true
        queue.async { [self] in pumpTurn() }
    }

    private func pumpTurn() {
        guard let t = target, branch.current < t, advance() else {
            target = nil; pumping = false; publish(); return
        }
        let now = DispatchTime.now().uptimeNanoseconds
        if now - lastPublish > 33_000_000 { publish(); lastPublish = now }
        queue.async { [self] in pumpTurn() }
    }

    private func play(stepsPerSecond: Double) {
        target = nil
        clock.start(rate: stepsPerSecond) { [weak self] in
            guard let self else { return }
            if !self.advance() { self.pause() }
            self.publish()
        }
    }

    private func pause() { clock.stop() }

    private func makeBranch(settings: ChainSettings, from requested: Int) {
        let parent = branch
        do {
            let chain = try ReverseChain(model: model, settings: settings)
            var k = requested
            if settings.steps != parent.settings.steps {
                k = 0
                note = "steps changed: the new branch starts from step 0"
            }
            var history = [StepSnapshot](), states = [ReverseChain.State]()
            if k == 0 && (settings.seed != parent.settings.seed || settings.steps != parent.settings.steps) {
                history = [chain.initialSnapshot()]
                states = [chain.saveState()]
            } else {
                var state = parent.states[k]
                if settings.seed != parent.settings.seed {
                    // A new seed changes the noise from here on: a stream of its own per step.
                    state.rngs = [ReverseChain.randomSource(seed: settings.seed &+ UInt64(k) &* 0x9E37_79B9)]
                }
                chain.restore(state)
                history = Array(parent.history[0...k])
                states = Array(parent.states[0...k])
                states[k] = chain.saveState()
            }
            pause()
            target = nil
            branches.append(Branch(settings: settings, parentStep: k, chain: chain, history: history, states: states))
            shown = branches.count - 1
            enforceCap()
        } catch let e as DenoiseError {
            note = e.description
        } catch {
            note = "\(error)"
        }
    }

    private func enforceCap() {
        var total = branches.reduce(0) { $0 + $1.history.count }
        var dropped = 0
        while total > historyCap, branches.count > 1 {
            let victim = shown == 0 ? 1 : 0
            total -= branches[victim].history.count
            branches.remove(at: victim)
            if shown > victim { shown -= 1 }
            dropped += 1
        }
        if dropped > 0 { note = "history cap (\(historyCap) steps) reached: dropped \(dropped) old branch\(dropped == 1 ? "" : "es")" }
    }

    private func publish() {
        dispatchPrecondition(condition: .onQueue(queue))
        loop.post(currentState())
    }

    /// The state to publish, from the engine-queue state (or the initialiser's, before the
    /// queue runs anything); `computing` announces a step that has started.
    private func currentState(computing: Bool = false) -> EngineState {
        let b = branch
        let summaries = branches.enumerated().map { i, br in
            BranchSummary(index: i, parentStep: br.parentStep, settings: br.settings,
                          text: br.history[br.current].sentenceText)
        }
        return EngineState(history: b.history, current: b.current, branchIndex: shown, branches: summaries,
                           settings: b.settings, playing: clock.isRunning, stepsPerSecond: clock.stepsPerSecond, note: note,
                           computing: computing)
    }
}
