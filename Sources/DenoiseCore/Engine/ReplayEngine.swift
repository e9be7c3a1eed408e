import Foundation

/// Plays back an exported trace with no model: stepping, jumping and playing move through the
/// recorded snapshots; branching, reseeding and controls are refused with a note.
/// Same threading contract as `PlaygroundEngine`: requests are handled on a private serial
/// queue, the newest state waits in a lock-protected mailbox.
public final class ReplayEngine: EngineHandle, @unchecked Sendable {
    public let summary: ModelSummary
    let queue = DispatchQueue(label: "denoise.replay")
    private let lock = NSLock()
    private var mailbox: EngineState?      // guarded by lock
    // Replay-queue state.
    private let history: [StepSnapshot]
    private let settings: ChainSettings
    private var current = 0
    private lazy var clock = PlayClock(queue: queue)
    private var note: String?

    public init(tracePath: String) throws {
        var (snapshots, _) = try Trace.read(path: tracePath)
        snapshots.sort { $0.step < $1.step }
        // A trace starts at step 1; the replay shows the first step's latent as its start.
        history = snapshots
        let first = snapshots[0]
        let length = max(first.xt.count, first.x0.count)
        let name = "replay · " + (URL(fileURLWithPath: tracePath).lastPathComponent)
        summary = ModelSummary(name: name, parameterCount: 0, vocabularySize: 0, sequenceLength: length,
                               diffusionSteps: max(first.totalSteps, snapshots.count), fields: [])
        settings = ChainSettings(seed: 0, steps: snapshots.count, clamp: first.clamped)
        note = "replaying \(snapshots.count) steps from \(tracePath)"
        publishLocked()
    }

    public func send(_ request: EngineRequest) { queue.async { [self] in handle(request) } }

    public func poll() -> EngineState? {
        lock.lock(); defer { lock.unlock() }
        let s = mailbox
        mailbox = nil
        return s
    }

    private func handle(_ request: EngineRequest) {
        note = nil
        let last = history.count - 1
        switch request {
        case .stepForward: current = min(current + 1, last)
        case .stepBack: stop(); current = max(current - 1, 0)
        case .jump(let k): current = history.firstIndex { $0.step >= k } ?? last
        case .toStart: stop(); current = 0
        case .toEnd: current = last
        case .play(let s): start(s)
        case .pause: stop()
        case .branch, .reseed, .selectBranch: note = "replay: branching, seeds and controls need a model (denoise play --model DIR)"
        }
        publishLocked()
    }

    private func start(_ stepsPerSecond: Double) {
        clock.start(rate: stepsPerSecond) { [weak self] in
            guard let self else { return }
            if self.current < self.history.count - 1 { self.current += 1 } else { self.stop() }
            self.publishLocked()
        }
    }

    private func stop() { clock.stop() }

    private func publishLocked() {
        let text = Tokenizer.join(history[current].sentenceTokens.map(\.text).filter { !["START", "END", "PAD"].contains($0) })
        let state = EngineState(history: history, current: current, branchIndex: 0,
                                branches: [BranchSummary(index: 0, parentStep: 0, settings: settings, text: text)],
                                settings: settings, playing: clock.isRunning, stepsPerSecond: clock.stepsPerSecond, note: note)
        lock.lock(); mailbox = state; lock.unlock()
    }
}
