import DenoiseCore
import Foundation
import Testing
@testable import DenoiseTUI

/// `w` (pin a word), its prompt with completion, and the branch menu's sampler, eta and steps.
@Suite struct PinAndSamplerTests {
    /// The fixture model with a vocabulary to complete from.
    static var summary: ModelSummary {
        var s = Fixtures.summary
        s.words = ["PAD", "START", "END", "UNK"] + Fixtures.words + ["It", "The"]
        return s
    }

    func harness(playing: Bool = false, settings: ChainSettings? = nil) -> Harness {
        var engine = Fixtures.engineState(playing: playing)
        if let settings { engine.settings = settings }
        var h = Harness(engine, summary: Self.summary)
        h.state.inspected = 8
        return h
    }

    func branches(_ h: Harness) -> [ChainSettings] {
        h.engine.sent.compactMap { if case .branch(let s) = $0 { return s } else { return nil } }
    }

    @Test func wOpensThePromptAndEnterPinsAsABranch() {
        var h = harness(playing: true)
        h.press(.character("w"))
        #expect(h.state.overlay == .prompt(Prompt(.pin(position: 8, step: 137))))
        #expect(h.engine.sent == [.pause], "the step pinned from is the one on screen")
        h.type("Ita")
        h.press(.tab)
        guard case .prompt(let prompt) = h.state.overlay else { Issue.record("the prompt closed"); return }
        #expect(prompt.input == "Italian")
        h.press(.enter)
        #expect(h.state.overlay == .none)
        let pinned = branches(h)
        #expect(pinned.count == 1)
        #expect(pinned.first?.pins == [WordPin(step: 137, position: 8, word: "Italian")])
        #expect(pinned.first?.controls == Fixtures.settings.controls, "the branch keeps the other settings")
        #expect(h.state.status?.text.contains("pinned \"Italian\" at position 8 from step 137") == true)
    }

    @Test func escapeCancelsAndBadWordsAreRefused() {
        var h = harness()
        h.press(.character("w"))
        h.type("Ita")
        h.press(.escape)
        #expect(h.state.overlay == .none && branches(h).isEmpty)
        h.press(.character("w"))
        h.type("Pizza")
        h.press(.enter)
        #expect(branches(h).isEmpty)
        #expect(h.state.status?.isError == true && h.state.status?.text.contains("not a word of the model's vocabulary") == true)
        h.press(.character("w"))
        h.type("END")
        h.press(.enter)
        #expect(branches(h).isEmpty && h.state.status?.isError == true)
    }

    @Test func tabExtendsThenCyclesThroughMatches() {
        let words = Self.summary.words
        #expect(Completion.matches("c", in: words) == ["coffee", "city", "centre", "cheap", "customer", "Curry"], "other case last")
        #expect(Completion.matches("t", in: words).prefix(2) == ["the", "The"], "case-sensitive matches first")
        var p = Prompt(.pin(position: 1, step: 0), input: "cu")
        p = Completion.complete(p, in: words)
        #expect(p.input == "customer" && p.completionPrefix == "cu", "\"Curry\" matches too, so Tab cycles")
        #expect(Completion.complete(p, in: words).input == "Curry")
        p = Prompt(.pin(position: 1, step: 0), input: "Go")
        #expect(Completion.complete(p, in: words).input == "Golden")
        p = Prompt(.pin(position: 1, step: 0), input: "c")
        p = Completion.complete(p, in: words)
        #expect(p.input == "coffee" && p.completionPrefix == "c")
        p = Completion.complete(p, in: words)
        #expect(p.input == "city")
        p = Prompt(.pin(position: 1, step: 0), input: "Pizza")
        #expect(Completion.complete(p, in: words) == p, "no match: unchanged")
    }

    @Test func pinsAreRefusedWhereTheyCannotHold() {
        var h = harness()
        h.state.inspected = 0
        h.press(.character("w"))
        #expect(h.state.overlay == .none && h.state.status?.text.contains("position 0 is START") == true)
        var length = Fixtures.settings
        length.lengthMode = .exact(5)
        h = harness(settings: length)
        h.state.inspected = 6
        h.press(.character("w"))
        #expect(h.state.overlay == .none && h.state.status?.text.contains("pin at positions 1-5") == true)
        var end = Harness(Fixtures.engineState(current: 200, playing: false), summary: Self.summary)
        end.state.inspected = 3
        end.press(.character("w"))
        #expect(end.state.overlay == .none && end.state.status?.text.contains("last step") == true)
        var replay = Self.summary
        replay.replay = ReplaySource(file: "t.jsonl", settingsRecorded: true)
        var r = Harness(Fixtures.engineState(playing: false), summary: replay)
        r.state.inspected = 3
        r.press(.character("w"))
        #expect(r.state.overlay == .none && r.state.status?.text.contains("needs the model") == true)
    }

    @Test func branchMenuSwitchesSamplerEtaAndSteps() {
        var h = harness()
        h.press(.character("b"), .character("d"))
        #expect(h.state.draft?.samplerKind == .ddim && h.state.draft?.etaValue == 0)
        h.press(.character("e"))
        #expect(h.state.overlay == .prompt(Prompt(.eta, input: "0")))
        h.press(.backspace)
        h.type("2")
        h.press(.enter)
        #expect(h.state.status?.isError == true && h.state.draft?.etaValue == 0)
        h.press(.character("e"), .backspace)
        h.type("0.5")
        h.press(.enter)
        #expect(h.state.draft?.eta == 0.5)
        h.press(.character("k"))
        for _ in 0..<3 { h.press(.backspace) }
        h.type("10")
        h.press(.enter)
        #expect(h.state.draft?.steps == 10)
        for _ in 0..<10 where !h.isAt(.branch, .confirmBranch) { h.press(.up) }
        h.press(.enter)
        let sent = branches(h)
        #expect(sent.count == 1 && sent[0].samplerKind == .ddim && sent[0].eta == 0.5 && sent[0].steps == 10)
        #expect(h.state.status?.text.contains("new branch from step 0") == true && h.state.status?.text.contains("DDIM η 0.5") == true)
        // DDIM back to DDPM drops eta.
        var back = harness(settings: sent[0])
        back.press(.character("b"), .character("d"))
        #expect(back.state.draft?.samplerKind == .ddpm && back.state.draft?.eta == nil)
    }

    /// The pin prompt with its completions, over a chain whose inspected position is pinned.
    @Test func pinPromptAndPinnedInspector() throws {
        var state = Fixtures.appState()
        state.inspected = 8
        state.overlay = .prompt(Prompt(.pin(position: 8, step: 137), input: "c"))
        var engine = Fixtures.engineState()
        engine.settings.pins = [WordPin(step: 120, position: 8, word: "Italian")]
        engine.settings.sampler = .ddim
        engine.settings.eta = 0
        let frame = Playground.renderFrame(state: state, engineState: engine, summary: Self.summary, width: 100, height: 30)
        try SnapshotTests().assertSnapshot("pin-prompt-100x30", frame)
        #expect(frame.text.contains("pinned \"Italian\" since step 120"))
        #expect(frame.text.contains("coffee city centre cheap"))
        #expect(frame.text.contains("DDIM η 0"))
    }

    /// `e` exports the sampler and pins: in the trace header's settings (a replay shows them) and
    /// on the table's first line.
    @Test func exportRecordsSamplerAndPins() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("denoise-export-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var engine = Fixtures.engineState(current: 200)
        engine.settings.pins = [WordPin(step: 120, position: 8, word: "Italian")]
        engine.settings.sampler = .ddim
        engine.settings.eta = 0
        let files = try TraceExport.write(engine, summary: Self.summary, directory: directory.path)
        let table = try String(contentsOfFile: files.table, encoding: .utf8)
        #expect(table.split(separator: "\n").first?.hasSuffix(", DDIM η 0, pins 8=Italian from step 120") == true)
        let replay = try ReplayEngine(tracePath: files.trace)
        #expect(replay.header?.settings.pins == engine.settings.pins && replay.header?.settings.samplerKind == .ddim)
    }

    @Test func explainSaysPinnedAndSampler() {
        var state = Fixtures.appState()
        state.inspected = 8
        state.focus = .inspector
        var engine = Fixtures.engineState()
        engine.settings.pins = [WordPin(step: 120, position: 8, word: "Italian")]
        let inspector = Explain.page(state: state, engine: engine, summary: Self.summary)
        #expect(inspector?.paragraphs.contains { $0.contains("Pinned: \"Italian\" since step 120") } == true)
        #expect(Explain.wrap(inspector?.paragraphs ?? [], width: 82).count <= 10)
        state.focus = .main
        let strip = Explain.page(state: state, engine: engine, summary: Self.summary)
        #expect(strip?.paragraphs.contains { $0.contains("\"Italian\" at 8 since step 120") } == true)
        state.focus = .noise
        #expect(Explain.page(state: state, engine: engine, summary: Self.summary)?.paragraphs.last?.hasPrefix("DDPM") == true)
        engine.settings.sampler = .ddim
        engine.settings.eta = 0
        let noise = Explain.page(state: state, engine: engine, summary: Self.summary)
        #expect(noise?.paragraphs.last?.contains("DDIM η 0") == true && noise?.paragraphs.last?.contains("no new noise") == true)
        #expect(Explain.wrap(noise?.paragraphs ?? [], width: 82).count <= 10)
    }
}
