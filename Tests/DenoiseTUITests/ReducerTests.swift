import DenoiseCore
import Testing
@testable import DenoiseTUI

/// Drives keys through the key map and the reducer into a fake engine, as the driver does.
struct Harness {
    var state = AppState(themeName: "default", themes: ["default", "light", "mono"], seedState: 7)
    let engine: FakeEngine
    var engineState: EngineState?
    var effects: [Effect] = []

    init(_ engineState: EngineState? = Fixtures.engineState(playing: false), summary: ModelSummary = Fixtures.summary) {
        self.engine = FakeEngine(summary: summary)
        self.engineState = engineState
    }

    mutating func press(_ keys: Key...) {
        for key in keys {
            guard let command = KeyMap.command(for: key, overlay: state.overlay) else { continue }
            let (next, produced) = Reducer.reduce(state, command, engine: engineState, summary: engine.summary)
            state = next
            effects += produced
            for case .send(let request) in produced { engine.send(request) }
        }
    }

    mutating func type(_ text: String) {
        for character in text { press(.character(character)) }
    }

    /// The open menu and the action of its selected row: menus are checked by what the row
    /// does, not by its number.
    var selectedRow: (kind: MenuKind, action: MenuAction?)? {
        guard case .menu(let kind, let selected) = state.overlay else { return nil }
        let settings = state.draft ?? engineState?.settings ?? ChainSettings()
        let items = Menus.items(kind, settings: settings, summary: engine.summary)
        return (kind, items.indices.contains(selected) ? items[selected].action : nil)
    }

    func isAt(_ kind: MenuKind, _ action: MenuAction) -> Bool {
        selectedRow.map { $0.kind == kind && $0.action == action } ?? false
    }
}

@Suite struct KeyMapTests {
    @Test func normalKeys() {
        let cases: [(Key, Command)] = [
            (.right, .stepForward), (.character("l"), .stepForward), (.left, .stepBack),
            (.character("h"), .stepBack), (.character("g"), .jumpPrompt), (.home, .toStart), (.end, .toEnd),
            (.character(" "), .togglePlay), (.character("+"), .faster), (.character("-"), .slower),
            (.character("b"), .branchMenu), (.character("B"), .toggleCompare), (.character("c"), .controlMenu),
            (.character("x"), .toggleClamp), (.character("s"), .reseed), (.tab, .inspectNext),
            (.backTab, .inspectPrevious), (.character("t"), .cycleTheme), (.character("e"), .export),
            (.character("?"), .toggleHelp), (.character("q"), .quit), (.character("["), .previousBranch),
            (.character("]"), .nextBranch),
        ]
        for (key, command) in cases {
            #expect(KeyMap.command(for: key, overlay: .none) == command, "\(key)")
        }
        #expect(KeyMap.command(for: .character("Z"), overlay: .none) == nil)
    }

    @Test func promptAndMenuKeys() {
        let prompt = AppState.Overlay.prompt(Prompt(.jump))
        #expect(KeyMap.command(for: .character("q"), overlay: prompt) == .promptInsert("q"))
        #expect(KeyMap.command(for: .escape, overlay: prompt) == .dismiss)
        #expect(KeyMap.command(for: .enter, overlay: prompt) == .accept)
        #expect(KeyMap.command(for: .backspace, overlay: prompt) == .promptBackspace)
        let menu = AppState.Overlay.menu(.branch, selected: 0)
        #expect(KeyMap.command(for: .down, overlay: menu) == .menuMove(1))
        #expect(KeyMap.command(for: .character("q"), overlay: menu) == .dismiss)
        #expect(KeyMap.command(for: .character("c"), overlay: menu) == .menuShortcut("c"))
        #expect(KeyMap.command(for: .character("x"), overlay: .help) == .dismiss)
        #expect(KeyMap.command(for: .character("q"), overlay: .help) == .quit)
    }
}

@Suite struct ReducerTests {
    @Test func stepping() {
        var h = Harness()
        h.press(.right, .character("l"), .left, .home, .end)
        #expect(h.engine.sent == [.stepForward, .stepForward, .stepBack, .toStart, .toEnd])
    }

    @Test func steppingWhilePlayingPausesFirst() {
        var h = Harness(Fixtures.engineState(playing: true))
        h.press(.right)
        #expect(h.engine.sent == [.pause, .stepForward])
    }

    @Test func edgesOfTheChainSayWhyNothingHappens() {
        var h = Harness(Fixtures.engineState(current: 0, playing: false))
        h.press(.left)
        #expect(h.engine.sent.isEmpty)
        #expect(h.state.status?.text.contains("step 0") == true)
        var end = Harness(Fixtures.engineState(current: 200, playing: false))
        end.press(.right)
        #expect(end.engine.sent.isEmpty)
        #expect(end.state.status?.text.contains("last step") == true)
        end.press(.character(" "))
        #expect(end.engine.sent.isEmpty)
    }

    @Test func playPauseAndSpeed() {
        var h = Harness()
        h.press(.character(" "))
        #expect(h.engine.sent == [.play(stepsPerSecond: 20)])
        h.press(.character("+"), .character("+"), .character("+"))
        #expect(h.state.speed == 100)
        h.press(.character("-"))
        #expect(h.state.speed == 50)
        #expect(h.state.status == Status("speed 50 steps/s"))
        #expect(h.engine.sent.count == 1, "speed changes while paused send nothing")

        var playing = Harness(Fixtures.engineState(playing: true))
        playing.press(.character("+"))
        playing.press(.character(" "))
        #expect(playing.engine.sent == [.play(stepsPerSecond: 50), .pause])
    }

    @Test func jumpPrompt() {
        var h = Harness()
        h.press(.character("g"))
        #expect(h.state.overlay == .prompt(Prompt(.jump)))
        h.type("150")
        h.press(.backspace)
        h.type("2")
        h.press(.enter)
        #expect(h.engine.sent == [.jump(to: 152)])
        #expect(h.state.overlay == .none)
    }

    @Test func badInputIsAnErrorNotACrash() {
        var h = Harness()
        for input in ["abc", "999", "-1", "", "1e9", "१२"] {
            h.press(.character("g"))
            h.type(input)
            h.press(.enter)
            #expect(h.state.status?.isError == true, "\(input)")
            #expect(h.state.overlay == .none)
        }
        #expect(h.engine.sent.isEmpty)
        h.press(.character("g"))
        h.type("12")
        h.press(.escape)
        #expect(h.state.overlay == .none)
        #expect(h.engine.sent.isEmpty)
    }

    @Test func branchMenuEditsADraftThenBranches() {
        var h = Harness()
        h.press(.character("b"))
        #expect(h.state.draft == Fixtures.settings)
        h.press(.character("c"))                      // controls
        h.press(.character("1"))                      // field 1: food
        #expect(h.isAt(.values(field: "food"), .setControl(field: "food", value: "Italian")), "the current value")
        h.press(.character("2"))                      // value 2: French
        #expect(h.isAt(.branch, .confirmBranch))
        h.press(.character("x"))                      // clamp off
        h.press(.character("s"))                      // seed prompt
        h.type("7")
        h.press(.enter)
        #expect(h.isAt(.branch, .prompt(.seed)))
        h.press(.character("t"))                      // temperature prompt, holding the current 1
        h.press(.backspace)
        h.type("2.5")
        h.press(.enter)
        #expect(h.state.status?.text.contains("not a temperature") == true, "2.5 is out of range")
        #expect(h.state.draft?.temperature == 1, "a refused value leaves the draft as it was")
        h.press(.character("t"), .backspace)
        h.type("0.7")
        h.press(.enter)
        #expect(h.isAt(.branch, .prompt(.temperature)))
        #expect(h.engine.sent.isEmpty, "nothing is sent before continue")
        h.press(.up, .up, .up, .up)                   // back to "continue"
        h.press(.enter)
        var expected = Fixtures.settings
        expected.controls = [ControlTarget(field: "food", value: "French")]
        expected.clamp = false
        expected.seed = 7
        expected.temperature = 0.7
        #expect(h.engine.sent == [.branch(expected)])
        #expect(h.state.draft == nil)
        #expect(h.state.overlay == .none)
        #expect(h.state.status?.text.contains("new branch from step 137") == true)
    }

    @Test func escapeWalksBackOutOfMenus() {
        var h = Harness()
        h.press(.character("b"), .character("c"), .character("2"))
        #expect(h.isAt(.values(field: "area"), .setControl(field: "area", value: nil)))
        h.press(.escape)
        #expect(h.isAt(.controls, .chooseField("area")))
        h.press(.escape)
        #expect(h.isAt(.branch, .openControls))
        h.press(.escape)
        #expect(h.state.overlay == .none)
        #expect(h.state.draft == nil)
        #expect(h.engine.sent.isEmpty)
    }

    @Test func controlPickerBranchesAtOnce() {
        var h = Harness()
        h.press(.character("c"), .character("2"), .down, .enter)   // area = riverside
        var expected = Fixtures.settings
        expected.controls.append(ControlTarget(field: "area", value: "riverside"))
        #expect(h.engine.sent == [.branch(expected)])
        h.press(.character("c"), .character("1"), .character("0"))  // food = none
        expected = Fixtures.settings
        expected.controls = []
        #expect(h.engine.sent.last == .branch(expected))
    }

    @Test func lengthAndInfillPrompts() {
        var h = Harness()
        h.press(.character("c"), .character("l"))
        #expect(h.state.overlay == .prompt(Prompt(.length)))
        h.type("99")
        h.press(.enter)
        #expect(h.state.status?.isError == true)
        #expect(h.state.overlay == .menu(.controls, selected: 0), "an error returns to the menu")
        h.press(.character("l"))
        h.type("12")
        h.press(.enter)
        var expected = Fixtures.settings
        expected.lengthMode = .exact(12)
        #expect(h.engine.sent == [.branch(expected)])

        h.press(.character("c"), .character("i"))
        h.type("no free slot")
        h.press(.enter)
        #expect(h.state.status?.text.contains("at least one _") == true)
        h.press(.character("i"))
        h.type("_ _ is a _ restaurant .")
        h.press(.enter)
        expected = Fixtures.settings
        expected.lengthMode = .template("_ _ is a _ restaurant .")
        #expect(h.engine.sent.last == .branch(expected))
    }

    @Test func modelWithoutClassifier() {
        var h = Harness(Fixtures.engineState(controls: [], playing: false), summary: Fixtures.emptySummary)
        h.press(.character("c"))
        let items = Menus.items(.controls, settings: h.engineState!.settings, summary: Fixtures.emptySummary)
        #expect(items.first?.label == "no classifier in this model")
        #expect(items.first?.action == nil)
        #expect(h.state.overlay == .menu(.controls, selected: 1), "the info line cannot be selected")
        h.press(.up)
        #expect(h.state.overlay == .menu(.controls, selected: 2), "moving skips the info line")
    }

    @Test func clampToggleBranches() {
        var h = Harness()
        h.press(.character("x"))
        var expected = Fixtures.settings
        expected.clamp = false
        #expect(h.engine.sent == [.branch(expected)])
        #expect(h.state.status?.text == "new branch from step 137: clamp off")
    }

    @Test func reseedIsDeterministicAndNew() {
        var a = Harness(), b = Harness()
        a.press(.character("s"))
        b.press(.character("s"))
        #expect(a.engine.sent == b.engine.sent)
        guard case .reseed(let seed) = a.engine.sent.first else {
            Issue.record("expected a reseed, got \(a.engine.sent)")
            return
        }
        #expect(seed != Fixtures.settings.seed && seed < 100_000)
        a.press(.character("s"))
        #expect(a.engine.sent.count == 2 && a.engine.sent[0] != a.engine.sent[1])
    }

    @Test func inspectorWraps() {
        var h = Harness()
        h.press(.backTab)
        #expect(h.state.inspected == Fixtures.length - 1)
        h.press(.tab, .tab, .tab)
        #expect(h.state.inspected == 2)
        h.press(.character("i"))
        h.type("30")
        h.press(.enter)
        #expect(h.state.inspected == 30)
        h.press(.character("i"))
        h.type("48")
        h.press(.enter)
        #expect(h.state.inspected == 30)
        #expect(h.state.status?.isError == true)
    }

    @Test func branchesAndCompare() {
        var h = Harness()
        h.press(.character("]"))
        #expect(h.engine.sent == [.selectBranch(0)])
        h.press(.character("B"))
        #expect(h.state.compare)
        var single = Harness(Fixtures.engineState(playing: false, branches: 1))
        single.press(.character("["), .character("B"))
        #expect(single.engine.sent.isEmpty)
        #expect(!single.state.compare)
        #expect(single.state.status?.text.contains("only one branch") == true)
    }

    @Test func themeExportHelpQuit() {
        var h = Harness()
        h.press(.character("t"), .character("e"), .character("q"))
        #expect(h.effects == [.loadTheme("light"), .export, .quit])
        h.press(.character("?"))
        #expect(h.state.overlay == .help)
        h.press(.character("j"))
        #expect(h.state.overlay == .none)
        var mono = Harness()
        mono.state.colorsEnabled = false
        mono.press(.character("t"))
        #expect(mono.effects.isEmpty)
        #expect(mono.state.status?.text.contains("NO_COLOR") == true)
    }

    @Test func beforeTheEngineAnswers() {
        var h = Harness(nil)
        h.press(.right, .character("b"), .character("x"))
        #expect(h.engine.sent.isEmpty)
        #expect(h.state.overlay == .none)
        #expect(h.state.status?.text.contains("waiting") == true)
    }

    @Test func fakeEngineHandsOutEachStateOnce() {
        let engine = FakeEngine()
        #expect(engine.poll() == nil)
        engine.publish(Fixtures.engineState(current: 3))
        #expect(engine.poll()?.current == 3)
        #expect(engine.poll() == nil)
    }
}
