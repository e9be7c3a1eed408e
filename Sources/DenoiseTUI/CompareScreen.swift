import DenoiseCore

/// One half of the compare screen: a model's summary and its engine's newest state.
public struct CompareSide: Sendable {
    public var summary: ModelSummary
    public var engine: EngineState?
    public init(summary: ModelSummary, engine: EngineState?) { self.summary = summary; self.engine = engine }
}

/// The compare screen (`denoise play --compare DIR`, `K`): two models' chains one above the
/// other, in lockstep by the fraction of the chain (step k of n on one, the matching step of
/// the other's own n). Each half has a title line (model, kind, step), its token strip and reads
/// line, and, when the screen is at least `wideWidth` x `wideHeight`, its controls panel.
enum CompareScreen {
    static let wideWidth = 110
    static let wideHeight = 34
    static let controlsWidth = 36

    /// The other chain's step matching `step` of `total`, on a chain of `otherTotal` steps.
    static func lockstep(_ step: Int, of total: Int, to otherTotal: Int) -> Int {
        guard total > 0 else { return 0 }
        return Int((Double(step) * Double(otherTotal) / Double(total)).rounded())
    }

    static func render(state: AppState, top: CompareSide, bottom: CompareSide, width: Int, height: Int) -> Frame {
        var frame = Frame(width: width, height: height, glyphs: state.ascii ? .ascii : .unicode)
        guard let layout = Layout(width: width, height: height) else {
            OverlayPanels.drawTooSmall(&frame)
            return frame
        }
        let g = frame.glyphs, sep = " \(g.separator) "
        frame.fill(layout.header, role: .header)
        var header = " denoise\(sep)compare\(sep)\(top.summary.kind.label) and \(bottom.summary.kind.label)"
        if let engine = top.engine, engine.hasSnapshot {
            let s = engine.snapshot
            let percent = s.totalSteps > 0 ? s.step * 100 / s.totalSteps : 0
            header += "\(sep)\(percent)% of the chain\(sep)seed \(engine.settings.seed)"
            header += engine.playing ? "\(sep)\(g.playing) playing" : "\(sep)\(g.paused) paused"
        }
        frame.put(header, x: 0, y: 0, role: .header, bold: true, limit: width)
        let bodyHeight = height - 3
        let topHeight = bodyHeight / 2
        let halves = [(top, Rect(x: 0, y: 1, width: width, height: topHeight)),
                      (bottom, Rect(x: 0, y: 1 + topHeight, width: width, height: bodyHeight - topHeight))]
        let wide = width >= wideWidth && height >= wideHeight
        for (side, rect) in halves { drawHalf(&frame, rect, side, state: state, wide: wide) }
        let status = state.status.map { ($0.text, $0.isError ? Role.error : Role.dim) }
            ?? ("both chains in lockstep by the fraction of the chain: step k of n on each", .dim)
        frame.put(" " + status.0, x: 0, y: layout.status.y, role: status.1, limit: width)
        FooterPanel.draw(&frame, layout.footer, KeyMap.compareFooter)
        if case .help = state.overlay {
            OverlayPanels.drawHelp(&frame, layout, legend: state.legend, KeyMap.compareHelp)
        }
        return frame
    }

    static func drawHalf(_ frame: inout Frame, _ rect: Rect, _ side: CompareSide, state: AppState, wide: Bool) {
        let g = frame.glyphs, sep = " \(g.separator) "
        let name = "\(side.summary.name) (\(Describe.count(side.summary.parameterCount)))\(sep)\(side.summary.kind.label)"
        guard let engine = side.engine, engine.hasSnapshot else {
            frame.put(" \(name)", x: rect.x, y: rect.y, role: .title, bold: true, limit: rect.width)
            frame.put("waiting for the engine\(g.ellipsis)", x: rect.x + 2, y: rect.y + 1, role: .dim)
            return
        }
        let s = engine.snapshot
        let noise = side.summary.kind == .continuous
            ? "\(g.alphaBar) \(Describe.fixed(s.alphaBar, 3))"
            : "\(g.alpha) \(Describe.fixed(s.alphaBar, 3))" + (side.summary.kind == .masked ? "  masked \(s.discrete?.maskedCount ?? 0)/\(s.xt.count)" : "")
        let title = " \(name)\(sep)step \(s.step)/\(s.totalSteps)\(sep)\(noise)"
        for x in rect.x..<rect.maxX { frame[x, rect.y] = Cell(character: g.horizontal, role: .border) }
        frame.put(title + " ", x: rect.x, y: rect.y, role: .title, bold: true, limit: rect.width)
        var local = state
        local.compare = false
        let context = PanelContext(state: local, engine: engine, summary: side.summary, glyphs: g)
        let body = Rect(x: rect.x, y: rect.y + 1, width: rect.width, height: rect.height - 1)
        let stripWidth = wide ? body.width - controlsWidth : body.width
        // The reads line has its own row at the bottom, so it shows even when the strip is cramped.
        let strip = Rect(x: body.x, y: body.y, width: stripWidth, height: max(1, body.height - 1))
        TokenStripPanel.draw(&frame, strip, context, sentence: false)
        TokenStripPanel.drawSentence(&frame, Rect(x: body.x, y: body.maxY - 1, width: stripWidth, height: 1), context)
        if wide {
            ControlsPanel.draw(&frame, Rect(x: body.maxX - controlsWidth, y: body.y, width: controlsWidth,
                                            height: body.height), context)
        }
    }
}

extension Playground {
    /// The compare screen, off-screen: what `denoise play --compare` shows, what the snapshot
    /// tests compare and what `denoise bench` times (frameCompareMs). Pure: no terminal, no I/O.
    public static func renderCompare(state: AppState, top: CompareSide, bottom: CompareSide,
                                     width: Int, height: Int) -> Frame {
        CompareScreen.render(state: state, top: top, bottom: bottom, width: width, height: height)
    }

    /// A 120x40 frame of the compare screen, for `denoise bench` (frameCompareMs).
    public static func benchCompareFrame(top: CompareSide, bottom: CompareSide) -> Frame {
        var state = AppState()
        state.screenWidth = 120
        state.screenHeight = 40
        return renderCompare(state: state, top: top, bottom: bottom, width: 120, height: 40)
    }
}
