/// One attribute control: an E2E field and the value to steer towards.
public struct ControlTarget: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    public var field: String
    public var value: String
    public init(field: String, value: String) { self.field = field; self.value = value }
    public var description: String { "\(field)=\(value)" }
}

/// Settings of one reverse chain. Changing them mid-chain makes a branch.
public struct ChainSettings: Sendable, Equatable, Codable {
    public var seed: UInt64
    public var steps: Int
    public var clamp: Bool
    public var controls: [ControlTarget]
    /// Exact number of tokens (START and END not counted), or nil for free length.
    public var length: Int?
    /// Infilling template: `_` marks a free token, other words are kept in place.
    public var infill: String?
    /// Without `length` or `infill`, each sample's length is drawn from the model's training
    /// length histogram (a length prior) unless this is set: then the model alone decides
    /// where END goes (pure pad mode).
    public var freeLength: Bool = false
    public var guidance: GuidanceSettings

    public init(seed: UInt64 = 1, steps: Int = 200, clamp: Bool = true,
                controls: [ControlTarget] = [], length: Int? = nil, infill: String? = nil,
                guidance: GuidanceSettings = GuidanceSettings()) {
        self.seed = seed; self.steps = steps; self.clamp = clamp; self.controls = controls
        self.length = length; self.infill = infill; self.guidance = guidance
    }
}

/// Plug-and-play guidance knobs (DESIGN section 4). The steps on x_{t-1} follow the reference
/// code; the steps on the prediction and saturation are this project's additions, chosen by
/// A/B on the bundled model (see Models/e2e/README.md): 0 prediction steps and saturation off
/// give the reference method alone.
public struct GuidanceSettings: Sendable, Equatable, Codable {
    /// Gradient steps on the latent after each reverse step.
    public var iterations: Int = 3
    /// Step size: per coordinate for `.sign`, per sequence RMS for `.normalized`.
    public var stepSize: Float = 0.1
    /// Weight of the fluency term lambda * |mu - x|^2 / sigma.
    public var lambda: Float = 0.01
    /// The last steps are left unguided (reference: 10 of 200), scaled to K steps.
    public var unguidedFinalSteps: Int = 10
    public var update: GuidanceUpdate = .sign
    /// Multiplies the classifier term (the CLI's --guidance-weight).
    public var weight: Float = 1
    /// Gradient steps on the denoiser's prediction x0-hat (scored as clean text) before it is
    /// rounded, on top of the steps on x_{t-1}. 0 turns this stage off. Five, not three: with
    /// the classifier trained on more broken names, 5 gave control success 0.850 against
    /// 0.834 (fluency 0.789 against 0.811) on the 68 targets; see Models/e2e/README.md.
    public var predictionIterations: Int = 5
    /// Step size of those steps (same update rule).
    public var predictionStepSize: Float = 0.2
    /// Scale each sequence's steps by 1 - p of its least satisfied control, scored on the words
    /// the prediction rounds to, so guidance fades once the words say it.
    public var saturating: Bool = true

    public init() {}
}

/// How a guidance step turns the gradient g of one sequence into a change of its latent.
public enum GuidanceUpdate: String, Sendable, Equatable, Codable, CaseIterable {
    /// step * sign(g) in every coordinate (the reference's Adagrad step, in effect).
    case sign
    /// step * g / rms(g): the same size of change as `.sign`, but spent where the gradient is
    /// large instead of spread evenly over every position.
    case normalized
}

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
}

/// A branch as the UI lists it.
public struct BranchSummary: Sendable, Equatable {
    public var index: Int
    /// The step of the parent branch it was taken from (0 for the root).
    public var parentStep: Int
    public var settings: ChainSettings
    /// The final or current sentence of this branch.
    public var text: String
    public init(index: Int, parentStep: Int, settings: ChainSettings, text: String) {
        self.index = index; self.parentStep = parentStep; self.settings = settings; self.text = text
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
    /// A one-line note for the status bar (an error, "history cap reached", ...).
    public var note: String?
    /// The engine is computing a new step (published before steps of a slow model, so the
    /// playground can say so while its keys keep working).
    public var computing: Bool

    public init(history: [StepSnapshot], current: Int, branchIndex: Int, branches: [BranchSummary],
                settings: ChainSettings, playing: Bool, stepsPerSecond: Double, note: String?, computing: Bool = false) {
        self.history = history; self.current = current; self.branchIndex = branchIndex
        self.branches = branches; self.settings = settings; self.playing = playing
        self.stepsPerSecond = stepsPerSecond; self.note = note; self.computing = computing
    }

    public var snapshot: StepSnapshot { history[current] }
}

/// What the playground needs to know about the model, for the header, the noise sparkline and
/// the control picker.
public struct ModelSummary: Sendable {
    public var name: String
    public var parameterCount: Int
    public var vocabularySize: Int
    public var sequenceLength: Int
    public var diffusionSteps: Int
    /// Field name -> accepted values, in display order (empty without a classifier).
    public var fields: [(name: String, values: [String])]

    public init(name: String, parameterCount: Int, vocabularySize: Int, sequenceLength: Int,
                diffusionSteps: Int, fields: [(name: String, values: [String])]) {
        self.name = name; self.parameterCount = parameterCount; self.vocabularySize = vocabularySize
        self.sequenceLength = sequenceLength; self.diffusionSteps = diffusionSteps; self.fields = fields
    }
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
