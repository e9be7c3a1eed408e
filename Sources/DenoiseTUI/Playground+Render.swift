import DenoiseCore

/// What every panel draws from: the UI state, the newest engine state and what was derived
/// from its history once per frame.
struct PanelContext {
    let state: AppState
    let engine: EngineState
    let snapshot: StepSnapshot
    let summary: ModelSummary
    let digest: HistoryDigest
    /// The inspected position, clamped to the sequence.
    let inspected: Int
    let glyphs: Glyphs

    /// Relative rounding margin (d2 − d1) / d2 below which a token counts as uncertain, with d1
    /// and d2 the L2 distances to the nearest and the runner-up word: 1 − √0.85 ≈ 7.8 %, that
    /// is, d1² is more than 85 % of d2² (scale-free, so it works at every noise level).
    static let uncertainMargin: Float = 1 - (0.85 as Float).squareRoot()

    /// The context of `engine`'s current step, the inspected position clamped to the sequence.
    init(state: AppState, engine: EngineState, summary: ModelSummary, glyphs: Glyphs) {
        self.state = state; self.engine = engine; self.snapshot = engine.snapshot; self.summary = summary
        self.digest = HistoryDigest(engine)
        self.inspected = max(0, min(state.inspected, engine.snapshot.sentenceTokens.count - 1))
        self.glyphs = glyphs
    }

    func isUncertain(_ token: RoundedToken) -> Bool {
        let second = token.distance + token.margin
        return second > 0 && token.margin / second < Self.uncertainMargin
    }

    /// Lower-cased words of the active controls' values: tokens spelling them are "guided".
    var guidedWords: Set<String> {
        Set(engine.settings.controls.flatMap { $0.value.lowercased().split(separator: " ").map(String.init) })
    }
}

extension Playground {
    /// Builds the whole screen off-screen: what `denoise play` shows, what the snapshot tests
    /// compare and what `denoise bench` times. Pure: no terminal, no I/O.
    public static func renderFrame(state: AppState, engineState: EngineState?, summary: ModelSummary,
                                   width: Int, height: Int) -> Frame {
        var frame = Frame(width: width, height: height, glyphs: state.ascii ? .ascii : .unicode)
        guard let layout = Layout(width: width, height: height) else {
            OverlayPanels.drawTooSmall(&frame)
            return frame
        }
        guard let engine = engineState, engine.hasSnapshot else {
            HeaderPanel.drawWaiting(&frame, layout, summary: summary)
            FooterPanel.draw(&frame, layout.footer)
            return frame
        }
        let context = PanelContext(state: state, engine: engine, summary: summary, glyphs: frame.glyphs)
        HeaderPanel.draw(&frame, layout.header, context)
        // A masked or uniform chain has no latent to round: its own noise, commit and inspector
        // panels take the continuous ones' places.
        let discrete = engine.snapshot.isDiscrete ? DiscreteDigest(engine) : nil
        switch state.mainView {
        case .strip: TokenStripPanel.draw(&frame, layout.strip, context)
        case .geometry:
            if discrete != nil { DiscreteGeometryNote.draw(&frame, layout.strip, context) } else { GeometryView.draw(&frame, layout.strip, context) }
        case .timeline: TimelineView.draw(&frame, layout.strip, context)
        }
        ControlsPanel.draw(&frame, layout.controls, context)
        if let discrete {
            DiscreteNoisePanel.draw(&frame, layout.noise, context)
            CommitPanel.draw(&frame, layout.rounding, context, discrete)
            DiscreteInspectorPanel.draw(&frame, layout.inspector, context, discrete)
        } else {
            NoisePanel.draw(&frame, layout.noise, context)
            RoundingPanel.draw(&frame, layout.rounding, context)
            InspectorPanel.draw(&frame, layout.inspector, context)
        }
        FooterPanel.drawStatus(&frame, layout.status, context)
        FooterPanel.draw(&frame, layout.footer, KeyMap.footer(state.mainView, switchablePanes: !GeometryView.sideBySide(width: width)))
        if state.focus != nil { TeachingOverlays.drawFocus(&frame, layout, state.focusedPanel) }
        switch state.overlay {
        case .help: OverlayPanels.drawHelp(&frame, layout, legend: state.legend,
                                           KeyMap.viewHelp(state.mainView, ascii: frame.glyphs.isASCII))
        case .menu(let kind, let selected): OverlayPanels.drawMenu(&frame, layout, context, kind: kind, selected: selected)
        case .explain:
            if let page = Explain.page(state: state, engine: engine, summary: summary) {
                TeachingOverlays.drawExplanation(&frame, layout, page, panel: state.focusedPanel)
            }
        case .none:
            if let card = GuidedTour.card(state: state, engine: engine, summary: summary) {
                TeachingOverlays.drawTour(&frame, layout, card)
            }
        case .prompt: break
        }
        return frame
    }
}

extension Playground {
    /// A 120x40 off-screen frame of one main-area view, for `denoise bench` (frameGeometryMs,
    /// frameTimelineMs): the whole screen, as `denoise play` would draw it in that view.
    public static func benchFrame(_ view: AppState.MainView, engineState: EngineState, summary: ModelSummary) -> Frame {
        var state = AppState()
        state.mainView = view
        state.screenWidth = 120
        state.screenHeight = 40
        return renderFrame(state: state, engineState: engineState, summary: summary, width: 120, height: 40)
    }
}
