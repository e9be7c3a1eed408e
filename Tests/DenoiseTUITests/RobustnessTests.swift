import DenoiseCore
import Testing
@testable import DenoiseTUI

/// Random keys on random screens over odd engine states: nothing may crash, and every frame
/// has the requested size.
@Suite struct RobustnessTests {
    struct Generator {
        var state: UInt64
        mutating func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(n))
        }
    }

    static func oddStates() -> [EngineState?] {
        var short = Fixtures.engineState(current: 40)
        var snapshot = short.history[40]
        snapshot.x0 = Array(snapshot.x0.prefix(10))
        snapshot.candidates = []
        snapshot.changed = [0, 3, 47, 99]
        snapshot.step = 250
        short.history[40] = snapshot
        var empty = Fixtures.engineState(current: 2)
        empty.history = empty.history.map { s in
            var s = s
            s.x0 = []; s.xt = []; s.candidates = []; s.changed = []
            return s
        }
        var noHistory = Fixtures.engineState(current: 0)
        noHistory.history = []
        var manyControls = Fixtures.engineState(current: 100, note: "history cap reached")
        manyControls.settings.controls = (0..<6).map { ControlTarget(field: "field\($0)", value: "a long value \($0)") }
        manyControls.settings.lengthMode = .template("_ _ is a _ restaurant near _ _ .")
        return [nil, Fixtures.engineState(current: 0), Fixtures.engineState(current: 200, branches: 5),
                short, empty, noHistory, manyControls]
    }

    @Test func randomKeysAndSizesNeverCrash() {
        let keys: [Key] = [.left, .right, .up, .down, .home, .end, .enter, .escape, .backspace, .tab, .backTab,
                           .pageUp, .pageDown] + "lhgbBcxstei?[]+-0123456789 _ab.q".map { .character($0) }
        var random = Generator(state: 42)
        for engine in Self.oddStates() {
            var state = AppState(themes: ["default", "mono"])
            for _ in 0..<150 {
                let key = keys[random.next(keys.count)]
                if let command = KeyMap.command(for: key, overlay: state.overlay) {
                    state = Reducer.reduce(state, command, engine: engine, summary: Fixtures.summary).0
                }
                state.ascii = random.next(4) == 0
                let width = 60 + random.next(90), height = 18 + random.next(40)
                let frame = Playground.renderFrame(state: state, engineState: engine, summary: Fixtures.summary,
                                                   width: width, height: height)
                #expect(frame.width == width && frame.height == height && frame.cells.count == width * height)
            }
        }
    }

    @Test func engineNoteShowsInTheStatusLine() {
        let frame = Playground.renderFrame(state: AppState(), engineState: Fixtures.engineState(note: "history cap reached"),
                                           summary: Fixtures.summary, width: 80, height: 24)
        #expect(frame.text.split(separator: "\n", omittingEmptySubsequences: false)[22].contains("history cap reached"))
    }
}
