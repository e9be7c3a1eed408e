import DenoiseCore

/// What a key asks for, independent of which key it was.
public enum Command: Sendable, Equatable {
    case stepForward
    case stepBack
    case toStart
    case toEnd
    case togglePlay
    case faster
    case slower
    case jumpPrompt
    case inspectPrompt
    case branchMenu
    case controlMenu
    case toggleClamp
    case reseed
    case inspectNext
    case inspectPrevious
    case nextBranch
    case previousBranch
    case toggleCompare
    case cycleTheme
    case export
    case toggleHelp
    case quit
    /// Escape: close the prompt, menu or overlay (or the status message).
    case dismiss
    /// Enter: accept the prompt or the menu entry.
    case accept
    case menuMove(Int)
    case menuShortcut(Character)
    case promptInsert(Character)
    case promptBackspace
}

/// What the driver must do after a command, besides redrawing.
public enum Effect: Sendable, Equatable {
    case send(EngineRequest)
    case loadTheme(String)
    case export
    case quit
}
