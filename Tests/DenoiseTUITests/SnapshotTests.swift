import DenoiseCore
import Foundation
import Testing
@testable import DenoiseTUI

/// Whole screens as text, compared with `Snapshots/NAME.txt`. Run with
/// `DENOISE_RECORD_SNAPSHOTS=1` to (re)write the files after an intended change, then review
/// the diff.
@Suite struct SnapshotTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Snapshots")

    func assertSnapshot(_ name: String, _ frame: Frame, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let url = Self.directory.appendingPathComponent("\(name).txt")
        let actual = frame.text + "\n"
        if ProcessInfo.processInfo.environment["DENOISE_RECORD_SNAPSHOTS"] == "1" {
            try FileManager.default.createDirectory(at: Self.directory, withIntermediateDirectories: true)
            try actual.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
            Issue.record("no snapshot \(url.path); run with DENOISE_RECORD_SNAPSHOTS=1 to record it",
                         sourceLocation: sourceLocation)
            return
        }
        guard expected != actual else { return }
        let want = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let got = actual.split(separator: "\n", omittingEmptySubsequences: false)
        var diff: [String] = []
        for i in 0..<max(want.count, got.count) {
            let a = i < want.count ? String(want[i]) : "<none>"
            let b = i < got.count ? String(got[i]) : "<none>"
            if a != b { diff.append("line \(i + 1):\n  - \(a)\n  + \(b)") }
        }
        let shown = diff.prefix(12).joined(separator: "\n")
        Issue.record("snapshot \(name) differs (DENOISE_RECORD_SNAPSHOTS=1 re-records):\n\(shown)",
                     sourceLocation: sourceLocation)
    }

    func render(_ width: Int, _ height: Int, state: AppState = Fixtures.appState(),
                engine: EngineState? = Fixtures.engineState(), summary: ModelSummary = Fixtures.summary) -> Frame {
        Playground.renderFrame(state: state, engineState: engine, summary: summary, width: width, height: height)
    }

    @Test func midChain80x24() throws {
        try assertSnapshot("mid-chain-80x24", render(80, 24))
    }

    @Test func midChain120x40() throws {
        var state = Fixtures.appState()
        state.inspected = 8
        try assertSnapshot("mid-chain-120x40", render(120, 40, state: state))
    }

    @Test func startASCII100x30() throws {
        let engine = Fixtures.engineState(current: 0, controls: [], playing: false, branches: 1)
        try assertSnapshot("start-ascii-100x30", render(100, 30, state: Fixtures.appState(ascii: true), engine: engine))
    }

    @Test func finished80x24WithoutClassifier() throws {
        let engine = Fixtures.engineState(current: 200, controls: [], playing: false, branches: 1)
        try assertSnapshot("end-no-classifier-80x24", render(80, 24, engine: engine, summary: Fixtures.emptySummary))
    }

    /// The panel judges each control from the rounded words (as `denoise eval` does) and says
    /// plainly when the chain ended without one.
    @Test func controlsSayWhetherTheWordsMeetThem() {
        let said = render(120, 40, engine: Fixtures.engineState(current: 137)).text
        #expect(said.contains("0.95 met") && !said.contains("unmet"))
        let controls = [ControlTarget(field: "name", value: "Zizzi")]
        let mid = render(120, 40, engine: Fixtures.engineState(current: 137, controls: controls, playing: false)).text
        #expect(mid.contains("unmet") && !mid.contains("chain ended without"))
        let end = render(120, 40, engine: Fixtures.engineState(current: 200, controls: controls, playing: false)).text
        #expect(end.contains("chain ended without name=Zizzi"))
    }

    @Test func compareBranches120x40() throws {
        var state = Fixtures.appState()
        state.compare = true
        try assertSnapshot("compare-120x40", render(120, 40, state: state, engine: Fixtures.engineState(current: 180)))
    }

    @Test func help80x24() throws {
        var state = Fixtures.appState()
        state.overlay = .help
        try assertSnapshot("help-80x24", render(80, 24, state: state))
    }

    @Test func branchMenu80x24() throws {
        var state = Fixtures.appState()
        state.draft = Fixtures.settings
        state.overlay = .menu(.branch, selected: 0)
        try assertSnapshot("branch-menu-80x24", render(80, 24, state: state))
    }

    @Test func controlMenuAndPrompt80x24() throws {
        var state = Fixtures.appState()
        state.overlay = .menu(.controls, selected: 2)
        try assertSnapshot("control-menu-80x24", render(80, 24, state: state))
        state.overlay = .prompt(Prompt(.jump, input: "12"))
        let text = render(80, 24, state: state).text
        #expect(text.contains("go to step (0-200): 12"))
    }

    /// The mid-chain hint and the help overlay name the strip's marks as the theme shows them.
    @Test func legendUnderTheColourBlindAndMonoThemes() throws {
        var state = Fixtures.appState(theme: "colorblind")
        try assertSnapshot("legend-colorblind-80x24", render(80, 24, state: state))
        state.overlay = .help
        try assertSnapshot("help-colorblind-80x24", render(80, 24, state: state))
        state = Fixtures.appState(theme: "mono", depth: .none)
        try assertSnapshot("legend-mono-80x24", render(80, 24, state: state))
    }

    @Test func waitingAndTooSmall() throws {
        try assertSnapshot("waiting-80x24", render(80, 24, engine: nil))
        try assertSnapshot("too-small-79x24", render(79, 24))
    }
}

/// Forward mode: the header says so, the step counter runs up in t, the strip shows x_t and
/// x̂0; an edit compared with its source.
@Suite struct ForwardSnapshotTests {
    let snapshots = SnapshotTests()

    @Test func forward80x24() throws {
        try snapshots.assertSnapshot("forward-80x24", snapshots.render(80, 24, engine: Fixtures.forwardEngineState(current: 60)))
    }

    @Test func forward120x40() throws {
        var state = Fixtures.appState()
        state.inspected = 3
        try snapshots.assertSnapshot("forward-120x40", snapshots.render(120, 40, state: state, engine: Fixtures.forwardEngineState()))
    }

    @Test func editComparedWithSource100x30() throws {
        var state = Fixtures.appState()
        state.compare = true
        try snapshots.assertSnapshot("edit-compare-100x30", snapshots.render(100, 30, state: state, engine: Fixtures.editEngineState()))
    }
}
