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

    /// The region a box about `panel` may cover: the main area for a lower panel; for the
    /// main area, the lower panels and as much of the main area as the box needs (it grows up
    /// from the bottom, leaving the first two rows of the main area).
    static func area(avoiding panel: AppState.Panel, _ layout: Layout) -> Rect {
        panel == .main
            ? Rect(x: 0, y: layout.strip.y + 2, width: layout.width, height: layout.inspector.maxY - layout.strip.y - 2)
            : layout.strip
    }

    static func drawExplanation(_ frame: inout Frame, _ layout: Layout, _ page: Explain.Page, panel: AppState.Panel) {
        let sep = frame.glyphs.separator
        drawBox(&frame, area(avoiding: panel, layout), title: "explain \(sep) \(page.title)",
                body: page.paragraphs, footer: "E or Esc closes \(sep) n / N another panel \(sep) keys still work",
                bottom: panel == .main)
    }

    static func drawTour(_ frame: inout Frame, _ layout: Layout, _ card: GuidedTour.Card) {
        let sep = frame.glyphs.separator
        let next = card.stop.key.isEmpty ? "Esc leaves the tour" : "press \(card.stop.key) to \(card.stop.action) \(sep) Esc leaves the tour"
        drawBox(&frame, area(avoiding: card.stop.panel, layout),
                title: "tour \(card.number) / \(card.count) \(sep) \(card.stop.title)", body: card.lines, footer: next,
                bottom: true)
    }

    /// A box as wide as fits (at most 86 columns) with the body wrapped inside and a key line
    /// at the bottom, at the top of `area` (or its bottom). When the body does not fit, its
    /// last line says how many lines a taller terminal would show.
    static func drawBox(_ frame: inout Frame, _ area: Rect, title: String, body: [String], footer: String,
                        bottom: Bool = false) {
        let width = min(area.width, 86)
        guard width >= 30, area.height >= 4 else { return }
        // "·" is a product in these texts, not the UI's separator that ASCII spells "|".
        let text = frame.glyphs.isASCII ? body.map { Glyphs.transliterate(String($0.map { $0 == "·" ? "*" : $0 })) } : body
        var lines = Explain.wrap(text, width: width - 4)
        let height = min(area.height, lines.count + 3)
        let room = height - 3
        let cut = lines.count > room
        if cut {
            let hidden = lines.count - room + 1
            lines = Array(lines.prefix(room - 1)) + ["\(frame.glyphs.ellipsis) \(hidden) more line\(hidden == 1 ? "" : "s") in a taller terminal"]
        }
        let y = bottom ? area.maxY - height : area.y
        let rect = Rect(x: area.x + (area.width - width) / 2, y: y, width: width, height: height)
        frame.fill(rect)
        frame.box(rect, title: title, role: .highlight)
        let inner = rect.inset(1)
        for (i, line) in lines.enumerated() {
            frame.put(line, x: inner.x + 1, y: inner.y + i, role: cut && i == room - 1 ? .dim : .text,
                      limit: inner.width - 2)
        }
        frame.put(footer, x: inner.x + 1, y: inner.maxY - 1, role: .key, bold: true, limit: inner.width - 2)
    }
}
