import DenoiseCore
import Foundation

/// How `denoise play` wants the playground set up.
public struct PlaygroundOptions: Sendable {
    /// Theme to start with (a file `NAME.json` in `themesDirectory`).
    public var themeName: String
    /// The folder of theme files (the repository's `Themes/`).
    public var themesDirectory: String
    /// Where `e` writes the trace and table.
    public var exportDirectory: String
    /// Draw with ASCII even in a UTF-8 locale.
    public var forceASCII: Bool
    /// Held-out sentences the forward menu (`f`) picks from at random.
    public var heldOutSentences: [String]
    /// Open with the guided tour at its first stop (`denoise tour`).
    public var startTour: Bool
    /// Open on the compare screen with this second engine (`play --compare DIR`).
    public var compareEngine: (any EngineHandle)?
    /// Model folders `K` offers (the bundled models found in Models/).
    public var bundledModels: [String] = []
    /// Makes the second engine of the compare screen: the model in a folder, run with the
    /// given settings (the first chain's seed, controls, length and infill). Called off the
    /// main thread, so loading a model never holds up the screen; nil: `K` cannot compare.
    public var makeCompareEngine: (@Sendable (String, ChainSettings) throws -> any EngineHandle)?

    public init(themeName: String = "default", themesDirectory: String = "Themes",
                exportDirectory: String = ".", forceASCII: Bool = false, heldOutSentences: [String] = [],
                startTour: Bool = false) {
        self.themeName = themeName; self.themesDirectory = themesDirectory
        self.exportDirectory = exportDirectory; self.forceASCII = forceASCII
        self.heldOutSentences = heldOutSentences; self.startTour = startTour
    }
}

/// Why the playground could not start or run.
public struct PlaygroundError: Error, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The interactive playground.
///
/// Threading: `run` must be called on the main thread and keeps it until the user quits. The main
/// thread owns every ncurses call; the engine lives on its own queue and is only reached through
/// `EngineHandle.send` (requests in) and `EngineHandle.poll` (newest immutable state out), so the
/// UI never waits for a step to finish.
public enum Playground {
    /// Runs until `q`; returns the exit status (0). Throws before touching the terminal when
    /// stdout or stdin is not a terminal or the theme cannot be loaded. The terminal is restored
    /// on every way out: return, thrown error, SIGINT (exit 130), SIGTERM (exit 143) and crashes
    /// that arrive as signals.
    public static func run(engine: any EngineHandle, options: PlaygroundOptions) throws -> Int32 {
        guard isatty(STDOUT_FILENO) != 0 else {
            throw PlaygroundError("denoise play needs a terminal: stdout is not a TTY")
        }
        guard isatty(STDIN_FILENO) != 0 else {
            throw PlaygroundError("denoise play needs a terminal: stdin is not a TTY")
        }
        let noColor = !(ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
        let theme = noColor
            ? monochrome(in: options.themesDirectory)
            : try Theme.load(named: options.themeName, from: options.themesDirectory)
        let driver = NcursesDriver(engine: engine, options: options, theme: theme, colorsWanted: !noColor)
        return try driver.run()
    }

    /// `mono.json` when it is there, else the built-in copy.
    static func monochrome(in directory: String) -> Theme {
        (try? Theme.load(named: "mono", from: directory)) ?? .monochrome
    }
}
