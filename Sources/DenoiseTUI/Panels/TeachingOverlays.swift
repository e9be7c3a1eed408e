import DenoiseCore

/// The focus mark, the explanation box (`E`) and the tour's card (`T`). Both boxes sit where
/// they hide the least of what they talk about: over the main area when a lower panel is
/// meant, over the lower panels when the main area is.
enum TeachingOverlays {
    static func rect(of panel: AppState.Panel, _ layout: Layout) -> Rect {
        switch panel {
        case .main: return layout.strip
        case .noise: return layout.noise
        case .controls: return layout.controls
        case .rounding: return layout.rounding
        case .inspector: return layout.inspector
        }
    }

    /// A mark in the focused panel's top-left corner; a boxed panel's top edge and title are
    /// highlighted too (the main area has no box: its top row holds tokens).
    static func drawFocus(_ frame: inout Frame, _ layout: Layout, _ panel: AppState.Panel) {
        let rect = rect(of: panel, layout)
        if panel != .main {
            frame.restyle(x: rect.x + 1, y: rect.y, width: rect.width - 2, role: .highlight, bold: true)
        }
        frame[rect.x, rect.y] = Cell(character: frame.glyphs.isASCII ? ">" : "▶", role: .highlight, bold: true)
    }

    /// The region a box about `panel` may cover.
    static func area(avoiding panel: AppState.Panel, _ layout: Layout) -> Rect {
        panel == .main
            ? Rect(x: 0, y: layout.noise.y, width: layout.width, height: layout.inspector.maxY - layout.noise.y)
            : layout.strip
    }

    static func drawExplanation(_ frame: inout Frame, _ layout: Layout, _ page: Explain.Page, panel: AppState.Panel) {
        let sep = frame.glyphs.separator
        drawBox(&frame, area(avoiding: panel, layout), title: "explain \(sep) \(page.title)",
                body: page.paragraphs, footer: "E or Esc closes \(sep) n / N another panel \(sep) keys still work")
    }

    static func drawTour(_ frame: inout Frame, _ layout: Layout, _ card: GuidedTour.Card) {
        let sep = frame.glyphs.separator
        let next = card.stop.key.isEmpty ? "Esc leaves the tour" : "press \(card.stop.key) to \(card.stop.action) \(sep) Esc leaves the tour"
        drawBox(&frame, area(avoiding: card.stop.panel, layout),
                title: "tour \(card.number) / \(card.count) \(sep) \(card.stop.title)", body: card.lines, footer: next,
                bottom: true)
    }

    /// A box as wide as fits (at most 86 columns) with the body wrapped inside and a key line
    /// at the bottom, at the top of `area` (or its bottom), lines past its height cut.
    static func drawBox(_ frame: inout Frame, _ area: Rect, title: String, body: [String], footer: String,
                        bottom: Bool = false) {
        let width = min(area.width - 2, 86)
        guard width >= 30, area.height >= 4 else { return }
        let lines = Explain.wrap(body, width: width - 4)
        let height = min(area.height, lines.count + 3)
        let y = bottom ? area.maxY - height : area.y
        let rect = Rect(x: area.x + (area.width - width) / 2, y: y, width: width, height: height)
        frame.fill(rect)
        frame.box(rect, title: title, role: .highlight)
        let inner = rect.inset(1)
        for (i, line) in lines.prefix(inner.height - 1).enumerated() {
            frame.put(line, x: inner.x + 1, y: inner.y + i, limit: inner.width - 2)
        }
        frame.put(footer, x: inner.x + 1, y: inner.maxY - 1, role: .key, bold: true, limit: inner.width - 2)
    }
}
