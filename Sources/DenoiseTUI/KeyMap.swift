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
        .character("v"): .cycleView,
        .character("m"): .switchPane,
        .character("p"): .toggleMapPrediction,
        .character("a"): .toggleMapScale,
        .up: .moveRow(-1), .down: .moveRow(1),
        .character("f"): .forwardMenu,
        .character("n"): .focusPanel(1), .character("N"): .focusPanel(-1),
        .character("E"): .toggleExplain,
        .character("T"): .toggleTour,
        .character("w"): .pinPrompt,
        .character("K"): .compareMenu,
        .escape: .dismiss,
    ]

    /// The help overlay: keys as written on screen, and what they do.
    public static let help: [(keys: String, help: String)] = [
        ("→ l / ← h", "one step forward / back"),
        ("space", "play / pause"),
        ("+ / -", "faster / slower (1 to 100 steps/s)"),
        ("g / Home End", "go to step… / first / last step"),
        ("b", "branch here: controls, seed, sampler, steps"),
        ("c", "controls: field values, length, infill"),
        ("x", "toggle clamping (branches here)"),
        ("s", "new chain with a new seed"),
        ("[ ] / B", "previous, next branch / compare two"),
        ("Tab / S-Tab", "inspect next / previous position"),
        ("i / w", "inspect position… / pin a word there (a branch)"),
        ("t", "next colour theme"),
        ("e", "export branch (.jsonl + .txt)"),
        ("v / f", "view: strip, geometry, timeline / forward mode"),
        ("n N / E", "focus next, previous panel / explain it"),
        ("T", "guided tour (Esc leaves it)"),
        ("K", "compare side by side with a bundled model"),
        ("? / q", "this help / quit"),
        ("Enter / Esc", "accept / cancel a prompt or menu"),
    ]

    /// The help overlay in the geometry and timeline views: their keys, then what the glyphs
    /// mean (Unicode and ASCII), then the reminder that every other key still works.
    public static func viewHelp(_ view: AppState.MainView, ascii: Bool) -> [(keys: String, help: String)] {
        switch view {
        case .strip:
            return help
        case .geometry:
            return [
                ("v", "next view (timeline)"),
                ("m", "map or rounding plane (narrow screens)"),
                ("p / a", "map: x_t or x\u{0302}0 / x_t or x_t/√ᾱ"),
                ("Tab / i", "inspect another position"),
                ("map", ascii ? ". word  o position  * changed  ? could flip" : "⠂ words  • position  ◆ changed  ○ could flip"),
                ("", ascii ? "O settled  + trail of the inspected position" : "● settled  · trail of the inspected position"),
                ("plane", ascii ? "# e1, e2 (exact)  o projected  x x\u{0302}0  | d1=d2" : "■ e1, e2 (exact)  ◇ projected  ✕ x\u{0302}0  │ d1=d2"),
                ("", ascii ? "+ . earlier x\u{0302}0 (newest +)" : "• · earlier x\u{0302}0 (newest •)"),
                ("other keys", "step, play, branch, controls, E, T: as in the strip"),
                ("? / q", "this help / quit"),
            ]
        case .timeline:
            return [
                ("v", "next view (strip)"),
                ("↑ / ↓", "step cursor one row up / down"),
                ("→ ← Home End", "one step / first or last step"),
                ("Tab / i", "inspect another position (▼ marks it)"),
                ("rows", "steps, bucketed to fit; ▶ current step"),
                ("columns", "positions 0 to L-1"),
                ("shade", ascii ? ". : = # rounding distance, near to far" : "░ ▒ ▓ █ rounding distance, near to far"),
                ("mark", ascii ? "* the word changed in this row" : "● the word changed in this row"),
                ("other keys", "play, branch, controls, E, T: as in the strip"),
                ("? / q", "this help / quit"),
            ]
        }
    }

    /// The compare screen's footer.
    public static let compareFooter: [(key: String, label: String, priority: Int)] = [
        ("→/l", "step", 0), ("←/h", "back", 1), ("space", "play", 0), ("End", "last", 2), ("g", "go to", 3),
        ("Tab", "inspect", 4), ("K/Esc", "back", 0), ("?", "help", 1), ("q", "quit", 0),
    ]

    /// The compare screen's help overlay.
    public static let compareHelp: [(keys: String, help: String)] = [
        ("→ l / ← h", "one step forward / back on both chains"),
        ("space", "play / pause both"),
        ("g / Home End", "go to step… / first / last step (both)"),
        ("+ / -", "faster / slower"),
        ("Tab / S-Tab", "inspect next / previous position"),
        ("lockstep", "step k of n above shows step k·m/n of the m below"),
        ("K / Esc", "back to the playground"),
        ("? / q", "this help / quit"),
    ]

    /// The footer in display order, with a priority (lower is more important): on a narrow
    /// screen the least important entries are left out.
    public static let footer: [(key: String, label: String, priority: Int)] = [
        ("→/l", "step", 0), ("←/h", "back", 1), ("space", "play", 0), ("+/-", "speed", 9),
        ("g", "go to", 8), ("b", "branch", 2), ("c", "controls", 2), ("x", "clamp", 5),
        ("s", "seed", 6), ("Tab", "inspect", 4), ("t", "theme", 7), ("e", "export", 5),
        ("v", "view", 3), ("f", "forward", 6), ("E", "explain", 3), ("T", "tour", 6), ("?", "help", 0), ("q", "quit", 0),
    ]

    /// The footer of a view: the common entries with the view's own keys in front.
    public static func footer(_ view: AppState.MainView, switchablePanes: Bool) -> [(key: String, label: String, priority: Int)] {
        switch view {
        case .strip: return footer
        case .geometry:
            var own: [(key: String, label: String, priority: Int)] = [("p", "x\u{0302}0/x_t", 3), ("a", "√ᾱ", 4)]
            if switchablePanes { own.insert(("m", "map/plane", 1), at: 0) }
            return own + footer
        case .timeline: return [("↑/↓", "row", 1)] + footer
        }
    }

    /// The command for `key` given what is on screen; nil when the key means nothing there.
    public static func command(for key: Key, overlay: AppState.Overlay) -> Command? {
        switch overlay {
        case .prompt:
            switch key {
            case .enter: return .accept
            case .escape: return .dismiss
            case .backspace: return .promptBackspace
            case .tab: return .promptComplete
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
        case .explain:
            // Every other key keeps working under the explanation, so stepping updates its numbers.
            return key == .escape ? .dismiss : normal[key]
        case .none:
            return normal[key]
        }
    }
}
