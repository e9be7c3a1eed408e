import DenoiseCore
import Testing
@testable import DenoiseTUI

@Suite struct FrameTests {
    @Test func putClipsWithAnEllipsis() {
        var frame = Frame(width: 10, height: 2)
        #expect(frame.put("hello world", x: 2, y: 0) == 8)
        #expect(frame.put("x\u{0302}0", x: 0, y: 1, role: .dim) == 2, "x̂ is one cell")
        #expect(frame.put("nowhere", x: 0, y: 5) == 0)
        #expect(frame.text == "  hello w…\nx\u{0302}0")
        #expect(frame[0, 1].role == .dim)
    }

    @Test func boxesInUnicodeAndASCII() {
        var unicode = Frame(width: 8, height: 3)
        unicode.box(unicode.bounds, title: "ab")
        #expect(unicode.text == "┌ ab ──┐\n│      │\n└──────┘")
        var ascii = Frame(width: 8, height: 3, glyphs: .ascii)
        ascii.box(ascii.bounds, title: "ab")
        #expect(ascii.text == "+ ab --+\n|      |\n+------+")
    }

    @Test func barsAndSparklines() {
        var frame = Frame(width: 8, height: 3)
        frame.bar(x: 0, y: 0, width: 4, fraction: 0.5)
        frame.sparkline([0, 0.5, 1, nil], x: 0, y: 1, range: 0...1, highlight: 2)
        frame.columnChart([1, 0.25], in: Rect(x: 6, y: 1, width: 2, height: 2), range: 0...1)
        #expect(frame.text == "██··\n▁▄█   █\n      █▄")
        #expect(frame[2, 1].role == .highlight)
        var ascii = Frame(width: 4, height: 1, glyphs: .ascii)
        ascii.bar(x: 0, y: 0, width: 4, fraction: 0.5)
        #expect(ascii.text == "##..")
    }

    @Test func seriesBuckets() {
        #expect(Series.bucket([1, 3, 5, 7], cells: 2) == [2, 6])
        #expect(Series.bucket([1, nil, nil, nil], cells: 2) == [1, nil])
        #expect(Series.bucket([1, 2], cells: 5) == [1, 2])
        for count in [5, 7, 201] {
            for cells in [2, 3, 40] where cells < count {
                let buckets = (0..<count).map { Series.cell(of: $0, count: count, cells: cells) }
                #expect(buckets.first == 0 && buckets.last == cells - 1)
                #expect(zip(buckets, buckets.dropFirst()).allSatisfy { $1 - $0 <= 1 && $1 >= $0 })
            }
        }
    }

    @Test func numbersReadWell() {
        #expect(Describe.count(951_234) == "0.95M")
        #expect(Describe.count(12_300) == "12.3k")
        #expect(Describe.count(512) == "512")
        #expect(Describe.count(2_500_000_000) == "2.5B")
        #expect(Describe.fixed(-5.56, 1) == "-5.6")
        #expect(Describe.fixed(-0.001, 2) == "0.00")
        #expect(Describe.fixed(0.2149, 3) == "0.215")
    }
}

@Suite struct StripTests {
    func frame(_ engine: EngineState, width: Int = 120, height: Int = 40, state: AppState = AppState()) -> Frame {
        Playground.renderFrame(state: state, engineState: engine, summary: Fixtures.summary, width: width, height: height)
    }

    @Test func theHeaderSaysWhenTheEngineIsComputing() {
        var engine = Fixtures.engineState(playing: false)
        for width in [120, 80] {
            let idle = frame(engine, width: width, height: 40).text.split(separator: "\n")[0]
            #expect(!idle.contains("computing"))
        }
        engine.computing = true
        for width in [120, 80] {
            let busy = frame(engine, width: width, height: 40).text.split(separator: "\n")[0]
            #expect(busy.contains("paused · computing…"), "header at width \(width): \(busy)")
        }
    }

    @Test func changedTokensAreMarkedAndColoured() throws {
        let engine = Fixtures.engineState(current: 120)
        let changed = engine.snapshot.changed
        try #require(!changed.isEmpty, "the fixture should change something at step 120")
        let layout = try #require(Layout(width: 120, height: 40))
        let f = frame(engine)
        let marks = (layout.strip.y..<layout.strip.maxY).flatMap { y in
            (0..<120).filter { f[$0, y].character == "●" }.map { (x: $0, y: y) }
        }
        #expect(marks.count == changed.count)
        #expect(marks.allSatisfy { f[$0.x, $0.y].role == .changed })
        let predictionRows = (layout.strip.y..<layout.strip.maxY).filter { f[1, $0].character == "x\u{0302}" }
        var changedTokens = 0
        for y in predictionRows {
            for x in 1..<120 where f[x, y].role == .changed && f[x, y].character != " " && f[x - 1, y].character == " " {
                changedTokens += 1
            }
        }
        #expect(changedTokens == changed.count, "each changed x̂0 token is in the changed role")
    }

    @Test func locatedControlValuesAreUnderlined() throws {
        var engine = Fixtures.engineState(current: 200)
        engine.history[200].controlSpans = ["food=Italian": 3..<5]
        let layout = try #require(Layout(width: 120, height: 40))
        let f = frame(engine)
        let bars = (layout.strip.y..<layout.strip.maxY).flatMap { y in (0..<120).filter { f[$0, y].character == "▔" }.map { (x: $0, y: y) } }
        let s = engine.snapshot
        let width = (3..<5).map { min(max(s.x0[$0].text.count, s.xt[$0].text.count, 1), TokenStripPanel.maxTokenWidth) }.reduce(0, +)
        #expect(bars.count == width, "a bar under each located column, nowhere else")
        #expect(bars.allSatisfy { f[$0.x, $0.y].role == .guided || f[$0.x, $0.y].role == .changed })
        #expect(!frame(Fixtures.engineState(current: 200)).text.contains("▔"), "no tagger, no bars")
    }

    @Test func trailingPadCollapsesAndIsDim() throws {
        let f = frame(Fixtures.engineState(current: 200))
        let text = f.text
        #expect(text.contains("PAD×22"))
        let row = try #require(text.split(separator: "\n").firstIndex { $0.contains("PAD×22") })
        let column = try #require(text.split(separator: "\n")[row].firstRange(of: "PAD×22")).lowerBound
        let x = text.split(separator: "\n")[row].distance(from: text.split(separator: "\n")[row].startIndex, to: column)
        #expect(f[x, row].role == .dim)
    }

    @Test func settledTokensAreLockedIn() {
        let f = frame(Fixtures.engineState(current: 200))
        #expect(f[5, 1].character == "S" && f[5, 1].role == .lockedIn, "START settled long ago")
    }

    @Test func inspectedPositionIsReversed() {
        var state = AppState()
        state.inspected = 1
        let f = frame(Fixtures.engineState(current: 200), state: state)
        #expect(f[11, 1].character == "T" && f[11, 1].reverse)
        #expect(!f[5, 1].reverse)
    }

    @Test func narrowScreensDropRowsButKeepEveryPosition() {
        let engine = Fixtures.engineState(current: 60)
        let f = frame(engine, width: 80, height: 24)
        let tokens = engine.snapshot.x0.map(\.text)
        let text = f.text
        for token in Set(tokens) where !TokenText.isPad(token) {
            #expect(text.contains(token), "\(token) missing")
        }
    }
}
