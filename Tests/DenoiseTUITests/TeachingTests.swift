import DenoiseCore
import Testing
@testable import DenoiseTUI

/// The fixture chain as an engine would move it: steps, play and pause, branches. Enough for
/// the tour's key sequences to see the effects of their keys.
private struct SimulatedChain {
    var engine: EngineState

    init(step: Int) { engine = Fixtures.engineState(current: step, playing: false, branches: 1) }

    mutating func move(to step: Int) {
        engine.history = (0...step).map { Fixtures.snapshot($0, controls: engine.settings.controls) }
        engine.current = step
    }

    mutating func apply(_ effects: [Effect]) {
        for case .send(let request) in effects {
            switch request {
            case .play: engine.playing = true
            case .pause: engine.playing = false
            case .stepForward: move(to: min(engine.current + 1, Fixtures.steps))
            case .toEnd: move(to: Fixtures.steps)
            case .branch(let settings):
                let index = engine.branches.count
                engine.branches.append(BranchSummary(index: index, parentStep: engine.current, settings: settings, text: ""))
                engine.branchIndex = index
                engine.settings = settings
            default: break
            }
        }
    }
}

/// Keys through the key map and the reducer into the simulated chain, as the driver does.
private struct TourDriver {
    var state = Fixtures.appState()
    var chain: SimulatedChain
    let summary: ModelSummary

    init(step: Int = 0, summary: ModelSummary = Fixtures.summary) {
        chain = SimulatedChain(step: step)
        self.summary = summary
    }

    mutating func press(_ keys: Key...) {
        for key in keys {
            guard let command = KeyMap.command(for: key, overlay: state.overlay) else { continue }
            let (next, effects) = Reducer.reduce(state, command, engine: chain.engine, summary: summary)
            state = next
            chain.apply(effects)
        }
    }

    func frame(_ width: Int = 100, _ height: Int = 30) -> Frame {
        Playground.renderFrame(state: state, engineState: chain.engine, summary: summary, width: width, height: height)
    }
}

@Suite struct TourTests {
    /// The whole tour from `T` to the last stop, one recorded key per stop (the control stop
    /// takes the menu's keys), each landing on the next stop with its panel focused.
    @Test func recordedKeysWalkTheTourFromStartToEnd() {
        var driver = TourDriver()
        let count = GuidedTour.stopCount(Fixtures.summary)
        #expect(count == 13)
        driver.state.bundledModels = ["Models/e2e-masked"]
        driver.press(.character("T"))
        let recorded: [[Key]] = [
            [.right], [.character(" ")], [.character(" ")], [.tab], [.character("E"), .escape],
            [.character("c"), .enter, .down, .enter], [.character("x")], [.character("B")], [.end],
            [.character("v")], [.character("v")], [.character("K"), .enter],
        ]
        for (index, keys) in recorded.enumerated() {
            #expect(driver.state.tourStop == index)
            if keys.first == .character("E") {
                // E opens the explanation of the stop's own panel, not the next stop's.
                driver.press(.character("E"))
                #expect(driver.state.overlay == .explain && driver.state.focus == .inspector)
                #expect(driver.frame().text.contains("explain · inspector"))
                driver.press(.escape)
                #expect(driver.state.tourStop == index + 1)
                #expect(driver.state.focus == GuidedTour.stops(Fixtures.summary)[index + 1].panel)
                continue
            }
            #expect(driver.frame().text.contains("tour \(index + 1) / \(count)") || driver.state.overlay != .none)
            for key in keys { driver.press(key) }
            #expect(driver.state.tourStop == index + 1, "stop \(index + 1) did not move on")
            #expect(driver.state.focus == GuidedTour.stops(Fixtures.summary)[index + 1].panel)
        }
        // What the keys did, besides moving the tour.
        #expect(driver.chain.engine.snapshot.step == Fixtures.steps)
        #expect(driver.chain.engine.branches.count == 3)
        #expect(!driver.chain.engine.settings.controls.isEmpty)
        #expect(driver.chain.engine.settings.clamp == false)
        #expect(driver.state.mainView == .timeline)
        #expect(driver.state.status?.text.contains("to compare side by side") == true)
        #expect(driver.frame().text.contains("tour 13 / 13"))
        driver.press(.escape)
        #expect(driver.state.tourStop == nil)
        #expect(!driver.frame().text.contains("tour 13 / 13"))
        #expect(driver.frame().text.contains("tour closed: T starts it again"))
    }

    @Test func otherKeysWorkWithoutMovingTheTour() {
        var driver = TourDriver(step: 5)
        driver.press(.character("T"))
        driver.press(.character(" "))          // the first stop asks for →, space plays
        #expect(driver.state.tourStop == 0)
        #expect(driver.chain.engine.playing)
        driver.press(.character("n"), .character("?"))
        #expect(driver.state.overlay == .help)
        #expect(driver.state.tourStop == 0)
        driver.press(.escape, .character("T"))   // T also leaves the tour
        #expect(driver.state.tourStop == nil)
    }

    @Test func aModelWithoutClassifierSkipsTheControlStop() {
        var summary = Fixtures.summary
        summary.fields = []
        #expect(GuidedTour.stopCount(summary) == 12)
        #expect(!GuidedTour.stops(summary).contains { $0.needsClassifier })
        var driver = TourDriver(summary: summary)
        driver.press(.character("T"), .right, .character(" "), .character(" "), .tab, .character("E"), .escape)
        #expect(driver.state.tourStop == 5)
        #expect(driver.frame().text.contains("clamping"))
    }
}

/// Reads the number that follows `prefix` in `text` (digits, sign, point), nil when absent.
private func number(after prefix: String, in text: String) -> String? {
    guard let range = text.range(of: prefix) else { return nil }
    let digits = text[range.upperBound...].prefix { $0.isNumber || $0 == "." || $0 == "-" }
    let trimmed = digits.hasSuffix(".") ? String(digits.dropLast()) : String(digits)
    return trimmed.isEmpty ? nil : trimmed
}

/// The lines of the explanation box and of the rest of the screen, apart.
private func split(_ frame: Frame, box: Rect) -> (explanation: String, panels: String) {
    let rows = frame.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    var explanation: [String] = [], panels: [String] = []
    for (y, row) in rows.enumerated() {
        (box.y..<box.maxY).contains(y) ? explanation.append(row) : panels.append(row)
    }
    return (explanation.joined(separator: "\n"), panels.joined(separator: "\n"))
}

@Suite struct ExplainTests {
    func explained(_ panel: AppState.Panel, controls: [ControlTarget]? = nil, step: Int = 137)
        -> (explanation: String, panels: String) {
        var state = Fixtures.appState()
        state.focus = panel
        state.overlay = .explain
        state.inspected = 8
        let frame = Playground.renderFrame(state: state, engineState: Fixtures.engineState(current: step, controls: controls),
                                           summary: Fixtures.summary, width: 120, height: 40)
        // Lower panels are explained over the main area, which the panels below never share.
        return split(frame, box: Layout(width: 120, height: 40)!.strip)
    }

    @Test(arguments: [3, 60, 137, 199])
    func noiseNumbersAreTheNoisePanelsNumbers(step: Int) throws {
        let (text, panels) = explained(.noise, step: step)
        #expect(text.contains("explain · noise"))
        #expect(number(after: "t = ", in: text) == number(after: "│t ", in: panels))
        #expect(number(after: "of T = ", in: text) == number(after: " of ", in: panels.components(separatedBy: "│t ").last ?? ""))
        #expect(number(after: "ᾱ = ", in: text) == number(after: "ᾱ ", in: panels))
        #expect(number(after: "σ = ", in: text) == number(after: "σ ", in: panels))
        #expect(number(after: "or ", in: text) == number(after: "SNR ", in: panels))
        #expect(number(after: "(step ", in: text) == number(after: "step ", in: panels.components(separatedBy: "│t ").last ?? ""))
        // The equation's numbers agree with each other: √ᾱ·x₀ + √(1−ᾱ)·ε.
        let a = try #require(number(after: "ᾱ = ", in: text).flatMap(Double.init))
        let rest = try #require(number(after: "x₀ + √", in: text).flatMap(Double.init))
        #expect(abs(a + rest - 1) < 0.0015)
        #expect(number(after: "√", in: text) == number(after: "ᾱ = ", in: text))
    }

    @Test func roundingNumbersAreTheRoundingPanelsNumbers() {
        let (text, panels) = explained(.rounding)
        #expect(number(after: "mean dist ", in: text) == number(after: "mean dist ", in: panels))
        #expect(number(after: "changed ", in: text) == number(after: "changed ", in: panels))
        #expect(text.contains("Clamping is on"))
    }

    @Test func inspectorNumbersAreTheInspectorsNumbers() throws {
        let (text, panels) = explained(.inspector)
        let title = try #require(panels.split(separator: "\n").first { $0.contains("inspector · position 8") })
        #expect(number(after: "Position ", in: text) == "8")
        #expect(number(after: "is ", in: text) == number(after: "dist ", in: String(title)))
        #expect(number(after: ") is ", in: text) == number(after: "margin ", in: String(title)))
        let word = try #require(title.split(separator: "\"").dropFirst().first)
        #expect(text.contains("shows \"\(word)\""))
    }

    @Test func classifierScoreIsTheControlsPanelsScore() throws {
        let (text, panels) = explained(.controls, controls: [ControlTarget(field: "food", value: "Italian")])
        let row = try #require(panels.split(separator: "\n").first { $0.contains("│food=Italian") })
        let cell = try #require(row.components(separatedBy: "│").first { $0.hasPrefix("food=Italian") })
        // The row ends with the score, then the met/unmet mark judged from the words.
        let shown = try #require(cell.split(separator: " ").last { Double($0) != nil })
        #expect(number(after: "p(food=Italian | x_t) = ", in: text) == String(shown))
        #expect(text.contains("Saturation"))
        #expect(number(after: "nudge ", in: text) == number(after: "nudge ", in: panels))
    }

    @Test(arguments: [0, 60, 120])
    func forwardModeExplainsTheWalkWithItsOwnNumbers(step: Int) throws {
        var state = Fixtures.appState()
        state.focus = .main
        let engine = Fixtures.forwardEngineState(current: step)
        let page = try #require(Explain.page(state: state, engine: engine, summary: Fixtures.summary))
        let text = page.paragraphs.joined(separator: " ")
        #expect(page.title.hasPrefix("forward mode"))
        let s = engine.snapshot
        #expect(text.contains("t = \(s.t):") && text.contains("√\(Describe.fixed(s.alphaBar, 3))·x₀"))
        // The kept counts are the positions where the rounding still shows the source's word.
        let words = Tokenizer.tokenize(Fixtures.sourceText)
        let kept = words.enumerated().filter { i, w in i + 1 < s.xt.count && s.xt[i + 1].text == w }.count
        #expect(text.contains("rounds to the source word at \(kept) of \(words.count) positions"))
        #expect(text.contains("recovers") == !s.x0.isEmpty)
        if step == 0 { #expect(kept == words.count) }
        // A reverse chain's strip keeps the strip's explanation.
        #expect(Explain.page(state: state, engine: Fixtures.engineState(), summary: Fixtures.summary)?.title.hasPrefix("token strip") == true)
    }

    @Test func everyTopicHasAnExplanationOfAtMostTenLines() {
        var state = Fixtures.appState()
        let engine = Fixtures.engineState(controls: [ControlTarget(field: "food", value: "Italian")])
        var selfConditioned = Fixtures.geometrySummary
        selfConditioned.selfConditioned = true
        for topic in ExplainTopic.allCases {
            for summary in [Fixtures.geometrySummary, selfConditioned] {
                let page = Explain.page(topic, state: state, engine: engine, summary: summary)
                #expect(page != nil, "no explanation of \(topic)")
                #expect(Explain.wrap(page?.paragraphs ?? [], width: 82).count <= 10, "\(topic) is longer than 10 lines")
            }
        }
        state.focus = .main
        state.mainView = .timeline
        #expect(ExplainTopic.of(state) == .timeline)
    }

    @Test func theStripSaysWhenTheDenoiserReadsItsPreviousGuess() throws {
        var summary = Fixtures.summary
        let plain = try #require(Explain.page(.strip, state: Fixtures.appState(), engine: Fixtures.engineState(), summary: summary))
        summary.selfConditioned = true
        let conditioned = try #require(Explain.page(.strip, state: Fixtures.appState(), engine: Fixtures.engineState(), summary: summary))
        #expect(!plain.paragraphs.joined(separator: " ").contains("self-conditioning"))
        #expect(conditioned.paragraphs.joined(separator: " ").contains("from its own guess one step earlier (self-conditioning)"))
    }

    @Test func explanationFollowsTheStep() {
        let early = Explain.page(.noise, state: Fixtures.appState(), engine: Fixtures.engineState(current: 10), summary: Fixtures.summary)
        let late = Explain.page(.noise, state: Fixtures.appState(), engine: Fixtures.engineState(current: 190), summary: Fixtures.summary)
        #expect(early != late)
    }

    @Test func eOpensAndClosesAndNMovesFocus() {
        var state = Fixtures.appState()
        let engine = Fixtures.engineState()
        func press(_ key: Key) {
            guard let command = KeyMap.command(for: key, overlay: state.overlay) else { return }
            state = Reducer.reduce(state, command, engine: engine, summary: Fixtures.summary).0
        }
        #expect(state.focus == nil)
        press(.character("n"))
        #expect(state.focus == .noise)
        press(.character("N")); press(.character("N"))
        #expect(state.focus == .inspector)
        press(.character("E"))
        #expect(state.overlay == .explain)
        press(.character("n"))                 // focus moves under the open explanation
        #expect(state.overlay == .explain && state.focus == .main)
        press(.character("E"))
        #expect(state.overlay == .none)
        press(.character("E")); press(.escape)
        #expect(state.overlay == .none)
    }
}

extension SnapshotTests {
    @Test func explainNoise100x30() throws {
        var state = Fixtures.appState()
        state.focus = .noise
        state.overlay = .explain
        try assertSnapshot("explain-noise-100x30", render(100, 30, state: state))
    }

    @Test func explainStrip80x24() throws {
        var state = Fixtures.appState()
        state.overlay = .explain
        state.focus = .main
        try assertSnapshot("explain-strip-80x24", render(80, 24, state: state))
    }

    @Test func explainGeometryASCII120x40() throws {
        var state = Fixtures.appState(ascii: true)
        state.mainView = .geometry
        state.focus = .main
        state.overlay = .explain
        try assertSnapshot("explain-geometry-ascii-120x40",
                           render(120, 40, state: state, engine: Fixtures.geometryState(), summary: Fixtures.geometrySummary))
    }

    @Test func tourStops100x30() throws {
        var state = GuidedTour.start(Fixtures.appState(), summary: Fixtures.summary)
        try assertSnapshot("tour-1-100x30", render(100, 30, state: state, engine: Fixtures.engineState(current: 0, playing: false)))
        state.tourStop = 5
        state.focus = .controls
        try assertSnapshot("tour-6-100x30", render(100, 30, state: state))
    }
}
