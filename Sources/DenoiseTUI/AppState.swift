import DenoiseCore

/// Everything the playground remembers that is not the engine's: which overlay is open, which
/// position is inspected, the chosen speed, the status line. Owned by the main thread, changed
/// only by `Reducer.reduce`, so every key's effect is a pure function a test can call.
public struct AppState: Sendable, Equatable {
    /// What sits on top of the main screen and receives the keys.
    public enum Overlay: Sendable, Equatable {
        case none
        case help
        case menu(MenuKind, selected: Int)
        case prompt(Prompt)
        /// `E`: the explanation of the focused panel, with the current step's numbers.
        case explain
    }

    /// The panels that take focus (`n` / `N`), in that order; `E` explains the focused one.
    public enum Panel: String, Sendable, Equatable, CaseIterable {
        case main, noise, controls, rounding, inspector
    }

    /// What fills the main area; `v` cycles through them in this order.
    public enum MainView: String, Sendable, Equatable, CaseIterable {
        case strip, geometry, timeline
    }

    /// The geometry view's panes when the screen is too narrow for both side by side.
    public enum GeometryPane: Sendable, Equatable {
        case map, plane
    }

    /// Play speeds offered by + and -, in steps per second.
    public static let speeds: [Double] = [1, 2, 5, 10, 20, 50, 100]

    public var overlay: Overlay = .none
    /// The position shown in the inspector.
    public var inspected = 0
    public var speedIndex = 4
    public var status: Status?
    /// Show the other branch's sentence above the strip.
    public var compare = false
    /// Settings of the branch being prepared in the branch menu (nil outside it).
    public var draft: ChainSettings?
    public var themeName: String
    /// The key to the strip's colours under the theme and colour depth in use (the driver sets
    /// it whenever either changes).
    public var legend: Legend
    /// Theme names found in the themes folder, for `t`.
    public var themes: [String]
    /// False under NO_COLOR or on a colourless terminal: themes cannot be cycled.
    public var colorsEnabled: Bool
    /// Draw with ASCII glyphs (non-UTF-8 locale).
    public var ascii: Bool
    public var mainView: MainView = .strip
    /// The pane shown on a narrow screen (`m` switches).
    public var geometryPane: GeometryPane = .map
    /// The map marks the predictions x0-hat instead of the latents x_t (`p`).
    public var mapShowsPrediction = false
    /// The map draws x_t / sqrt(alphaBar), the latent at the embeddings' scale (`a`).
    public var mapScaled = false
    /// The screen size, as the driver last reported it: the timeline's rows depend on it.
    public var screenWidth = Layout.minimumWidth
    public var screenHeight = Layout.minimumHeight
    /// Held-out corpus sentences the forward menu picks from at random (empty: none loaded).
    public var heldOutSentences: [String] = []
    /// The focused panel; nil until the user picks one (`n`, `N`, `E`, `T`), so no focus mark
    /// is drawn before focus means anything. `focusedPanel` reads it.
    public var focus: Panel?
    /// The guided tour's current stop (an index into `GuidedTour.stops`), nil outside the tour.
    public var tourStop: Int?
    /// State of the generator behind `s` (new seed); injectable so tests are deterministic.
    public var seedState: UInt64
    /// The compare screen is shown (`K`, `play --compare`): two models' chains in lockstep.
    public var sideBySide = false
    /// The bundled model folders `K` offers (found in Models/ when the playground starts).
    public var bundledModels: [String] = []

    public init(themeName: String = "default", themes: [String] = [], colorsEnabled: Bool = true,
                ascii: Bool = false, seedState: UInt64 = 0x5EED,
                legend: Legend = Legend(theme: .monochrome, depth: .none)) {
        self.themeName = themeName; self.themes = themes; self.colorsEnabled = colorsEnabled
        self.ascii = ascii; self.seedState = seedState; self.legend = legend
    }

    public var speed: Double { Self.speeds[speedIndex] }

    /// The panel `E` explains: the chosen one, or the main view.
    public var focusedPanel: Panel { focus ?? .main }
}

/// One line for the status bar.
public struct Status: Sendable, Equatable {
    public var text: String
    public var isError: Bool
    public init(_ text: String, isError: Bool = false) { self.text = text; self.isError = isError }
}

/// A one-line text entry on the status line.
public struct Prompt: Sendable, Equatable {
    public var kind: PromptKind
    public var input: String
    /// What was typed before Tab started cycling through its completions (nil: not cycling).
    public var completionPrefix: String?
    public init(_ kind: PromptKind, input: String = "") { self.kind = kind; self.input = input }
}

public enum PromptKind: Sendable, Equatable {
    case jump
    case inspect
    case seed
    /// The sampling temperature of the branch.
    case temperature
    case length
    case infill
    case guidanceWeight
    /// The sentence a forward walk noises.
    case forwardText
    /// DDIM's eta for the branch.
    case eta
    /// The number of reverse steps for the branch.
    case steps
    /// `w`: the word to hold at `position` from `step` on (a new branch).
    case pin(position: Int, step: Int)
}

public enum MenuKind: Sendable, Equatable {
    /// `b`: edit the settings of a new branch, then continue.
    case branch
    /// `c`: fields of the classifier, length, infill, guidance weight.
    case controls
    /// The values of one field.
    case values(field: String)
    /// `K`: the bundled models to compare the running chain with (folder paths).
    case compareModels([String])
    /// `f`: what the forward walk noises: the shown branch's sentence `current`, a typed one,
    /// or a random held-out sentence (offered when `heldOut` sentences are loaded).
    case forward(current: String, heldOut: Bool)
}
