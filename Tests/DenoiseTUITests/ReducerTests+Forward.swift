import DenoiseCore
import Testing
@testable import DenoiseTUI

/// Forward mode through the keys: the `f` menu, stepping a forward walk, editing from it, and
/// comparing an edit with its source.
@Suite struct ForwardModeReducerTests {
    @Test func fTakesTheShownSentence() {
        var h = Harness()
        h.press(.character("f"))
        let current = Fixtures.engineState().snapshot.sentenceText
        #expect(h.state.overlay == .menu(.forward(current: current, heldOut: false), selected: 0))
        #expect(h.isAt(.forward(current: current, heldOut: false), .forward(current)))
        h.press(.enter)
        #expect(h.engine.sent == [.forward(current)])
        #expect(h.state.overlay == .none)
    }

    @Test func fTakesATypedSentence() {
        var h = Harness()
        h.press(.character("f"), .character("2"))
        #expect(h.state.overlay == .prompt(Prompt(.forwardText)))
        h.press(.enter)
        #expect(h.state.status?.isError == true && h.engine.sent.isEmpty, "an empty sentence is refused")
        h.press(.character("f"), .character("2"))
        h.type("The Eagle is a pub .")
        h.press(.enter)
        #expect(h.engine.sent == [.forward("The Eagle is a pub .")])
    }

    @Test func heldOutSentenceOnlyWhenLoaded() {
        var h = Harness()
        h.press(.character("f"), .character("3"))
        #expect(h.engine.sent.isEmpty, "no held-out sentences loaded: the line cannot be chosen")
        let items = Menus.items(.forward(current: "a", heldOut: false), settings: ChainSettings(), summary: Fixtures.summary)
        #expect(items[2].action == nil && items[2].value.contains("--sentences"))
        h.press(.escape)
        h.state.heldOutSentences = ["The Eagle is a pub .", "Aromi is a coffee shop ."]
        h.press(.character("f"), .character("3"))
        guard case .forward(let text)? = h.engine.sent.last else { Issue.record("no forward request"); return }
        #expect(h.state.heldOutSentences.contains(text))
    }

    @Test func steppingAForwardWalk() {
        var h = Harness(Fixtures.forwardEngineState(current: 0))
        h.press(.left)
        #expect(h.engine.sent.isEmpty && h.state.status?.text == "already at step 0: the clean sentence")
        h.press(.right)
        #expect(h.engine.sent == [.stepForward])
        h.engineState = Fixtures.forwardEngineState(current: Fixtures.steps)
        h.press(.right)
        #expect(h.engine.sent == [.stepForward] && h.state.status?.text.contains("pure noise") == true)
        h.press(.character("e"))
        #expect(!h.effects.contains(.export) && h.state.status?.text.contains("b edits") == true)
    }

    @Test func branchingInForwardModeEditsFromTheStepShown() {
        var h = Harness(Fixtures.forwardEngineState(current: 0))
        h.press(.character("b"))
        #expect(h.state.overlay == .none && h.state.status?.text.contains("clean sentence") == true)
        h.engineState = Fixtures.forwardEngineState(current: 120)
        h.press(.character("b"), .character("s"))
        h.type("9")
        h.press(.enter)
        h.press(.up, .up, .enter)                     // back to "continue"
        var expected = Fixtures.forwardEngineState().settings
        expected.seed = 9
        #expect(h.engine.sent == [.branch(expected)])
        #expect(h.state.status?.text.contains("new branch from step 120") == true)
    }

    @Test func bComparesAnEditWithItsSource() {
        var h = Harness(Fixtures.editEngineState())
        h.press(.character("B"))
        #expect(h.state.compare)
        var single = Harness(Fixtures.forwardEngineState())
        single.press(.character("B"))
        #expect(single.state.compare, "a forward walk compares its x̂0 with the source")
    }
}
