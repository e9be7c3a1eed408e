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
    /// `v`: strip, geometry, timeline.
    case cycleView
    /// `m`: the geometry view's map or rounding plane on a narrow screen.
    case switchPane
    /// `p`: the map marks x0-hat or x_t.
    case toggleMapPrediction
    /// `a`: the map draws x_t or x_t / sqrt(alphaBar).
    case toggleMapScale
    /// Up / down: the timeline's step cursor moves by one row.
    case moveRow(Int)
    /// `f`: the forward-mode menu (noise the current text, a typed sentence or a held-out one).
    case forwardMenu
    /// `n` / `N`: focus the next / previous panel.
    case focusPanel(Int)
    /// `E`: open or close the explanation of the focused panel.
    case toggleExplain
    /// `T`: start or leave the guided tour.
    case toggleTour
    /// The terminal's size changed (sent by the driver at start and on every resize).
    case resized(width: Int, height: Int)
    case quit
    /// Escape: close the prompt, menu or overlay (or the status message).
    case dismiss
    /// Enter: accept the prompt or the menu entry.
    case accept
    case menuMove(Int)
    case menuShortcut(Character)
    case promptInsert(Character)
    case promptBackspace
    /// Tab in a prompt that completes (the pin prompt): the next vocabulary word that fits.
    case promptComplete
    /// `w`: pin a word at the inspected position from the current step on.
    case pinPrompt
    /// `K`: the menu of bundled models to compare with; on the compare screen, back to the playground.
    case compareMenu
}

/// What the driver must do after a command, besides redrawing.
public enum Effect: Sendable, Equatable {
    case send(EngineRequest)
    case loadTheme(String)
    case export
    case quit
    /// Load the model in this folder and show the compare screen with it.
    case openCompare(String)
    /// Leave the compare screen (its second engine is let go).
    case closeCompare
}
