import DenoiseCore

/// The geometry view in the main area: the map (the embedding table and every position's
/// latent on the table's two principal axes) and the rounding plane of the inspected position.
/// Side by side when the screen is wide enough, otherwise one at a time (`m` switches).
enum GeometryView {
    /// Narrowest screen that shows both panes side by side.
    static let sideBySideWidth = 100

    static func sideBySide(width: Int) -> Bool { width >= sideBySideWidth }

    static func draw(_ frame: inout Frame, _ rect: Rect, _ c: PanelContext) {
        if sideBySide(width: rect.width) {
            let planeWidth = max(40, rect.width * 2 / 5)
            MapPane.draw(&frame, Rect(x: rect.x, y: rect.y, width: rect.width - planeWidth, height: rect.height), c)
            RoundingPlanePane.draw(&frame, Rect(x: rect.maxX - planeWidth, y: rect.y, width: planeWidth, height: rect.height), c)
        } else if c.state.geometryPane == .map {
            MapPane.draw(&frame, rect, c)
        } else {
            RoundingPlanePane.draw(&frame, rect, c)
        }
    }

    /// A one-line reason the panes cannot draw, or nil when they can.
    static func unavailable(_ c: PanelContext) -> String? {
        if c.summary.projection == nil { return "no embedding table here (a replayed trace has only words)" }
        if c.snapshot.latent == nil { return "this step carries no latent coordinates" }
        return nil
    }

    /// Rounding colour of position p: changed at this step, could flip, settled, or plain.
    static func status(_ p: Int, token: RoundedToken?, changed: Set<Int>, _ c: PanelContext) -> Role {
        if changed.contains(p) { return .changed }
        if let token, c.isUncertain(token) { return .uncertain }
        if c.snapshot.step > 0, p < c.digest.lockSteps.count,
           c.snapshot.step - c.digest.lockSteps[p] >= c.digest.lockWindow {
            return .lockedIn
        }
        return .text
    }

    static func glyph(for role: Role, _ g: LatentGlyphs) -> Character {
        switch role {
        case .changed: return g.changed
        case .uncertain: return g.uncertain
        case .lockedIn: return g.settled
        default: return g.position
        }
    }
}

/// The map pane: PCA of the embedding table with every position's latent marked.
enum MapPane {
    /// Words offered a label, most frequent first; the ones that fit without overlap get one.
    static let labelCandidates = 60
    static let maxLabels = 36

    /// Isotropic placement of plane coordinates onto braille dots (a cell is 2 dots wide and
    /// 4 tall, and about twice as tall as wide, so a dot step is the same length both ways).
    struct Scale {
        let dotWidth: Int
        let dotHeight: Int
        let centerX: Float
        let centerY: Float
        let dotsPerUnit: Float

        /// Fits the middle 99% of `points` ([n, 2]) with a small border.
        init(points: [Float], dotWidth: Int, dotHeight: Int) {
            self.dotWidth = dotWidth; self.dotHeight = dotHeight
            let n = points.count / 2
            let xs = (0..<n).map { points[2 * $0] }.sorted(), ys = (0..<n).map { points[2 * $0 + 1] }.sorted()
            func quantile(_ v: [Float], _ q: Double) -> Float { v.isEmpty ? 0 : v[min(v.count - 1, Int(Double(v.count - 1) * q))] }
            let x0 = quantile(xs, 0.005), x1 = quantile(xs, 0.995), y0 = quantile(ys, 0.005), y1 = quantile(ys, 0.995)
            centerX = (x0 + x1) / 2; centerY = (y0 + y1) / 2
            let spanX = max(x1 - x0, 1e-6) * 1.06, spanY = max(y1 - y0, 1e-6) * 1.06
            dotsPerUnit = min(Float(dotWidth - 1) / spanX, Float(dotHeight - 1) / spanY)
        }

        /// Dot coordinates of (x, y), and whether it had to be pulled in from outside the map.
        func dot(_ x: Float, _ y: Float) -> (x: Int, y: Int, clipped: Bool) {
            let fx = Float(dotWidth - 1) / 2 + (x - centerX) * dotsPerUnit
            let fy = Float(dotHeight - 1) / 2 - (y - centerY) * dotsPerUnit
            guard fx.isFinite, fy.isFinite else { return (0, 0, true) }
            let dx = Int(fx.rounded()), dy = Int(fy.rounded())
            let cx = min(max(dx, 0), dotWidth - 1), cy = min(max(dy, 0), dotHeight - 1)
            return (cx, cy, cx != dx || cy != dy)
        }
    }

    static func draw(_ frame: inout Frame, _ rect: Rect, _ c: PanelContext) {
        let drawn = c.state.mapShowsPrediction ? "x\u{0302}0" : (c.state.mapScaled ? "x_t/√ᾱ" : "x_t")
        frame.box(rect, title: "geometry · map of \(drawn)")
        let inner = rect.inset(1)
        guard inner.width >= 20, inner.height >= 4 else { return }
        if let reason = GeometryView.unavailable(c) {
            frame.put(reason, x: inner.x + 1, y: inner.y, role: .dim, limit: inner.width - 1)
            return
        }
        guard let projection = c.summary.projection, let sample = c.snapshot.latent else { return }
        let g = LatentGlyphs.of(c.glyphs)
        let percent = Int((projection.varianceShare * 100).rounded())
        let usesPrediction = c.state.mapShowsPrediction && c.snapshot.step > 0
        let what = usesPrediction ? "x\u{0302}0 (p: x_t)"
            : (c.state.mapScaled ? "x_t/√ᾱ, at the words' scale (a: x_t)" : "x_t as sampled, √ᾱ=\(Describe.fixed(sample.alphaBar.squareRoot(), 3)) (a: x_t/√ᾱ)")
        let info = [ "PCA keeps \(percent)% of the variance \(c.glyphs.separator) marks: \(what)",
                     "PCA keeps \(percent)% of the variance \(c.glyphs.separator) \(drawn)"]
        frame.put(info.first { $0.count <= inner.width - 1 } ?? info[1], x: inner.x + 1, y: inner.y, limit: inner.width - 1)

        let canvasRect = Rect(x: inner.x, y: inner.y + 1, width: inner.width, height: inner.height - 2)
        var dots = DotCanvas(canvasRect)
        let scale = Scale(points: projection.points, dotWidth: dots.dotWidth, dotHeight: dots.dotHeight)
        for w in 0..<projection.vocabularySize {
            let d = scale.dot(projection.points[2 * w], projection.points[2 * w + 1])
            if !d.clipped { dots.set(d.x, d.y) }
        }

        // Marks of the positions, most telling status last so it wins a shared cell.
        let tokens = usesPrediction ? c.snapshot.x0 : c.snapshot.xt
        let changed = Set(c.snapshot.changed)
        var marks: [(column: Int, row: Int, role: Role, position: Int)] = []
        var offMap = 0
        for p in 0..<sample.count {
            guard let point = sample.point(p, prediction: usesPrediction, scaled: c.state.mapScaled) else { continue }
            let d = scale.dot(point.x, point.y)
            if d.clipped { offMap += 1 }
            let token = p < tokens.count ? tokens[p] : nil
            marks.append((d.x / 2, d.y / 4, GeometryView.status(p, token: token, changed: changed, c), p))
        }
        let rank: [Role: Int] = [.text: 0, .lockedIn: 1, .uncertain: 2, .changed: 3]
        marks.sort { (rank[$0.role] ?? 0, $0.position == c.inspected ? 1 : 0) < (rank[$1.role] ?? 0, $1.position == c.inspected ? 1 : 0) }
        var taken = [Bool](repeating: false, count: canvasRect.width * canvasRect.height)
        for m in marks { taken[m.row * canvasRect.width + m.column] = true }

        // The inspected position's path over the past steps (at most 40 points, evenly spaced).
        let history = c.engine.history.prefix(c.engine.current + 1)
        let first = usesPrediction ? 1 : 0
        var trail: [(Int, Int)] = []
        if history.count > first + 1 {
            let span = history.count - 1 - first, samples = min(40, span)
            for k in 0..<samples {
                let step = first + k * span / samples
                guard let s = history[step].latent,
                      let point = s.point(c.inspected, prediction: usesPrediction, scaled: c.state.mapScaled) else { continue }
                let d = scale.dot(point.x, point.y)
                if !d.clipped { trail.append((d.x / 2, d.y / 4)) }
            }
        }

        let labels = placeLabels(projection: projection, words: c.summary.words, scale: scale, canvas: canvasRect, taken: &taken,
                                 trail: Set(trail.map { $0.1 * canvasRect.width + $0.0 }))
        dots.draw(into: &frame, role: .dim) { column, row in taken[row * canvasRect.width + column] }
        for label in labels {
            frame.put(label.text, x: canvasRect.x + label.column, y: canvasRect.y + label.row, role: .dim)
        }
        let trailGlyph: Character = c.glyphs.isASCII ? "+" : "·"
        for (column, row) in trail where !taken[row * canvasRect.width + column] {
            frame[canvasRect.x + column, canvasRect.y + row] = Cell(character: trailGlyph, role: .selected, bold: true)
        }
        for m in marks {
            let inspected = m.position == c.inspected
            frame[canvasRect.x + m.column, canvasRect.y + m.row] =
                Cell(character: GeometryView.glyph(for: m.role, g), role: m.role, bold: true, reverse: inspected)
        }

        let word = c.snapshot.sentenceTokens.indices.contains(c.inspected) ? c.snapshot.sentenceTokens[c.inspected].text : ""
        var legend = "\(g.changed) changed \(g.uncertain) could flip \(g.settled) settled \(g.position) other \(c.glyphs.separator) position \(c.inspected) \"\(word)\" reversed, \(trailGlyph) its path"
        if offMap > 0 { legend += " \(c.glyphs.separator) \(offMap) beyond the edge" }
        let short = "\(g.changed) chg \(g.uncertain) flip \(g.settled) settled \(trailGlyph) path of \(c.inspected)" + (offMap > 0 ? " \(c.glyphs.separator) \(offMap) off" : "")
        frame.put(legend.count <= inner.width - 1 ? legend : short, x: inner.x + 1, y: inner.maxY - 1, role: .dim, limit: inner.width - 1)
    }

    /// Labels for frequent words, right of their dot (or left when the right is taken),
    /// never over another label, a mark or the inspected position's path.
    static func placeLabels(projection: EmbeddingProjection, words: [String], scale: Scale, canvas: Rect,
                            taken: inout [Bool], trail: Set<Int>) -> [(text: String, column: Int, row: Int)] {
        var placed: [(text: String, column: Int, row: Int)] = []
        var tried = 0
        for id in Rounder.firstWordID..<min(words.count, projection.vocabularySize) {
            guard tried < labelCandidates, placed.count < maxLabels else { break }
            let text = words[id]
            guard text.contains(where: \.isLetter) else { continue }
            tried += 1
            let d = scale.dot(projection.points[2 * id], projection.points[2 * id + 1])
            guard !d.clipped else { continue }
            let column = d.x / 2, row = d.y / 4, length = min(text.count, 12)
            for start in [column + 1, column - length] {
                guard start >= 0, start + length <= canvas.width else { continue }
                // One blank cell either side keeps neighbouring labels apart.
                let cells = (max(0, start - 1)..<min(canvas.width, start + length + 1)).map { row * canvas.width + $0 }
                guard !cells.contains(where: { taken[$0] || trail.contains($0) }) else { continue }
                for k in start..<start + length { taken[row * canvas.width + k] = true }
                placed.append((String(text.prefix(length)), start, row))
                break
            }
        }
        return placed
    }
}
