/// A key press, decoded from the terminal by the driver.
public enum Key: Sendable, Hashable {
    case character(Character)
    case left, right, up, down, home, end, pageUp, pageDown
    case enter, escape, backspace, tab, backTab
}

/// Keys to commands, per overlay. The help overlay and the footer are written from the tables
/// below, next to the bindings they describe.
public enum KeyMap {
    /// Normal-mode bindings.
    public static let normal: [Key: Command] = [
        .right: .stepForward, .character("l"): .stepForward,
        .left: .stepBack, .character("h"): .stepBack,
        .home: .toStart, .end: .toEnd,
        .character(" "): .togglePlay,
        .character("+"): .faster, .character("="): .faster,
        .character("-"): .slower, .character("_"): .slower,
        .character("g"): .jumpPrompt,
        .character("b"): .branchMenu,
        .character("c"): .controlMenu,
        .character("x"): .toggleClamp,
        .character("s"): .reseed,
        .character("["): .previousBranch, .character("]"): .nextBranch,
        .character("B"): .toggleCompare,
        .tab: .inspectNext, .backTab: .inspectPrevious,
        .character("i"): .inspectPrompt,
        .character("t"): .cycleTheme,
        .character("e"): .export,
        .character("?"): .toggleHelp,
        .character("q"): .quit,
        .escape: .dismiss,
    ]

    /// The help overlay: keys as written on screen, and what they do.
    public static let help: [(keys: String, help: String)] = [
        ("→ l / ← h", "one step forward / back"),
        ("space", "play / pause"),
        ("+ / -", "faster / slower (1 to 100 steps/s)"),
        ("g", "go to step…"),
        ("Home / End", "first / last step"),
        ("b", "branch from here: controls, seed, clamp"),
        ("c", "controls: field values, length, infill"),
        ("x", "toggle clamping (branches here)"),
        ("s", "new chain with a new seed"),
        ("[ / ]", "previous / next branch"),
        ("B", "compare with the other branch"),
        ("Tab / S-Tab", "inspect next / previous position"),
        ("i", "inspect position…"),
        ("t", "next colour theme"),
        ("e", "export branch (.jsonl + .txt)"),
        ("?", "this help"),
        ("q", "quit"),
        ("Enter / Esc", "accept / cancel a prompt or menu"),
    ]

    /// The footer in display order, with a priority (lower is more important): on a narrow
    /// screen the least important entries are left out.
    public static let footer: [(key: String, label: String, priority: Int)] = [
        ("→/l", "step", 0), ("←/h", "back", 1), ("space", "play", 0), ("+/-", "speed", 9),
        ("g", "go to", 8), ("b", "branch", 2), ("c", "controls", 2), ("x", "clamp", 5),
        ("s", "seed", 6), ("Tab", "inspect", 4), ("t", "theme", 7), ("e", "export", 5),
        ("?", "help", 0), ("q", "quit", 0),
    ]

    /// The command for `key` given what is on screen; nil when the key means nothing there.
    public static func command(for key: Key, overlay: AppState.Overlay) -> Command? {
        switch overlay {
        case .prompt:
            switch key {
            case .enter: return .accept
            case .escape: return .dismiss
            case .backspace: return .promptBackspace
            case .character(let c): return .promptInsert(c)
            default: return nil
            }
        case .menu:
            switch key {
            case .up, .backTab: return .menuMove(-1)
            case .down, .tab: return .menuMove(1)
            case .enter, .right: return .accept
            case .escape, .left, .character("q"): return .dismiss
            case .character(let c): return .menuShortcut(c)
            default: return nil
            }
        case .help:
            return key == .character("q") ? .quit : .dismiss
        case .none:
            return normal[key]
        }
    }
}
