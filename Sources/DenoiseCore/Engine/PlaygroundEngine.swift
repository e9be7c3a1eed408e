import Foundation

/// The playground's engine: owns the model, the walks of every branch (reverse chains, and
/// forward walks that noise a sentence) and their history, on one serial DispatchQueue.
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

    /// What a branch computes its steps with.
    enum Walk {
        case reverse(any DiffusionChain)
        case forward(ForwardProcess)
    }

    final class Branch {
        let settings: ChainSettings
        let parentStep: Int
        let walk: Walk
        /// The forward walk's sentence, or the sentence an edit started from.
        let source: SourceSentence?
        var history: [StepSnapshot]
        /// The reverse chain's state after each history entry (empty for a forward walk, whose
        /// x_t at any step is recomputed from its one noise draw).
        var states: [ChainState]
        /// Index into `history`.
        var current: Int

        init(settings: ChainSettings, parentStep: Int, walk: Walk, source: SourceSentence? = nil,
             history: [StepSnapshot], states: [ChainState]) {
            self.settings = settings; self.parentStep = parentStep; self.walk = walk; self.source = source
            self.history = history; self.states = states; current = history.count - 1
        }

        /// The step of `history[0]`: 0, or the step an edit's chain starts at.
        var firstStep: Int { history[0].step }

        /// The history index of the walk's last step.
        var lastIndex: Int {
            switch walk {
            case .reverse(let chain): return chain.totalSteps - firstStep
            case .forward(let process): return process.totalSteps
            }
        }

        var direction: WalkDirection {
            if case .forward = walk { return .forward }
            return .reverse
        }

        var isFinished: Bool {
            switch walk {
            case .reverse(let chain): return chain.isFinished
            case .forward(let process): return process.isFinished
            }
        }
    }

    /// Builds the first branch synchronously (so bad settings or a bad sentence fail before the
    /// UI starts): a reverse chain, or with `forward` a forward walk of that sentence.
    public init(model: DiffusionModel, settings: ChainSettings, forward: String? = nil, historyCap: Int = 12_000) throws {
        self.model = model
        self.summary = model.summary
        slowSteps = model.denoiser.isLarge
        self.historyCap = historyCap
        if let forward {
            branches = [try Self.forwardBranch(model: model, text: forward, settings: settings, parentStep: 0)]
        } else {
            let chain = try model.makeChain(settings: settings)
            let first = chain.initialSnapshot()
            branches = [Branch(settings: settings, parentStep: 0, walk: .reverse(chain), history: [first], states: [chain.saveState()])]
        }
        loop.post(currentState())
    }

    /// A forward walk of `text` with the seed and steps of `settings`, at its step 0 (the clean sentence).
    static func forwardBranch(model: DiffusionModel, text: String, settings: ChainSettings, parentStep: Int) throws -> Branch {
        let source = try SourceSentence(text: text, vocabulary: model.vocabulary, sequenceLength: model.config.sequenceLength)
        let process = try ForwardProcess(model: model, source: source, seed: settings.seed, steps: settings.steps)
        return Branch(settings: settings, parentStep: parentStep, walk: .forward(process), source: source,
                      history: [process.initialSnapshot()], states: [])
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
        case .jump(let k): moveTo(max(0, min(k - branch.firstStep, branch.lastIndex)))
        case .toStart: target = nil; pause(); branch.current = 0
        case .toEnd: moveTo(branch.lastIndex)
        case .play(let s): play(stepsPerSecond: s)
        case .pause: pause()
        case .branch(let settings): makeBranch(settings: settings, from: branch.current)
        case .selectBranch(let i):
            if branches.indices.contains(i) { shown = i; target = nil } else { note = "no branch \(i)" }
        case .reseed(let seed):
            var s = branch.settings
            s.seed = seed
            if branch.direction == .forward, let source = branch.source {
                startForward(Tokenizer.join(source.tokens), settings: s)
            } else {
                makeBranch(settings: s, from: 0)
            }
        case .forward(let text):
            startForward(text, settings: branch.settings)
        }
        publish()
    }

    /// One step forward: replay from history when we have been here, else compute.
    @discardableResult
    private func advance() -> Bool {
        let b = branch
        if b.current < b.history.count - 1 { b.current += 1; return true }
        if slowSteps && !b.isFinished { loop.post(currentState(computing: true)) }
        let begin = DispatchTime.now().uptimeNanoseconds
        defer { slowSteps = model.denoiser.isLarge || DispatchTime.now().uptimeNanoseconds - begin > 50_000_000 }
        switch b.walk {
        case .reverse(let chain):
            guard let snapshot = chain.next() else { return false }
            b.history.append(snapshot)
            b.states.append(chain.saveState())
        case .forward(let process):
            guard let step = process.step() else { return false }
            b.history.append(step.snapshot)
        }
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

    private func startForward(_ text: String, settings: ChainSettings) {
        do {
            let walk = try Self.forwardBranch(model: model, text: text, settings: settings, parentStep: branch.current)
            pause()
            target = nil
            branches.append(walk)
            shown = branches.count - 1
            enforceCap()
        } catch {
            note = Self.describe(error)
        }
    }

    private func makeBranch(settings: ChainSettings, from requested: Int) {
        let parent = branch
        if case .forward(let process) = parent.walk { return makeEdit(settings: settings, from: process, at: requested) }
        do {
            let chain = try model.makeChain(settings: settings)
            var k = requested
            if settings.steps != parent.settings.steps {
                k = 0
                note = "steps changed: the new branch starts from step 0"
            } else if settings.samplerDescription != parent.settings.samplerDescription {
                // A sampler is compared from the same x_T, not grafted onto another's x_t.
                k = 0
                note = "sampler changed: the new branch starts from step 0 (the same x_T)"
            } else if let pinned = settings.pins.filter({ !parent.settings.pins.contains($0) }).map(\.step).min(),
                      pinned - parent.firstStep >= 0, pinned - parent.firstStep < k {
                // A new pin branches at its own step (the chain may have moved on while it was
                // typed), so the steps before it are the parent's and every step after holds it.
                k = pinned - parent.firstStep
            }
            var history = [StepSnapshot](), states = [ChainState]()
            let fresh = k == 0 && parent.firstStep == 0
                && (settings.seed != parent.settings.seed || settings.steps != parent.settings.steps)
            if fresh {
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
            branches.append(Branch(settings: settings, parentStep: k, walk: .reverse(chain), source: fresh ? nil : parent.source,
                                   history: history, states: states))
            shown = branches.count - 1
            enforceCap()
        } catch {
            note = Self.describe(error)
        }
    }

    /// Edit by noising: a reverse chain that starts from the forward walk's x_t at step `k`, at
    /// the schedule index whose time matches that step's t (the rule of `sample --from-text`,
    /// strength S = (t + 1) / T), with the source's length fixed unless `settings` say otherwise.
    private func makeEdit(settings draft: ChainSettings, from process: ForwardProcess, at k: Int) {
        guard k > 0 else {
            note = "step 0 is the clean sentence: step forward to noise it, then b edits from there"
            return
        }
        guard !model.config.modelKind.isDiscrete else {
            note = "editing from a forward walk is for continuous models: on a \(model.config.modelKind.rawValue) model, b at step 0 starts a new chain"
            return
        }
        do {
            let t = branch.history[k].t
            let edit = try SentenceEdit(source: process.source, strength: Double(t + 1) / Double(model.config.diffusionSteps))
            let settings = edit.settings(draft)
            let chain = try ReverseChain(model: model, settings: settings)
            let index = try SentenceEdit.scheduleIndex(strength: edit.strength, schedule: chain.schedule,
                                                       diffusionSteps: model.config.diffusionSteps)
            chain.start(atScheduleIndex: index, latent: process.latent(atStep: k))
            let first = chain.initialSnapshot()
            pause()
            target = nil
            branches.append(Branch(settings: settings, parentStep: k, walk: .reverse(chain), source: process.source,
                                   history: [first], states: [chain.saveState()]))
            shown = branches.count - 1
            enforceCap()
            if first.t != t { note = "the edit starts at t=\(first.t), the nearest time of its \(settings.steps)-step schedule to t=\(t)" }
        } catch {
            note = Self.describe(error)
        }
    }

    private static func describe(_ error: Error) -> String {
        (error as? DenoiseError)?.description ?? "\(error)"
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
                          text: br.history[br.current].sentenceText, direction: br.direction,
                          source: br.source.map { Tokenizer.join($0.tokens) })
        }
        return EngineState(history: b.history, current: b.current, branchIndex: shown, branches: summaries,
                           settings: b.settings, playing: clock.isRunning, stepsPerSecond: clock.stepsPerSecond, note: note,
                           computing: computing, direction: b.direction, source: b.source.map { Tokenizer.join($0.tokens) })
    }
}
