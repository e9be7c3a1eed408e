import DenoiseCore

/// The token strip: for every position the rounding of x0-hat, of x_t, and a mark where x0-hat
/// changed at this step (or a bar where a tagging classifier places a control's value), one
/// column per position, wrapped over as many row groups as needed.
/// When the rows run out it drops the marks row (changes stay coloured), then the x_t row,
/// then scrolls to keep the inspected position in view.
enum TokenStripPanel {
    /// Widest a token may be before it is cut.
    static let maxTokenWidth = 14

    /// One column: a position, or a collapsed run of trailing PAD positions.
    struct Column {
        var positions: Range<Int>
        var top: String
        var bottom: String
        var width: Int
    }

    static func columns(_ s: StepSnapshot, glyphs: Glyphs) -> [Column] {
        let count = max(s.x0.count, s.xt.count)
        // A masked position shows the mask glyph, so it reads as "no word yet" rather than a word.
        let tops = s.x0.map(\.text), bottoms = s.xt.map { $0.text == Vocabulary.mask ? glyphs.mask : $0.text }
        func top(_ i: Int) -> String { i < tops.count ? tops[i] : "" }
        func bottom(_ i: Int) -> String { i < bottoms.count ? bottoms[i] : "" }
        var padStart = count
        while padStart > 0, TokenText.isPad(bottom(padStart - 1)),
              tops.isEmpty || TokenText.isPad(top(padStart - 1)) {
            padStart -= 1
        }
        if count - padStart < 3 { padStart = count }
        var columns: [Column] = []
        for i in 0..<padStart {
            let t = top(i), b = bottom(i)
            columns.append(Column(positions: i..<i + 1, top: t, bottom: b,
                                  width: min(max(t.count, b.count, 1), maxTokenWidth)))
        }
        if padStart < count {
            let times = glyphs.isASCII ? "x" : "×"
            let label = "PAD\(times)\(count - padStart)"
            columns.append(Column(positions: padStart..<count, top: tops.isEmpty ? "" : label,
                                  bottom: label, width: label.count))
        }
        return columns
    }

    /// Greedy line breaking: indices of the columns on each line.
    static func lines(_ columns: [Column], width: Int) -> [Range<Int>] {
        var lines: [Range<Int>] = []
        var start = 0, used = 0
        for (i, column) in columns.enumerated() {
            let need = column.width + (i > start ? 1 : 0)
            if i > start && used + need > width {
                lines.append(start..<i)
                start = i
                used = column.width
            } else {
                used += need
            }
        }
        if start < columns.count { lines.append(start..<columns.count) }
        return lines
    }

    static let labelWidth = 4

    static func token(_ tokens: [RoundedToken], _ i: Int) -> RoundedToken? {
        i < tokens.count ? tokens[i] : nil
    }

    /// `sentence`: draw the reads line under the rows when there is room (the compare screen
    /// gives it a row of its own instead).
    static func draw(_ frame: inout Frame, _ rect: Rect, _ c: PanelContext, sentence: Bool = true) {
        var area = rect
        if c.state.compare, c.engine.branches.count > 1 || c.engine.source != nil, area.height >= 5 {
            drawCompare(&frame, Rect(x: area.x, y: area.y, width: area.width, height: 2), c)
            area = Rect(x: area.x, y: area.y + 2, width: area.width, height: area.height - 2)
        }
        let s = c.snapshot
        let columns = columns(s, glyphs: c.glyphs)
        guard !columns.isEmpty else {
            frame.put("no tokens", x: area.x + 1, y: area.y, role: .dim)
            return
        }
        let lines = lines(columns, width: area.width - labelWidth - 1)
        let rowsPerLine = lines.count * 3 <= area.height ? 3 : (lines.count * 2 <= area.height ? 2 : 1)
        let visible = max(1, area.height / rowsPerLine)
        let selectedColumn = columns.firstIndex { $0.positions.contains(c.inspected) } ?? 0
        let selectedLine = lines.firstIndex { $0.contains(selectedColumn) } ?? 0
        let first = min(max(0, selectedLine - visible / 2), max(0, lines.count - visible))
        let changed = Set(s.changed)
        let located = Set((s.controlSpans ?? [:]).values.flatMap { $0 })
        let guided = c.guidedWords
        let hasPrediction = !s.x0.isEmpty
        for (row, lineIndex) in (first..<min(lines.count, first + visible)).enumerated() {
            let y = area.y + row * rowsPerLine
            frame.put(hasPrediction || rowsPerLine > 1 ? c.glyphs.x0Label : "x_t", x: area.x + 1, y: y, role: .dim)
            if rowsPerLine > 1 { frame.put("x_t", x: area.x + 1, y: y + 1, role: .dim) }
            if row == 0 && first > 0 { frame.put(String(c.glyphs.ellipsis), x: area.x, y: y, role: .dim) }
            var x = area.x + labelWidth + 1
            for index in lines[lineIndex] {
                let column = columns[index]
                let position = column.positions.lowerBound
                let selected = column.positions.contains(c.inspected)
                let isRun = column.positions.count > 1
                let predicted = isRun ? nil : token(s.x0, position)
                let latent = isRun ? nil : token(s.xt, position)
                let rows: [(text: String, token: RoundedToken?, isPrediction: Bool)] =
                    hasPrediction || rowsPerLine > 1
                        ? [(column.top, predicted, true), (column.bottom, latent, false)]
                        : [(column.bottom, latent, false)]
                for (r, item) in rows.prefix(rowsPerLine).enumerated() {
                    let role = isRun ? Role.dim : tokenRole(item.token, position: position,
                                                            changed: item.isPrediction && changed.contains(position),
                                                            isPrediction: item.isPrediction, guided: guided, c)
                    frame.put(item.text, x: x, y: y + r, role: role, bold: role == .changed,
                              reverse: selected, limit: column.width)
                    if selected && item.text.count < column.width {
                        frame.restyle(x: x + item.text.count, y: y + r, width: column.width - item.text.count,
                                      reverse: true)
                    }
                }
                if rowsPerLine == 3 {
                    let mark = changed.contains(position) && !isRun && hasPrediction
                    if !isRun, located.contains(position) {
                        // Where the classifier places a control's value: a bar under the whole column.
                        frame.put(String(repeating: c.glyphs.locatedMark, count: column.width), x: x, y: y + 2,
                                  role: mark ? .changed : .guided, bold: mark)
                    } else {
                        frame.put(String(mark ? c.glyphs.changedMark : c.glyphs.unchangedMark),
                                  x: x + (column.width - 1) / 2, y: y + 2, role: mark ? .changed : .dim, bold: mark)
                    }
                }
                x += column.width + 1
            }
        }
        if first + visible < lines.count {
            frame.put(String(c.glyphs.ellipsis), x: area.x, y: area.y + (visible - 1) * rowsPerLine, role: .dim)
        }
        let used = min(lines.count, visible) * rowsPerLine
        if sentence && hasPrediction && area.height - used >= 2 {
            drawSentence(&frame, Rect(x: area.x, y: area.y + used + 1, width: area.width,
                                      height: area.height - used - 1), c)
        }
    }

    /// The prediction read as plain words, for the back of the room.
    static func drawSentence(_ frame: inout Frame, _ rect: Rect, _ c: PanelContext) {
        frame.put("reads", x: rect.x + 1, y: rect.y, role: .dim)
        var x = rect.x + labelWidth + 3, y = rect.y
        for word in TokenText.sentence(c.snapshot.sentenceTokens).split(separator: " ") {
            if x + word.count > rect.maxX - 1 {
                y += 1
                x = rect.x + labelWidth + 3
                if y >= rect.maxY { return }
            }
            x += frame.put(String(word), x: x, y: y, role: .title, bold: true) + 1
        }
    }

    /// Colour of a token: just changed; PAD dim; spelling a control's value; could still flip
    /// (small margin); settled for a while; otherwise plain.
    static func tokenRole(_ token: RoundedToken?, position: Int, changed: Bool, isPrediction: Bool,
                          guided: Set<String>, _ c: PanelContext) -> Role {
        guard let token else { return .dim }
        if changed { return .changed }
        if TokenText.isPad(token.text) || token.text == Vocabulary.mask { return .dim }
        if isPrediction && guided.contains(token.text.lowercased()) { return .guided }
        if c.isUncertain(token) { return .uncertain }
        if isPrediction, c.snapshot.step > 0, position < c.digest.lockSteps.count,
           c.snapshot.step - c.digest.lockSteps[position] >= c.digest.lockWindow {
            return .lockedIn
        }
        return .text
    }

    /// Two lines, differing words marked: the source sentence and this branch's when the branch
    /// has a source (a forward walk or an edit of one), else the other branch's sentence and this one's.
    static func drawCompare(_ frame: inout Frame, _ rect: Rect, _ c: PanelContext) {
        let branches = c.engine.branches
        let here = branches.firstIndex { $0.index == c.engine.branchIndex } ?? 0
        let other = branches[here > 0 ? here - 1 : min(1, branches.count - 1)]
        let current = TokenText.sentence(c.snapshot.sentenceTokens)
        let otherText = c.engine.source ?? other.text
        let otherWords = otherText.split(separator: " "), currentWords = current.split(separator: " ")
        let currentLabel = c.engine.direction == .forward ? "x\u{0302}0 at step \(c.snapshot.step) "
            : "\(c.engine.source != nil ? "edit" : "branch") \(branches[here].index + 1) (from step \(branches[here].parentStep)) "
        let otherLabel = c.engine.source != nil ? "source " : "branch \(other.index + 1) (from step \(other.parentStep)) "
        let rows = [(otherLabel, otherWords, currentWords), (currentLabel, currentWords, otherWords)]
        for (r, row) in rows.enumerated() {
            let label = row.0
            let y = rect.y + r
            var x = rect.x + 1 + frame.put(label, x: rect.x + 1, y: y, role: r == 0 ? .dim : .title, bold: r == 1)
            for (i, word) in row.1.enumerated() {
                let differs = i >= row.2.count || row.2[i] != word
                x += frame.put(String(word), x: x, y: y, role: differs ? .changed : .text, limit: rect.maxX - x)
                x += 1
                if x >= rect.maxX { break }
            }
        }
    }
}
