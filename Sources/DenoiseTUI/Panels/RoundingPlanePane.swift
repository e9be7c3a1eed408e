import DenoiseCore

/// The rounding plane of the inspected position: the plane through its prediction x0-hat, its
/// nearest word e1 and its second-nearest e2 (see `RoundingPlane`). Distances to e1 and e2 are
/// exact there and the boundary where rounding flips between them is the vertical line through
/// the middle; the next words are projected onto the plane, and the earlier predictions of the
/// position fade out behind the current one.
enum RoundingPlanePane {
    /// Earlier predictions drawn as the trail.
    static let trailSteps = 24

    /// Plane coordinates onto cells: the bisector x = 0 is the middle column, one row is two
    /// columns' worth of length (a cell is about twice as tall as wide).
    struct Canvas {
        let rect: Rect
        let unitsPerColumn: Float
        let centerY: Float

        init(rect: Rect, plane: RoundingPlane) {
            self.rect = rect
            var reach = plane.halfGap
            var low: Float = 0, high = plane.prediction.y
            for w in plane.next { reach = max(reach, abs(w.x)); low = min(low, w.y); high = max(high, w.y) }
            reach = max(reach, abs(plane.prediction.x))
            let halfColumns = Float(max(1, (rect.width - 1) / 2)), rows = Float(max(1, rect.height - 1))
            // Room for labels at the sides: the points use the middle 70% of the width.
            unitsPerColumn = max(reach / (halfColumns * 0.7), (high - low) / (2 * rows), 1e-6)
            centerY = (low + high) / 2
        }

        var boundaryColumn: Int { rect.x + (rect.width - 1) / 2 }

        /// The cell of plane point (x, y), nil outside the canvas.
        func cell(_ x: Float, _ y: Float) -> (x: Int, y: Int)? {
            let fx = Float(boundaryColumn) + x / unitsPerColumn
            let fy = Float(rect.y) + Float(rect.height - 1) / 2 - (y - centerY) / (2 * unitsPerColumn)
            guard fx.isFinite, fy.isFinite else { return nil }
            let cx = Int(fx.rounded()), cy = Int(fy.rounded())
            guard cx >= rect.x, cx < rect.maxX, cy >= rect.y, cy < rect.maxY else { return nil }
            return (cx, cy)
        }

        /// The plane x coordinate at the centre of a column.
        func planeX(column: Int) -> Float { Float(column - boundaryColumn) * unitsPerColumn }
    }

    /// The plane of position p at a snapshot, nil without a prediction.
    static func plane(_ s: StepSnapshot, position p: Int, projection: EmbeddingProjection) -> RoundingPlane? {
        guard let sample = s.latent, let row = sample.predictionRow(p, dim: projection.dim) else { return nil }
        return RoundingPlane(prediction: row, table: projection.table, vocabularySize: projection.vocabularySize,
                             dim: projection.dim, wordsOnly: p < sample.wordsOnly.count && sample.wordsOnly[p])
    }

    static func draw(_ frame: inout Frame, _ rect: Rect, _ c: PanelContext) {
        frame.box(rect, title: "geometry · rounding plane of position \(c.inspected)")
        let inner = rect.inset(1)
        guard inner.width >= 20, inner.height >= 4 else { return }
        let x0 = c.glyphs.x0Label
        if let reason = GeometryView.unavailable(c) {
            frame.put(reason, x: inner.x + 1, y: inner.y, role: .dim, limit: inner.width - 1)
            return
        }
        guard let projection = c.summary.projection,
              let plane = plane(c.snapshot, position: c.inspected, projection: projection) else {
            frame.put("step 0 is pure noise: no prediction \(x0) to round yet", x: inner.x + 1, y: inner.y, role: .dim, limit: inner.width - 1)
            return
        }
        let g = LatentGlyphs.of(c.glyphs), sep = c.glyphs.separator
        let words = c.summary.words
        func word(_ id: Int32) -> String { Int(id) < words.count ? words[Int(id)] : "#\(id)" }
        let e1 = word(plane.nearest.id), e2 = word(plane.second.id)
        let d1 = Describe.fixed(Double(plane.nearest.distance), 3)
        let d2 = Describe.fixed(Double(plane.second.distance), 3)
        let lines = ["e1 \(e1) at \(d1) \(sep) e2 \(e2) at \(d2) (exact, 16-d)", "e1 \(e1) \(d1) \(sep) e2 \(e2) \(d2)"]
        frame.put(lines.first { $0.count <= inner.width - 1 } ?? lines[1], x: inner.x + 1, y: inner.y, limit: inner.width - 1)
        let on = c.engine.settings.clamp
        let value = Describe.fixed(Double(plane.margin), 3)
        let margins = ["margin \(value) (d2-d1) \(sep) " + (on ? "clamping snaps \(x0) to \(e1)" : "clamping off"),
                       "margin \(value) \(sep) " + (on ? "clamp snaps to \(e1)" : "clamping off")]
        frame.put(margins.first { $0.count <= inner.width - 1 } ?? margins[1], x: inner.x + 1, y: inner.y + 1,
                  role: .title, limit: inner.width - 1)

        let canvas = Canvas(rect: Rect(x: inner.x, y: inner.y + 2, width: inner.width, height: inner.height - 3), plane: plane)
        for y in canvas.rect.y..<canvas.rect.maxY {
            frame[canvas.boundaryColumn, y] = Cell(character: g.boundary, role: .dim)
        }
        drawTrail(&frame, canvas, plane, c, projection: projection, glyphs: g)
        // The exact points first, so the projected words and their labels never hide them.
        mark(&frame, canvas, plane.prediction.x, plane.prediction.y, g.prediction, label: x0, role: .changed)
        mark(&frame, canvas, plane.nearest.x, plane.nearest.y, g.word, label: "e1 \(e1)", role: .lockedIn)
        mark(&frame, canvas, plane.second.x, plane.second.y, g.word, label: "e2 \(e2)", role: .uncertain)
        for w in plane.next {
            mark(&frame, canvas, w.x, w.y, g.projected, label: word(w.id), role: .dim, overwrite: false)
        }
        let legend = "\(g.word) exact \(g.projected) projected \(g.prediction) \(x0) \(g.trail)\(g.trailOld) earlier \(g.boundary) d1=d2"
        frame.put(legend, x: inner.x + 1, y: inner.maxY - 1, role: .dim, limit: inner.width - 1)
    }

    /// The position's predictions of the previous steps, projected onto today's plane: the
    /// newest third bold, the rest fading.
    static func drawTrail(_ frame: inout Frame, _ canvas: Canvas, _ plane: RoundingPlane, _ c: PanelContext,
                          projection: EmbeddingProjection, glyphs g: LatentGlyphs) {
        let current = c.engine.current
        let first = max(1, current - trailSteps)
        guard first < current else { return }
        for step in first..<current {
            guard let row = c.engine.history[step].latent?.predictionRow(c.inspected, dim: projection.dim) else { continue }
            let point = plane.coordinates(of: row)
            guard let cell = canvas.cell(point.x, point.y) else { continue }
            let age = current - step
            let recent = age <= trailSteps / 3
            frame[cell.x, cell.y] = Cell(character: recent ? g.trail : g.trailOld, role: recent ? .text : .dim)
        }
    }

    /// A glyph at a plane point with its label on the side away from the boundary (the other
    /// side when it does not fit there). Without `overwrite` it is left out where the cell
    /// already holds something other than the boundary.
    static func mark(_ frame: inout Frame, _ canvas: Canvas, _ x: Float, _ y: Float, _ glyph: Character,
                     label: String, role: Role, overwrite: Bool = true) {
        guard let cell = canvas.cell(x, y) else { return }
        let free = frame[cell.x, cell.y].character == " " || cell.x == canvas.boundaryColumn
        guard overwrite || free else { return }
        frame[cell.x, cell.y] = Cell(character: glyph, role: role, bold: true)
        let text = String(label.prefix(14))
        // A label goes only where it and a cell either side (but its own mark) cover nothing
        // but blanks and the boundary, so neighbouring labels never run together.
        func fits(_ start: Int) -> Bool {
            start >= canvas.rect.x && start + text.count <= canvas.rect.maxX
                && (max(canvas.rect.x, start - 1)..<min(canvas.rect.maxX, start + text.count + 1)).allSatisfy { k in
                    let character = frame[k, cell.y].character
                    return character == " " || k == canvas.boundaryColumn || k == cell.x
                }
        }
        let right = cell.x + 2, left = cell.x - 1 - text.count
        let order = x < 0 ? [left, right] : [right, left]
        guard let start = order.first(where: fits) else { return }
        frame.put(text, x: start, y: cell.y, role: role)
    }
}
