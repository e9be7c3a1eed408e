import DenoiseCore

/// The bottom two lines: the status line (prompt, message, engine note or a hint) and the keys.
enum FooterPanel {
    static func draw(_ frame: inout Frame, _ rect: Rect, _ entries: [(key: String, label: String, priority: Int)] = KeyMap.footer) {
        frame.fill(rect, role: .footer)
        let ascii = frame.glyphs.isASCII
        func width(_ entry: (key: String, label: String, priority: Int)) -> Int {
            (ascii ? Glyphs.transliterate(entry.key) : entry.key).count + entry.label.count + 3
        }
        var budget = rect.width - 1
        var shown = Set<Int>()
        for (i, entry) in entries.enumerated().sorted(by: { $0.element.priority < $1.element.priority }) {
            guard width(entry) <= budget else { break }
            budget -= width(entry)
            shown.insert(i)
        }
        var x = rect.x + 1
        for (i, entry) in entries.enumerated() where shown.contains(i) {
            x += frame.put(entry.key, x: x, y: rect.y, role: .key, bold: true)
            x += 1
            x += frame.put(entry.label, x: x, y: rect.y, role: .footer)
            x += 2
        }
    }

    static func drawStatus(_ frame: inout Frame, _ rect: Rect, _ c: PanelContext) {
        let x = rect.x + 1, width = rect.width - 2
        if case .prompt(let prompt) = c.state.overlay {
            let label = prompt.kind.label(engine: c.engine, summary: c.summary) + " "
            let used = frame.put(label, x: x, y: rect.y, role: .title, bold: true, limit: width)
            let room = width - used - 1
            let shown = prompt.input.count > room ? String(prompt.input.suffix(room)) : prompt.input
            let typed = frame.put(shown, x: x + used, y: rect.y, limit: room)
            frame.put(" ", x: x + used + typed, y: rect.y, reverse: true)
            let hint = prompt.kind.hint(input: prompt.input, summary: c.summary)
            if used + typed + 1 + hint.count <= width {
                frame.put(hint, x: x + used + typed + 1, y: rect.y, role: .dim)
            } else if case .pin = prompt.kind, used + typed + 13 <= width {
                // Completions are worth their first few words.
                frame.put(hint, x: x + used + typed + 1, y: rect.y, role: .dim, limit: width - used - typed - 1)
            }
            return
        }
        if let status = c.state.status {
            frame.put(status.text, x: x, y: rect.y, role: status.isError ? .error : .text, limit: width)
        } else if let note = c.engine.note {
            frame.put(note, x: x, y: rect.y, role: .title, limit: width)
        } else {
            frame.put(hint(c, width: width), x: x, y: rect.y, role: .dim, limit: width)
        }
    }

    /// What to do next, depending on where the chain is; the longest variant that fits.
    static func hint(_ c: PanelContext, width: Int) -> String {
        let s = c.snapshot, sep = c.glyphs.separator, g = c.glyphs
        var variants: [String]
        if c.engine.direction == .forward && (s.step == 0 || s.step >= s.totalSteps) {
            variants = s.step == 0
                ? ["step 0 is the clean sentence: press \(g.arrow) to noise it one step, space to play",
                   "clean sentence: \(g.arrow) noises, space plays"]
                : ["pure noise \(sep) b edits from the step shown (h steps back) \(sep) s new seed",
                   "pure noise \(sep) b edits from any step"]
        } else if s.step == 0 {
            variants = ["step 0 is pure noise: press \(g.arrow) to denoise one step, space to play",
                        "pure noise: \(g.arrow) steps, space plays"]
        } else if s.step >= s.totalSteps {
            let text = TokenText.sentence(s.sentenceTokens)
            variants = ["done \(sep) b branches from here \(sep) s new seed \(sep) e export \(sep) \"\(text)\"",
                        "done \(sep) b branch \(sep) s new seed \(sep) e export"]
        } else {
            let legend = c.state.legend
            variants = legend.entries.isEmpty
                ? ["\(g.arrow) steps \(sep) space plays \(sep) ? keys", "\(g.arrow) steps \(sep) space plays"]
                : [legend.long(separator: sep), legend.short(separator: sep)]
        }
        if c.engine.branches.count > 1 && s.step > 0 && s.step < s.totalSteps {
            variants.insert("\(c.engine.branches.count) branches: [ ] switch, B compare \(sep) " + variants[1], at: 0)
        }
        return variants.first { $0.count <= width } ?? variants.last!
    }
}
