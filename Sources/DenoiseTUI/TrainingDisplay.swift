import DenoiseCore
import Foundation

/// `denoise train` on a terminal: feeds the run's events into a `TrainingScreen` and shows it,
/// redrawing at most every `interval` seconds so drawing never slows the iterations down.
///
/// Threading: everything, the run included, happens on the thread that made the display (the
/// run calls `handle` between iterations); signals only set a flag that `stopStatus` reads.
public final class TrainingDisplay {
    private let terminal: TerminalSession
    private var screen: TrainingScreen
    private let start = Date()
    private var lastDraw = Date.distantPast
    private let interval: Double

    /// Takes the terminal (throws before touching it when stdout or stdin is not a terminal, or
    /// the terminal cannot start) and draws the first screen.
    public init(title: String, themeName: String = "default", themesDirectory: String, interval: Double = 0.1) throws {
        guard isatty(STDOUT_FILENO) != 0, isatty(STDIN_FILENO) != 0 else {
            throw PlaygroundError("the training screen needs a terminal on stdin and stdout (use --plain)")
        }
        let noColor = !(ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
        let theme = noColor
            ? Playground.monochrome(in: themesDirectory)
            : (try? Theme.load(named: themeName, from: themesDirectory)) ?? Playground.monochrome(in: themesDirectory)
        terminal = try TerminalSession(theme: theme, colorsWanted: !noColor, forceASCII: false)
        screen = TrainingScreen(title: title)
        self.interval = interval
        draw()
    }

    /// The exit status a received SIGINT or SIGTERM asks for (130 or 143), or nil.
    public var stopStatus: Int32? { terminal.stopStatus }

    /// The run's log lines so far (the newest few), to print once the terminal is back.
    public var messages: [String] { screen.messages }

    /// Folds in one event; redraws when the last draw is older than `interval`, and always for
    /// anything but progress (samples, checkpoints and log lines are rare and worth seeing).
    public func handle(_ event: TrainingEvent) {
        let now = Date()
        screen.apply(event, elapsed: now.timeIntervalSince(start))
        if case .progress = event, now.timeIntervalSince(lastDraw) < interval { return }
        draw()
    }

    /// Gives the terminal back; safe to call twice.
    public func close() { terminal.close() }

    private func draw() {
        lastDraw = Date()
        let (width, height) = terminal.size()
        terminal.show(screen.render(width: width, height: height, glyphs: terminal.glyphs))
    }
}
