import DenoiseCore

/// Things drawn over the main screen: help, menus, and the too-small notice.
enum OverlayPanels {
    static func drawTooSmall(_ frame: inout Frame) {
        let need = "need \(Layout.minimumWidth)x\(Layout.minimumHeight), have \(frame.width)x\(frame.height)"
        let wide = ["terminal too small: \(need)", "enlarge the window, or press q to quit"]
        let lines = wide[0].count <= frame.width ? wide : ["terminal too small", need, "enlarge or press q"]
        let top = max(0, (frame.height - lines.count) / 2)
        for (i, line) in lines.enumerated() {
            let x = max(0, (frame.width - line.count) / 2)
            frame.put(line, x: x, y: top + i, role: i == lines.count - 1 ? .dim : .error, bold: true,
                      limit: frame.width - x)
        }
    }

    static func drawHelp(_ frame: inout Frame, _ layout: Layout, legend: Legend,
                         _ rows: [(keys: String, help: String)] = KeyMap.help) {
        let ascii = frame.glyphs.isASCII
        let keyWidth = rows.map { (ascii ? Glyphs.transliterate($0.keys) : $0.keys).count }.max() ?? 0
        let key = legend.help(separator: frame.glyphs.separator)
        let width = min(layout.width - 4, max(56, keyWidth + 4 + (rows.map { $0.help.count }.max() ?? 0), key.count + 4))
        let height = min(layout.height - 2, rows.count + 4)
        let rect = Rect(x: (layout.width - width) / 2, y: (layout.height - height) / 2, width: width, height: height)
        frame.fill(rect)
        frame.box(rect, title: "keys")
        let inner = rect.inset(1)
        for (i, row) in rows.prefix(inner.height - 2).enumerated() {
            frame.put(row.keys, x: inner.x + 1, y: inner.y + i, role: .key, bold: true)
            frame.put(row.help, x: inner.x + keyWidth + 3, y: inner.y + i, limit: inner.maxX - inner.x - keyWidth - 3)
        }
        frame.put(key, x: inner.x + 1, y: inner.maxY - 1, role: .dim, limit: inner.width - 2)
    }

    static func drawMenu(_ frame: inout Frame, _ layout: Layout, _ c: PanelContext, kind: MenuKind, selected: Int) {
        let settings = c.state.draft ?? c.engine.settings
        let items = Menus.items(kind, settings: settings, summary: c.summary)
        let title = Menus.title(kind, step: c.snapshot.step)
        let labelWidth = min(24, items.map { $0.label.count }.max() ?? 0)
        let width = min(layout.width - 8, max(56, title.count + 6))
        let visible = min(items.count, layout.height - 6)
        let height = visible + 3
        let rect = Rect(x: (layout.width - width) / 2, y: max(1, layout.strip.maxY - height / 2),
                        width: width, height: height)
        frame.fill(rect)
        frame.box(rect, title: title)
        let inner = rect.inset(1)
        let first = min(max(0, selected - visible + 1), max(0, items.count - visible))
        for (row, index) in (first..<first + visible).enumerated() {
            let item = items[index], y = inner.y + row
            let isSelected = index == selected
            if isSelected { frame.fill(Rect(x: inner.x, y: y, width: inner.width, height: 1), role: .selected, reverse: false) }
            let base: Role = isSelected ? .selected : (item.action == nil ? .dim : .text)
            if let key = item.shortcut {
                frame.put(String(key), x: inner.x + 1, y: y, role: isSelected ? .selected : .key, bold: true)
            } else if item.action == .confirmBranch {
                frame.put(c.glyphs.isASCII ? "Ent" : "↵", x: inner.x + 1, y: y, role: isSelected ? .selected : .key, bold: true)
            }
            frame.put(item.label, x: inner.x + 5, y: y, role: base, bold: item.action == .confirmBranch, limit: labelWidth)
            frame.put(item.value, x: inner.x + 7 + labelWidth, y: y, role: isSelected ? .selected : .dim,
                      limit: inner.maxX - (inner.x + 7 + labelWidth))
        }
        frame.put("Enter chooses \(c.glyphs.separator) Esc goes back \(c.glyphs.separator) or press its key", x: inner.x + 1, y: inner.maxY - 1,
                  role: .dim, limit: inner.width - 2)
    }
}
