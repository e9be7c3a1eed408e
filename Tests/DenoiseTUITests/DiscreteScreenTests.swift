import DenoiseCore
import Foundation
import Testing
@testable import DenoiseTUI

/// The playground on masked and uniform chains, and the compare screen: whole screens as text
/// (`Snapshots/`, re-recorded with DENOISE_RECORD_SNAPSHOTS=1) and the numbers they must show.
@Suite struct DiscreteScreenTests {
    let snapshots = SnapshotTests()

    func render(_ kind: ModelKind, _ width: Int, _ height: Int, current: Int = 30, state: AppState = Fixtures.appState(),
                computed: Int? = nil) -> Frame {
        Playground.renderFrame(state: state, engineState: DiscreteFixtures.engineState(kind, current: current, computed: computed),
                               summary: DiscreteFixtures.summary(kind), width: width, height: height)
    }

    func compare(_ width: Int, _ height: Int, state: AppState = Fixtures.appState(), ascii: Bool = false) -> Frame {
        var state = state
        state.ascii = ascii
        state.sideBySide = true
        let bottom = DiscreteFixtures.engineState(.masked, current: CompareScreen.lockstep(137, of: 200, to: 48))
        return Playground.renderCompare(state: state,
                                        top: CompareSide(summary: Fixtures.summary, engine: Fixtures.engineState(current: 137)),
                                        bottom: CompareSide(summary: DiscreteFixtures.summary(.masked), engine: bottom),
                                        width: width, height: height)
    }

    @Test func masked80x24() throws {
        try snapshots.assertSnapshot("masked-80x24", render(.masked, 80, 24))
    }

    @Test func masked120x40() throws {
        var state = Fixtures.appState()
        state.inspected = 5
        try snapshots.assertSnapshot("masked-120x40", render(.masked, 120, 40, state: state))
    }

    @Test func uniform80x24() throws {
        try snapshots.assertSnapshot("uniform-80x24", render(.uniform, 80, 24))
    }

    @Test func uniform120x40() throws {
        var state = Fixtures.appState()
        state.inspected = 5
        try snapshots.assertSnapshot("uniform-120x40", render(.uniform, 120, 40, state: state))
    }

    @Test func maskedTimelineASCII120x40() throws {
        var state = Fixtures.appState(ascii: true)
        state.mainView = .timeline
        try snapshots.assertSnapshot("masked-timeline-ascii-120x40", render(.masked, 120, 40, state: state))
    }

    @Test func compare80x24() throws {
        try snapshots.assertSnapshot("compare-screen-80x24", compare(80, 24))
    }

    @Test func compare120x40() throws {
        try snapshots.assertSnapshot("compare-screen-120x40", compare(120, 40))
    }

    /// The header names the kind; the noise panel counts the masked positions, all of them at
    /// step 0 and none at the end; MASK is drawn with the mask glyph, ASCII without UTF-8.
    @Test func maskedNumbersComeFromTheChain() {
        let start = render(.masked, 120, 40, current: 0).text
        #expect(start.contains("e2e-masked (1.41M) · masked"))
        #expect(start.contains("masked 48/48"))
        let stripRows = start.split(separator: "\n").filter { $0.hasPrefix(" x_t") }
        #expect(!stripRows.isEmpty && stripRows.allSatisfy { $0.contains(Glyphs.unicode.mask) && !$0.contains("MASK") })
        let end = render(.masked, 120, 40, current: 48).text
        #expect(end.contains("masked 0/48") && end.contains("unmasked 48/48"))
        let mid = DiscreteFixtures.engineState(.masked, current: 30)
        let stillMasked = mid.snapshot.discrete!.maskedCount
        #expect(stillMasked > 0 && stillMasked < 48)
        #expect(render(.masked, 120, 40).text.contains("masked \(stillMasked)/48"))
        var ascii = Fixtures.appState(ascii: true)
        ascii.inspected = 0
        let plain = render(.masked, 80, 24, current: 0, state: ascii).text
        #expect(plain.contains(Glyphs.ascii.mask) && !plain.contains("░"))
    }

    /// The inspector lists the position's top words with their probabilities and when it was
    /// committed, with the probability then.
    @Test func inspectorShowsCandidatesAndCommit() {
        var state = Fixtures.appState()
        state.inspected = 5
        let text = render(.masked, 120, 40, state: state).text
        let snapshot = DiscreteFixtures.engineState(.masked, current: 30).snapshot
        let top = snapshot.candidates[5][0]
        #expect(text.contains(top.text) && text.contains(Describe.fixed(Double(top.probability!), 2)))
        let commit = DiscreteFixtures.commitStep(5)
        #expect(commit <= 30)
        #expect(text.contains("committed at step \(commit)"))
        let p = DiscreteFixtures.probability(5, commit)
        #expect(text.contains("\(Fixtures.targetWord(5)) (step \(commit), p \(Describe.fixed(Double(p), 2)))"))
    }

    @Test func geometryViewSaysItIsForContinuousModels() {
        var state = Fixtures.appState()
        state.mainView = .geometry
        #expect(render(.uniform, 120, 40, state: state).text.contains("The geometry view is for continuous models."))
    }

    /// With a control, E on the controls tells how this kind's guidance acts, with the step's
    /// own score and nudge: exact scores at commits (masked) or changes (uniform), or first-order.
    @Test(arguments: [ModelKind.masked, .uniform]) func controlsPageTellsThisKindsGuidance(kind: ModelKind) throws {
        var engine = DiscreteFixtures.engineState(kind)
        engine.settings.controls = [ControlTarget(field: "food", value: "Italian")]
        engine.settings.guidance.candidates = GuidanceSettings.defaultCandidates(for: kind)
        engine.settings.guidance.weight = GuidanceSettings.defaultWeight(for: kind)
        var snapshot = engine.history[engine.current]
        snapshot.scores = ["food=Italian": 0.83]
        snapshot.guidanceNorm = kind == .masked ? 0 : 1.25
        engine.history[engine.current] = snapshot
        let page = try #require(Explain.page(.controls, state: Fixtures.appState(), engine: engine, summary: DiscreteFixtures.summary(kind)))
        let text = page.paragraphs.joined(separator: " ")
        #expect(text.contains("p(food=Italian | x_t) = 0.83"))
        #expect(!text.contains("latent"), "no latent on a \(kind) chain")
        if kind == .masked {
            #expect(text.contains("among 64 candidates") && text.contains("w = 3"))
            #expect(text.contains("nudge 0: no position committed"))
        } else {
            #expect(text.contains("among the 64 likeliest others") && text.contains("w = 8") && text.contains("nudge 1.25"))
        }
        engine.settings.guidance.candidates = 0
        let firstOrder = try #require(Explain.page(.controls, state: Fixtures.appState(), engine: engine, summary: DiscreteFixtures.summary(kind)))
        #expect(firstOrder.paragraphs.joined(separator: " ").contains("first-order gain"))
    }

    @Test func lockstepFollowsTheFractionOfTheChain() {
        #expect(CompareScreen.lockstep(100, of: 200, to: 48) == 24)
        #expect(CompareScreen.lockstep(200, of: 200, to: 48) == 48)
        #expect(CompareScreen.lockstep(0, of: 200, to: 48) == 0)
        #expect(CompareScreen.lockstep(3, of: 4, to: 10) == 8)
    }

    /// Each half is titled with its model, kind and own step, and keeps its own reads line.
    @Test func compareHalvesAreTitledAndRead() {
        for (w, h) in [(80, 24), (120, 40)] {
            let text = compare(w, h).text
            #expect(text.contains("e2e (0.95M) · continuous · step 137/200"))
            #expect(text.contains("e2e-masked (1.41M) · masked · step 33/48"))
            #expect(text.components(separatedBy: " reads ").count - 1 == 2)
        }
        #expect(compare(120, 40).text.components(separatedBy: "controls").count >= 3)
    }

    @Test func tooSmallCompareScreenSaysSo() {
        #expect(compare(60, 20).text.contains("too small"))
    }
}

/// `K` and the compare screen's keys, through the pure reducer.
@Suite struct CompareReducerTests {
    func reduce(_ state: AppState, _ command: Command, engine: EngineState? = Fixtures.engineState(playing: false))
        -> (AppState, [Effect]) {
        Reducer.reduce(state, command, engine: engine, summary: Fixtures.summary)
    }

    @Test func kOpensTheMenuOfBundledModelsAndEnterLoadsOne() {
        var state = Fixtures.appState()
        state.bundledModels = ["Models/e2e", "Models/e2e-masked", "Models/e2e-uniform"]
        let (menu, none) = reduce(state, .compareMenu)
        #expect(none.isEmpty)
        guard case .menu(.compareModels(let paths), _) = menu.overlay else { Issue.record("no menu: \(menu.overlay)"); return }
        #expect(paths == state.bundledModels)
        let (picked, effects) = reduce(menu, .menuShortcut("2"))
        #expect(effects == [.openCompare("Models/e2e-masked")])
        #expect(picked.overlay == .none)
    }

    @Test func withoutBundledModelsTheMenuSaysSo() {
        let (menu, _) = reduce(Fixtures.appState(), .compareMenu)
        guard case .menu(let kind, _) = menu.overlay else { Issue.record("no menu"); return }
        let items = Menus.items(kind, settings: Fixtures.settings, summary: Fixtures.summary)
        #expect(items.count == 1 && items[0].action == nil && items[0].label == "no bundled models")
    }

    @Test func compareScreenKeysMoveTheFirstChainAndOthersAreRefused() {
        var state = Fixtures.appState()
        state.sideBySide = true
        #expect(reduce(state, .stepForward).1 == [.send(.stepForward)])
        #expect(reduce(state, .toEnd).1 == [.send(.toEnd)])
        #expect(reduce(state, .togglePlay).1 == [.send(.play(stepsPerSecond: state.speed))])
        let (refused, none) = reduce(state, .branchMenu)
        #expect(none.isEmpty && refused.overlay == .none && refused.status?.text.contains("K or Esc") == true)
        let (back, effects) = reduce(state, .compareMenu)
        #expect(effects == [.closeCompare] && !back.sideBySide)
        let (escaped, closing) = reduce(state, .dismiss)
        #expect(closing == [.closeCompare] && !escaped.sideBySide)
    }

    @Test func branchMenuOfAMaskedModelOffersTheUnmaskRule() {
        var state = Fixtures.appState()
        let engine = DiscreteFixtures.engineState(.masked)
        let summary = DiscreteFixtures.summary(.masked)
        state = Reducer.reduce(state, .branchMenu, engine: engine, summary: summary).0
        let items = Menus.items(.branch, settings: state.draft!, summary: summary)
        #expect(items.contains { $0.label == "unmask rule" && $0.value.hasPrefix("confidence") })
        #expect(!items.contains { $0.label == "clamp" || $0.label == "sampler" })
        state = Reducer.reduce(state, .menuShortcut("r"), engine: engine, summary: summary).0
        #expect(state.draft?.unmaskRule == .margin)
    }
}
