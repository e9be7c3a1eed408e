import CNcurses
import DenoiseCore
import Foundation

/// The only code that talks to the terminal (and the only file importing CNcurses).
///
/// Runs entirely on the thread that called `Playground.run` (the main thread). Each tick it
/// waits at most `tick` milliseconds for a key, takes the engine's newest state if there is one,
/// runs keys through `KeyMap` and `Reducer`, carries out the effects, and redraws only when
/// something changed, writing only the cells that differ from the last frame.
final class NcursesDriver {
    private static let tick: Int32 = 20

    private let engine: any EngineHandle
    private let summary: ModelSummary
    private let options: PlaygroundOptions
    private let colorsWanted: Bool
    private var theme: Theme
    private var state: AppState
    private var engineState: EngineState?
    private var lastFrame: Frame?
    private var colorDepth = 0
    private var palette = RolePalette()
    /// The compare screen's second engine (nil outside it) and its newest state. Both engines
    /// run on their own queues; the driver only sends requests and polls, as for the first.
    private var second: (any EngineHandle)?
    private var secondState: EngineState?
    /// The last step the second chain was asked to show, so each lockstep jump is sent once.
    private var lockTarget: Int?
    /// A second engine being made off the main thread by `makeCompareEngine`.
    private let pendingSecond = PendingEngine()

    init(engine: any EngineHandle, options: PlaygroundOptions, theme: Theme, colorsWanted: Bool) {
        self.engine = engine
        self.summary = engine.summary
        self.options = options
        self.theme = theme
        self.colorsWanted = colorsWanted
        self.state = AppState(themeName: theme.name, themes: Theme.available(in: options.themesDirectory),
                              colorsEnabled: colorsWanted,
                              seedState: UInt64(truncatingIfNeeded: DispatchTime.now().uptimeNanoseconds))
        self.state.heldOutSentences = options.heldOutSentences
        if options.startTour { state = GuidedTour.start(state, summary: summary) }
        self.state.bundledModels = options.bundledModels
        if let compare = options.compareEngine {
            second = compare
            state.sideBySide = true
        }
    }

    func run() throws -> Int32 {
        setlocale(LC_ALL, "")
        let codeset = String(cString: nl_langinfo(nl_item(CODESET)))
        state.ascii = options.forceASCII || codeset.uppercased().replacingOccurrences(of: "-", with: "") != "UTF8"
        // The handlers go in before the terminal is touched: from here on a SIGINT or SIGTERM is
        // only recorded, and this thread (the one that owns every ncurses call) restores the
        // terminal and returns 130 or 143 at the next check, so no signal can arrive between
        // newterm and the first frame with nobody to put the terminal back.
        SignalHandlers.install()
        defer { SignalHandlers.uninstall() }
        if let status = SignalHandlers.stopStatus { return status }
        guard let output = fdopen(STDOUT_FILENO, "w"), let input = fdopen(STDIN_FILENO, "r"),
              newterm(nil, output, input) != nil else {
            throw PlaygroundError("denoise play could not start the terminal (is TERM set to a known terminal?)")
        }
        defer { dn_restore_terminal() }
        cbreak()
        noecho()
        keypad(dn_stdscr(), true)
        curs_set(0)
        set_escdelay(25)
        setUpColors()
        return loop()
    }

    // MARK: Loop

    private enum Input {
        case key(Key)
        case resize
        case ignored
    }

    private func loop() -> Int32 {
        var dirty = true
        while true {
            if let status = SignalHandlers.stopStatus { return status }
            if let newest = engine.poll() {
                engineState = newest
                dirty = true
            }
            if let arrived = pendingSecond.take() {
                switch arrived {
                case .success(let made):
                    second = made; secondState = nil; lockTarget = nil
                    state.sideBySide = true
                    state.status = Status("compare: \(summary.name) above, \(made.summary.name) below, in lockstep")
                case .failure(let error):
                    state.status = Status("cannot compare: \(error)", isError: true)
                }
                dirty = true
            }
            if state.sideBySide, let second {
                if let newest = second.poll() {
                    secondState = newest
                    dirty = true
                }
                followLockstep(second)
            }
            if dirty {
                draw()
                dirty = false
            }
            var input = readInput(timeout: Self.tick)
            var handled = 0
            while let event = input, handled < 64 {
                handled += 1
                switch event {
                case .resize:
                    lastFrame = nil
                    dirty = true
                case .key(let key):
                    if let command = KeyMap.command(for: key, overlay: state.overlay) {
                        let (next, effects) = Reducer.reduce(state, command, engine: engineState, summary: summary)
                        state = next
                        dirty = true
                        for effect in effects where perform(effect) { return 0 }
                    }
                case .ignored:
                    break
                }
                input = readInput(timeout: 0)
            }
        }
    }

    /// Carries out one effect; true means quit.
    private func perform(_ effect: Effect) -> Bool {
        switch effect {
        case .send(let request):
            engine.send(request)
        case .loadTheme(let name):
            do {
                theme = try Theme.load(named: name, from: options.themesDirectory)
                applyTheme()
                state.themeName = name
                state.status = Status("theme \(name)")
                lastFrame = nil
            } catch {
                state.status = Status("\(error)", isError: true)
            }
        case .export:
            guard let engineState else { break }
            do {
                let files = try TraceExport.write(engineState, summary: summary, directory: options.exportDirectory)
                let names = [files.trace, files.table].map { ($0 as NSString).lastPathComponent }
                state.status = Status("wrote \(names[0]) and \(names[1])")
            } catch {
                state.status = Status("export failed: \(error.localizedDescription)", isError: true)
            }
        case .quit:
            return true
        case .openCompare(let path):
            guard let make = options.makeCompareEngine, let settings = engineState?.settings else {
                state.status = Status("this playground cannot load a model to compare (a replay?)", isError: true)
                break
            }
            let pending = pendingSecond
            DispatchQueue.global(qos: .userInitiated).async {
                pending.put(Result { try make(path, settings) })
            }
        case .closeCompare:
            if let second { second.send(.pause) }
            second = nil; secondState = nil; lockTarget = nil
            lastFrame = nil
        }
        return false
    }

    /// Keeps the second chain at the step matching the first's fraction of its chain: step k of
    /// n above shows step round(k m / n) of the m below. Only a changed target is sent.
    private func followLockstep(_ second: any EngineHandle) {
        guard let first = engineState, first.hasSnapshot else { return }
        let s = first.snapshot
        let otherTotal = secondState.map { $0.hasSnapshot ? $0.snapshot.totalSteps : s.totalSteps } ?? s.totalSteps
        let target = CompareScreen.lockstep(s.step, of: s.totalSteps, to: otherTotal)
        guard target != lockTarget else { return }
        lockTarget = target
        second.send(.jump(to: target))
    }

    private func readInput(timeout: Int32) -> Input? {
        let window = dn_stdscr()
        wtimeout(window, timeout)
        var code: wint_t = 0
        let result = wget_wch(window, &code)
        if result == ERR { return nil }
        if result == KEY_CODE_YES {
            switch Int32(truncatingIfNeeded: code) {
            case KEY_RESIZE: return .resize
            case KEY_RIGHT: return .key(.right)
            case KEY_LEFT: return .key(.left)
            case KEY_UP: return .key(.up)
            case KEY_DOWN: return .key(.down)
            case KEY_HOME: return .key(.home)
            case KEY_END: return .key(.end)
            case KEY_NPAGE: return .key(.pageDown)
            case KEY_PPAGE: return .key(.pageUp)
            case KEY_BTAB: return .key(.backTab)
            case KEY_ENTER: return .key(.enter)
            case KEY_BACKSPACE: return .key(.backspace)
            default: return .ignored
            }
        }
        switch code {
        case 9: return .key(.tab)
        case 10, 13: return .key(.enter)
        case 27: return .key(.escape)
        case 8, 127: return .key(.backspace)
        default:
            // wint_t is UInt32 on Linux and Int32 on macOS.
            guard code >= 32, let scalar = Unicode.Scalar(UInt32(truncatingIfNeeded: code)) else { return .ignored }
            return .key(.character(Character(scalar)))
        }
    }

    // MARK: Drawing

    private func draw() {
        let window = dn_stdscr()
        let height = Int(getmaxy(window)), width = Int(getmaxx(window))
        if state.screenWidth != width || state.screenHeight != height {
            state = Reducer.reduce(state, .resized(width: width, height: height), engine: engineState, summary: summary).0
        }
        let frame = state.sideBySide && second != nil
            ? Playground.renderCompare(state: state, top: CompareSide(summary: summary, engine: engineState),
                                       bottom: CompareSide(summary: second!.summary, engine: secondState),
                                       width: width, height: height)
            : Playground.renderFrame(state: state, engineState: engineState, summary: summary,
                                     width: width, height: height)
        palette.blit(frame, over: lastFrame)
        lastFrame = frame
    }

    // MARK: Colours

    private func setUpColors() {
        colorDepth = RolePalette.startColors(wanted: colorsWanted)
        if colorDepth == 0 {
            state.colorsEnabled = false
            if theme.name != "mono" {
                theme = Playground.monochrome(in: options.themesDirectory)
                state.themeName = theme.name
            }
        }
        applyTheme()
    }

    private func applyTheme() {
        state.legend = Legend(theme: theme, depth: colorDepth == 256 ? .full : colorDepth == 0 ? .none : .eight)
        palette = RolePalette(theme: theme, colorDepth: colorDepth)
    }
}

/// Every role's ncurses attributes and colour pair under one theme, and the blit of a frame
/// with them.
struct RolePalette {
    /// Per role (in `Role.allCases` order).
    private var attributes: [attr_t] = []
    private var pairs: [Int16] = []

    init() {}

    /// Starts colour when wanted and possible; returns the colour depth: 256, 8, -8 (8 colours
    /// without the terminal's default colours, so "default" means white on black) or 0 (no colour).
    static func startColors(wanted: Bool) -> Int {
        guard wanted && has_colors() else { return 0 }
        start_color()
        return use_default_colors() == OK ? (dn_colors() >= 256 ? 256 : 8) : -8
    }

    /// Computes every role's attributes and (re)defines its colour pair.
    init(theme: Theme, colorDepth: Int) {
        let fallback = colorDepth < 0
        for (i, role) in Role.allCases.enumerated() {
            let style = theme.style(for: role)
            let eight = colorDepth != 256
            let wanted = eight ? (style.attributes8 ?? style.attributes) : style.attributes
            var value = dn_a_normal()
            if wanted.contains(.bold) { value |= dn_a_bold() }
            if wanted.contains(.reverse) { value |= dn_a_reverse() }
            if wanted.contains(.underline) { value |= dn_a_underline() }
            if wanted.contains(.dim) { value |= dn_a_dim() }
            attributes.append(value)
            guard colorDepth != 0 else {
                pairs.append(0)
                continue
            }
            let pair = Int16(i + 1)
            var fg = eight ? style.fg8 : style.fg
            var bg = eight ? style.bg8 : style.bg
            if fallback {
                fg = fg ?? Int(COLOR_WHITE)
                bg = bg ?? Int(COLOR_BLACK)
            }
            init_pair(pair, Int16(fg ?? -1), Int16(bg ?? -1))
            pairs.append(pair)
        }
    }

    /// Writes `frame` to the screen, only the cells that differ from `previous` when it has the
    /// same size (the whole screen otherwise), and refreshes.
    func blit(_ frame: Frame, over previous: Frame?) {
        let window = dn_stdscr()
        let width = frame.width, height = frame.height
        let previous = previous.flatMap { $0.width == width && $0.height == height ? $0 : nil }
        if previous == nil { werase(window) }
        let bold = dn_a_bold(), reverse = dn_a_reverse()
        var text = [wchar_t](repeating: 0, count: 8)
        for y in 0..<height {
            for x in 0..<width {
                let cell = frame[x, y]
                if let previous, previous[x, y] == cell { continue }
                let role = Role.allCases.firstIndex(of: cell.role)!
                var cellAttributes = attributes[role]
                if cell.bold { cellAttributes |= bold }
                if cell.reverse { cellAttributes |= reverse }
                let scalars = cell.character.unicodeScalars
                if scalars.count == 1 {
                    dn_put_wch(Int32(y), Int32(x), wchar_t(truncatingIfNeeded: scalars.first!.value), cellAttributes, pairs[role])
                } else {
                    var n = 0
                    for scalar in scalars where n < 5 {
                        text[n] = wchar_t(truncatingIfNeeded: scalar.value)
                        n += 1
                    }
                    text[n] = 0
                    dn_put_cell(Int32(y), Int32(x), text, cellAttributes, pairs[role])
                }
            }
        }
        wrefresh(window)
    }
}

/// A full-screen terminal for work that runs on the calling thread and shows frames as it goes
/// (the training screen): the playground's start-up, signal handling and teardown without its
/// key loop. SIGINT and SIGTERM are only recorded (`stopStatus`), so the owner can finish its
/// work, `close` and exit; a second one restores the terminal and exits from the handler.
final class TerminalSession {
    let glyphs: Glyphs
    private var palette = RolePalette()
    private var lastFrame: Frame?
    private var isOpen = false

    /// Installs the signal handlers first (as the playground does), then takes the terminal.
    init(theme: Theme, colorsWanted: Bool, forceASCII: Bool) throws {
        setlocale(LC_ALL, "")
        let codeset = String(cString: nl_langinfo(nl_item(CODESET)))
        let ascii = forceASCII || codeset.uppercased().replacingOccurrences(of: "-", with: "") != "UTF8"
        glyphs = ascii ? .ascii : .unicode
        SignalHandlers.install()
        guard let output = fdopen(STDOUT_FILENO, "w"), let input = fdopen(STDIN_FILENO, "r"),
              newterm(nil, output, input) != nil else {
            SignalHandlers.uninstall()
            throw PlaygroundError("denoise could not start the terminal (is TERM set to a known terminal?)")
        }
        isOpen = true
        cbreak()
        noecho()
        keypad(dn_stdscr(), true)
        curs_set(0)
        let depth = RolePalette.startColors(wanted: colorsWanted)
        palette = RolePalette(theme: depth == 0 && theme.name != "mono" ? .monochrome : theme, colorDepth: depth)
    }

    /// The exit status a received SIGINT or SIGTERM asks for (128 + signal), or nil.
    var stopStatus: Int32? { SignalHandlers.stopStatus }

    /// The terminal's size, after taking any pending resize (keys are read and dropped).
    func size() -> (width: Int, height: Int) {
        let window = dn_stdscr()
        wtimeout(window, 0)
        var code: wint_t = 0
        var read = 0
        while read < 64 {
            let result = wget_wch(window, &code)
            if result == ERR { break }
            if result == KEY_CODE_YES && Int32(truncatingIfNeeded: code) == KEY_RESIZE { lastFrame = nil }
            read += 1
        }
        return (Int(getmaxx(window)), Int(getmaxy(window)))
    }

    func show(_ frame: Frame) {
        guard isOpen else { return }
        palette.blit(frame, over: lastFrame)
        lastFrame = frame
    }

    /// Gives the terminal back and the signals to their defaults; safe to call twice.
    func close() {
        guard isOpen else { return }
        isOpen = false
        dn_restore_terminal()
        SignalHandlers.uninstall()
    }

    deinit { close() }
}

/// Signal handling while the playground owns the terminal. SIGINT and SIGTERM are recorded, and
/// the main loop restores the terminal and ends with 130 or 143 within one tick: restoring from
/// the handler itself could run on another thread while the main thread is inside an ncurses
/// call that re-enters curses mode. A second SIGINT or SIGTERM (the main thread is stuck)
/// restores and exits from the handler. Crash signals (a Swift trap is SIGILL or SIGTRAP) restore
/// the terminal and then hand the signal to whatever handler was there before (Swift's
/// backtracer, or the default core dump), so crash reports still appear, on a sane screen.
private enum SignalHandlers {
    static let fatal: [Int32] = [SIGSEGV, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE]

    /// A C signal handler (glibc calls the type sighandler_t, macOS sig_t).
    typealias Handler = @convention(c) (Int32) -> Void
    /// Written once before the handlers are installed, read only by them.
    nonisolated(unsafe) static var previous = [Handler?](repeating: nil, count: 65)
    /// The first SIGINT or SIGTERM received (0: none); written by the handler.
    nonisolated(unsafe) static var pending: sig_atomic_t = 0

    /// The exit status a received SIGINT or SIGTERM asks for (128 + signal), or nil.
    static var stopStatus: Int32? { pending == 0 ? nil : 128 + pending }

    static func install() {
        pending = 0
        let stop: @convention(c) (Int32) -> Void = { sig in
            if SignalHandlers.pending != 0 {
                dn_restore_terminal()
                _exit(128 + sig)
            }
            SignalHandlers.pending = sig
        }
        signal(SIGINT, stop)
        signal(SIGTERM, stop)
        for sig in fatal {
            previous[Int(sig)] = signal(sig) { sig in
                dn_restore_terminal()
                signal(sig, SignalHandlers.previous[Int(sig)])
            }
        }
    }

    static func uninstall() {
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
        for sig in fatal { signal(sig, previous[Int(sig)]) }
    }
}

/// A second engine made on another thread, handed to the main thread through a lock.
final class PendingEngine: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<any EngineHandle, any Error>?

    func put(_ made: Result<any EngineHandle, any Error>) {
        lock.lock(); defer { lock.unlock() }
        result = made
    }

    /// The result once, then nil until the next `put`.
    func take() -> Result<any EngineHandle, any Error>? {
        lock.lock(); defer { lock.unlock() }
        defer { result = nil }
        return result
    }
}
