import Foundation

/// Plays back an exported trace with no model: stepping, jumping and playing move through the
/// recorded snapshots; branching, reseeding and controls are refused with a note.
/// Same threading contract as `PlaygroundEngine`: requests are handled on `loop`'s serial
/// queue, the newest state waits in its mailbox.
///
/// The settings and model shown are the trace header's. A trace without a header (written
/// before headers existed) shows what its steps tell: the controls (the keys of its scores),
/// clamping and the number of steps; its summary's `replay.settingsRecorded` is false (the
/// seed, length, infill and guidance in `settings` are defaults, not facts, and a viewer
/// should not show them as the trace's), and the opening note says so.
public final class ReplayEngine: EngineHandle, @unchecked Sendable {
    public let summary: ModelSummary
    let loop = EngineLoop(label: "denoise.replay")
    var queue: DispatchQueue { loop.queue }
    /// The trace's header, nil for a trace without one.
    public let header: TraceHeader?
    // Replay-queue state.
    private let history: [StepSnapshot]
    private let settings: ChainSettings
    private var current = 0
    private var clock: PlayClock { loop.clock }
    private var note: String?

    public init(tracePath: String) throws {
        let contents = try Trace.read(path: tracePath)
        let snapshots = contents.snapshots.sorted { $0.step < $1.step }
        history = snapshots
        header = contents.header
        let first = snapshots[0]
        let file = URL(fileURLWithPath: tracePath).lastPathComponent
        let source = ReplaySource(file: file, settingsRecorded: contents.header != nil)
        if let header = contents.header {
            let m = header.model
            var recorded = ModelSummary(name: m.name, parameterCount: m.parameters, vocabularySize: m.vocabularySize,
                                        sequenceLength: m.sequenceLength, diffusionSteps: m.diffusionSteps, fields: [],
                                        weightsFingerprint: m.weights, classifierFingerprint: m.classifier, replay: source)
            // The playground's panels for masked and uniform chains key on the model's kind.
            recorded.kind = m.kind ?? .continuous
            summary = recorded
            settings = header.settings
        } else {
            let length = max(first.xt.count, first.x0.count)
            summary = ModelSummary(name: "replay", parameterCount: 0, vocabularySize: 0, sequenceLength: length,
                                   diffusionSteps: max(first.totalSteps, snapshots.count), fields: [], replay: source)
            settings = ChainSettings(seed: 0, steps: max(first.totalSteps, snapshots.count), clamp: first.clamped,
                                     controls: Self.controls(scored: snapshots))
        }
        note = contents.header == nil
            ? "replaying \(snapshots.count) steps of \(file): a trace without a header (seed, length, infill and guidance not recorded)"
            : "replaying \(snapshots.count) steps of \(file)"
        loop.post(currentState())
    }

    /// The controls a trace's scores are keyed by ("field=value").
    static func controls(scored snapshots: [StepSnapshot]) -> [ControlTarget] {
        Set(snapshots.flatMap { $0.scores.keys }).sorted().compactMap { key in
            guard let equals = key.firstIndex(of: "=") else { return nil }
            return ControlTarget(field: String(key[..<equals]), value: String(key[key.index(after: equals)...]))
        }
    }

    public func send(_ request: EngineRequest) { queue.async { [self] in handle(request) } }

    public func poll() -> EngineState? { loop.take() }

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
        case .branch, .reseed, .selectBranch, .forward:
            note = "replay: branching, seeds, controls and the forward walk need a model (denoise play --model DIR)"
        }
        publish()
    }

    private func start(_ stepsPerSecond: Double) {
        clock.start(rate: stepsPerSecond) { [weak self] in
            guard let self else { return }
            if self.current < self.history.count - 1 { self.current += 1 } else { self.stop() }
            self.publish()
        }
    }

    private func stop() { clock.stop() }

    private func publish() {
        dispatchPrecondition(condition: .onQueue(queue))
        loop.post(currentState())
    }

    private func currentState() -> EngineState {
        EngineState(history: history, current: current, branchIndex: 0,
                    branches: [BranchSummary(index: 0, parentStep: 0, settings: settings, text: history[current].sentenceText)],
                    settings: settings, playing: clock.isRunning, stepsPerSecond: clock.stepsPerSecond, note: note)
    }
}
