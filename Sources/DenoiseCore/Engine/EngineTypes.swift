/// What the UI can ask the engine to do. Sent from any thread, handled in order on the
/// engine's queue.
public enum EngineRequest: Sendable, Equatable {
    case stepForward
    case stepBack
    case jump(to: Int)
    case toStart
    case toEnd
    case play(stepsPerSecond: Double)
    case pause
    /// Start a new branch from the current step with new settings; the old branch is kept.
    case branch(ChainSettings)
    case selectBranch(Int)
    /// A fresh chain (new branch) from step 0 with this seed.
    case reseed(UInt64)
    /// A forward walk (new branch) of this sentence, clean to noise, with the shown branch's
    /// seed and steps. A sentence the model cannot read leaves a note and no branch.
    case forward(String)
}

/// What a branch walks: the reverse chain (noise to text) or the forward process (text to noise).
public enum WalkDirection: Sendable, Equatable {
    case reverse, forward
}

/// A branch as the UI lists it.
public struct BranchSummary: Sendable, Equatable {
    public var index: Int
    /// The step of the parent branch it was taken from (0 for the root).
    public var parentStep: Int
    public var settings: ChainSettings
    /// The final or current sentence of this branch.
    public var text: String
    public var direction: WalkDirection
    /// The sentence a forward walk noises, or that an edit (a chain branched from a forward walk) started from.
    public var source: String?
    public init(index: Int, parentStep: Int, settings: ChainSettings, text: String,
                direction: WalkDirection = .reverse, source: String? = nil) {
        self.index = index; self.parentStep = parentStep; self.settings = settings; self.text = text
        self.direction = direction; self.source = source
    }
}

/// The engine's published state: immutable, replaced as a whole on every change.
public struct EngineState: Sendable {
    /// Snapshots 0...current of the shown branch (shared storage; copying is O(1)).
    public var history: [StepSnapshot]
    public var current: Int
    public var branchIndex: Int
    public var branches: [BranchSummary]
    public var settings: ChainSettings
    public var playing: Bool
    public var stepsPerSecond: Double
    /// A one-line note about the last request (an error, "history cap reached", ...).
    public var note: String?
    /// The engine is computing a new step (published before steps of a slow model, so the
    /// playground can say so while its keys keep working).
    public var computing: Bool
    /// The shown branch's walk: forward steps run up in t, clean to noise.
    public var direction: WalkDirection
    /// The shown branch's source sentence (a forward walk's, or an edit's); nil for a chain from noise.
    public var source: String?

    public init(history: [StepSnapshot], current: Int, branchIndex: Int, branches: [BranchSummary],
                settings: ChainSettings, playing: Bool, stepsPerSecond: Double, note: String?, computing: Bool = false,
                direction: WalkDirection = .reverse, source: String? = nil) {
        self.history = history; self.current = current; self.branchIndex = branchIndex
        self.branches = branches; self.settings = settings; self.playing = playing
        self.stepsPerSecond = stepsPerSecond; self.note = note; self.computing = computing
        self.direction = direction; self.source = source
    }

    public var snapshot: StepSnapshot { history[current] }
}

/// The engine as the UI sees it: requests in, newest state out, neither call ever blocks for
/// long. The playground engine and the trace replayer both conform.
public protocol EngineHandle: AnyObject, Sendable {
    var summary: ModelSummary { get }
    /// Queue a request; returns at once.
    func send(_ request: EngineRequest)
    /// The newest published state if it changed since the last call, else nil. Lock-protected.
    func poll() -> EngineState?
}
