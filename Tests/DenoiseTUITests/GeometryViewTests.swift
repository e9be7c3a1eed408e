import DenoiseCore
import Testing
@testable import DenoiseTUI

/// The geometry and timeline views: snapshots at both sizes and in both locales, the drawn
/// rounding boundary, and the keys.
@Suite struct GeometryViewTests {
    let snapshots = SnapshotTests()

    func render(_ view: AppState.MainView, _ width: Int, _ height: Int, ascii: Bool = false,
                engine: EngineState = Fixtures.geometryState(), configure: (inout AppState) -> Void = { _ in }) -> Frame {
        var state = AppState(ascii: ascii)
        state.mainView = view
        state.inspected = 8
        state.screenWidth = width; state.screenHeight = height
        configure(&state)
        return Playground.renderFrame(state: state, engineState: engine, summary: Fixtures.geometrySummary,
                                      width: width, height: height)
    }

    @Test func geometrySnapshots() throws {
        try snapshots.assertSnapshot("geometry-120x40", render(.geometry, 120, 40))
        try snapshots.assertSnapshot("geometry-ascii-120x40", render(.geometry, 120, 40, ascii: true) { $0.mapShowsPrediction = true })
        try snapshots.assertSnapshot("geometry-map-80x24", render(.geometry, 80, 24) { $0.mapScaled = true })
        try snapshots.assertSnapshot("geometry-plane-80x24", render(.geometry, 80, 24) { $0.geometryPane = .plane })
        try snapshots.assertSnapshot("geometry-map-ascii-80x24", render(.geometry, 80, 24, ascii: true))
        try snapshots.assertSnapshot("geometry-plane-ascii-80x24", render(.geometry, 80, 24, ascii: true) { $0.geometryPane = .plane })
    }

    @Test func viewHelpExplainsTheGlyphs() throws {
        try snapshots.assertSnapshot("help-geometry-80x24", render(.geometry, 80, 24) { $0.overlay = .help })
        try snapshots.assertSnapshot("help-timeline-ascii-80x24", render(.timeline, 80, 24, ascii: true) { $0.overlay = .help })
    }

    @Test func timelineSnapshots() throws {
        let partial = Fixtures.geometryState(current: 90, computed: 120)
        try snapshots.assertSnapshot("timeline-120x40", render(.timeline, 120, 40, engine: partial))
        try snapshots.assertSnapshot("timeline-80x24", render(.timeline, 80, 24, engine: Fixtures.geometryState(current: 200)))
        try snapshots.assertSnapshot("timeline-ascii-120x40", render(.timeline, 120, 40, ascii: true, engine: Fixtures.geometryState(current: 200)))
        try snapshots.assertSnapshot("timeline-ascii-80x24", render(.timeline, 80, 24, ascii: true, engine: partial))
    }

    @Test func viewsNameThemselvesAndChangeWithTheStep() {
        let geometry = render(.geometry, 120, 40).text
        #expect(geometry.contains("geometry · map of x_t") && geometry.contains("rounding plane of position 8"))
        #expect(geometry.contains("PCA keeps \(Int((Fixtures.projection.varianceShare * 100).rounded()))% of the variance"))
        #expect(render(.geometry, 120, 40, engine: Fixtures.geometryState(current: 40)).text != geometry)
        let timeline = render(.timeline, 120, 40, engine: Fixtures.geometryState(current: 60)).text
        #expect(timeline.contains("timeline"))
        #expect(timeline.contains("steps 61-200 not computed yet"))
        #expect(!render(.timeline, 120, 40, engine: Fixtures.geometryState(current: 200)).text.contains("not computed"))
        // The ASCII screens hold no braille and no box drawing.
        for view in [AppState.MainView.geometry, .timeline] {
            #expect(render(view, 80, 24, ascii: true).text.unicodeScalars.allSatisfy { $0.isASCII })
        }
        // Without an embedding table (a replayed trace) the view says so instead of drawing.
        var state = AppState()
        state.mainView = .geometry
        let replay = Playground.renderFrame(state: state, engineState: Fixtures.engineState(), summary: Fixtures.summary,
                                            width: 120, height: 40).text
        #expect(replay.contains("no embedding table here"))
    }

    @Test func drawnBoundarySitsWhereBothDistancesAreEqual() throws {
        let engine = Fixtures.geometryState()
        let frame = render(.geometry, 80, 24, engine: engine) { $0.geometryPane = .plane }
        let layout = try #require(Layout(width: 80, height: 24))
        let inner = layout.strip.inset(1)
        let plane = try #require(RoundingPlanePane.plane(engine.snapshot, position: 8, projection: Fixtures.projection))
        let canvas = RoundingPlanePane.Canvas(rect: Rect(x: inner.x, y: inner.y + 2, width: inner.width, height: inner.height - 3),
                                              plane: plane)
        let column = canvas.boundaryColumn
        // The boundary glyph fills its column (where no mark covers it) and no other column.
        let boundaryCells = (canvas.rect.y..<canvas.rect.maxY).filter { frame[column, $0].character == "│" }
        #expect(boundaryCells.count >= canvas.rect.height - 2)
        for y in canvas.rect.y..<canvas.rect.maxY {
            for x in canvas.rect.x..<canvas.rect.maxX where x != column { #expect(frame[x, y].character != "│") }
        }
        // The column's centre is the bisector: in 16-d, equally far from e1 and e2, and one
        // column to either side is nearer to e1 (left) or e2 (right).
        let d = Fixtures.dim, table = Fixtures.projection.table
        let e1 = table[Int(plane.nearest.id) * d..<(Int(plane.nearest.id) + 1) * d]
        let e2 = table[Int(plane.second.id) * d..<(Int(plane.second.id) + 1) * d]
        func distance(_ a: [Float], _ b: ArraySlice<Float>) -> Float { zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot() }
        for y: Float in [0, plane.prediction.y] {
            let centre = plane.point(x: canvas.planeX(column: column), y: y)
            #expect(abs(distance(centre, e1) - distance(centre, e2)) < 1e-4)
            let left = plane.point(x: canvas.planeX(column: column - 1), y: y)
            let right = plane.point(x: canvas.planeX(column: column + 1), y: y)
            #expect(distance(left, e1) < distance(left, e2) && distance(right, e2) < distance(right, e1))
        }
        // e1, e2 and x0-hat are drawn on the sides the geometry puts them.
        let e1Cell = try #require(canvas.cell(plane.nearest.x, plane.nearest.y))
        let e2Cell = try #require(canvas.cell(plane.second.x, plane.second.y))
        let x0Cell = try #require(canvas.cell(plane.prediction.x, plane.prediction.y))
        #expect(frame[e1Cell.x, e1Cell.y].character == "■" && e1Cell.x < column)
        #expect(frame[e2Cell.x, e2Cell.y].character == "■" && e2Cell.x > column)
        #expect(frame[x0Cell.x, x0Cell.y].character == "✕" && x0Cell.x <= column)
        #expect(frame.text.contains("margin \(Describe.fixed(Double(plane.margin), 3))"))
    }

    @Test func viewKeys() {
        var state = AppState()
        let summary = Fixtures.geometrySummary
        let engine = Fixtures.geometryState(current: 100)
        func press(_ key: Key) -> [Effect] {
            let (next, effects) = Reducer.reduce(state, KeyMap.command(for: key, overlay: state.overlay)!, engine: engine, summary: summary)
            state = next
            return effects
        }
        _ = press(.character("v")); #expect(state.mainView == .geometry)
        _ = press(.character("m")); #expect(state.geometryPane == .plane)
        _ = press(.character("p")); #expect(state.mapShowsPrediction)
        _ = press(.character("a")); #expect(state.mapScaled)
        _ = press(.character("v")); #expect(state.mainView == .timeline)
        // 80x24: 7 rows for 201 steps; step 100 is in row 3 (steps 86-114).
        let rows = TimelineView.gridRows(screenWidth: 80, screenHeight: 24)
        #expect(rows == 7)
        #expect(press(.down) == [.send(.pause), .send(.jump(to: 114))])
        #expect(press(.up) == [.send(.pause), .send(.jump(to: 57))])
        _ = Reducer.reduce(state, .resized(width: 120, height: 40), engine: engine, summary: summary)
        _ = press(.character("v")); #expect(state.mainView == .strip)
        #expect(press(.down).isEmpty && state.status != nil)
        // Wide screens show both panes: m says so instead of switching.
        state.mainView = .geometry
        state = Reducer.reduce(state, .resized(width: 120, height: 40), engine: engine, summary: summary).0
        let pane = state.geometryPane
        _ = press(.character("m"))
        #expect(state.geometryPane == pane && state.status?.text.contains("side by side") == true)
    }
}
