import Foundation
import Testing
@testable import DenoiseCore

/// The playground engine as the UI drives it: requests in through `send`, the newest state out
/// through `poll`. `waitUntilIdle` makes the asynchronous engine deterministic for tests.
@Suite struct EngineTests {
    let model = TinyModel.make()

    /// How long a test waits before it calls the engine stuck: a guard against a hung suite,
    /// never a speed requirement, so it is far above what even an emulated machine needs.
    static let hangGuard: TimeInterval = 300

    func engine(steps: Int = 20, seed: UInt64 = 1, historyCap: Int = 12_000) throws -> PlaygroundEngine {
        try PlaygroundEngine(model: model, settings: ChainSettings(seed: seed, steps: steps), historyCap: historyCap)
    }

    /// Sends the requests, waits until they are handled, and returns the newest state.
    func settle(_ e: PlaygroundEngine, _ requests: EngineRequest...) throws -> EngineState {
        for r in requests { e.send(r) }
        e.waitUntilIdle()
        return try #require(e.poll(), "the engine published nothing after \(requests)")
    }

    /// What a snapshot shows, as a comparable value (StepSnapshot is not Equatable).
    func shown(_ s: StepSnapshot) -> [String] {
        ["\(s.step) \(s.t) \(s.alphaBar) \(s.changed)", s.xt.map(\.text).joined(separator: " "), s.x0.map(\.text).joined(separator: " ")]
    }

    @Test func startsAtStepZeroWithTheStartingNoise() throws {
        let e = try engine()
        let state = try #require(e.poll(), "the first state is published before the UI starts")
        #expect(state.current == 0 && state.history.count == 1 && state.branches.count == 1)
        #expect(state.snapshot.step == 0 && state.snapshot.totalSteps == 20 && state.snapshot.x0.isEmpty)
        #expect(e.poll() == nil, "poll returns a state only once")
        // Step 0 is the same starting noise a chain with the same settings rounds.
        let chain = try ReverseChain(model: model, settings: ChainSettings(seed: 1, steps: 20))
        #expect(state.snapshot.xt == chain.initialSnapshot().xt)
    }

    @Test func steppingForwardBackAndJumping() throws {
        let e = try engine()
        var s = try settle(e, .stepForward, .stepForward, .stepForward)
        #expect(s.current == 3 && s.snapshot.step == 3 && s.history.count == 4)
        s = try settle(e, .stepBack)
        #expect(s.current == 2 && s.snapshot.step == 2 && s.history.count == 4, "history is kept when stepping back")
        s = try settle(e, .jump(to: 15))
        #expect(s.current == 15 && s.snapshot.step == 15)
        s = try settle(e, .jump(to: 5))
        #expect(s.current == 5 && s.history.count == 16)
        s = try settle(e, .jump(to: 999))
        #expect(s.current == 20 && s.snapshot.step == 20, "a jump past the end stops at the last step")
        s = try settle(e, .stepForward)
        #expect(s.current == 20, "no step past the end")
        s = try settle(e, .jump(to: -4))
        #expect(s.current == 0)
        s = try settle(e, .toEnd)
        #expect(s.current == 20)
        s = try settle(e, .toStart)
        #expect(s.current == 0 && s.history.count == 21)
        s = try settle(e, .stepBack)
        #expect(s.current == 0, "no step before the start")
    }

    @Test func historyMatchesTheChainStepByStep() throws {
        let e = try engine(seed: 5)
        let s = try settle(e, .toEnd)
        let chain = try ReverseChain(model: model, settings: ChainSettings(seed: 5, steps: 20))
        var expected = [chain.initialSnapshot()]
        expected += Array(chain)
        #expect(s.history.map(shown) == expected.map(shown))
    }

    @Test func branchWithNewSeedKeepsTheParentsHistoryUpToTheBranchPoint() throws {
        let e = try engine(seed: 1)
        let parent = try settle(e, .jump(to: 2))
        #expect(parent.current == 2)
        var settings = parent.settings
        settings.seed = 77
        let child = try settle(e, .branch(settings))
        #expect(child.branchIndex == 1 && child.branches.count == 2)
        #expect(child.branches[1].parentStep == 2 && child.branches[1].settings.seed == 77)
        #expect(child.current == 2 && child.history.count == 3)
        #expect(child.history[0...2].map(shown) == parent.history[0...2].map(shown))
        // Going on, the new seed brings new noise: the branch leaves the parent's path.
        let childEnd = try settle(e, .toEnd)
        let parentEnd = try settle(e, .selectBranch(0), .toEnd)
        #expect(parentEnd.branchIndex == 0)
        #expect(childEnd.history.count == 21 && parentEnd.history.count == 21)
        #expect(childEnd.history[3...].map { $0.xt } != parentEnd.history[3...].map { $0.xt })
        #expect(childEnd.history[0...2].map(shown) == parentEnd.history[0...2].map(shown))
    }

    @Test func branchWithSameSettingsReplaysTheParentExactly() throws {
        let e = try engine(seed: 3)
        let parent = try settle(e, .toEnd)
        _ = try settle(e, .jump(to: 6))
        let branched = try settle(e, .branch(parent.settings), .toEnd)
        #expect(branched.branchIndex == 1)
        #expect(branched.history.map(shown) == parent.history.map(shown))
    }

    @Test func branchWithBadSettingsLeavesANoteAndNoBranch() throws {
        let e = try engine()
        var bad = ChainSettings(seed: 1, steps: 20)
        bad.controls = [ControlTarget(field: "food", value: "Italian")]   // no classifier
        let s = try settle(e, .stepForward, .branch(bad))
        #expect(s.branches.count == 1 && s.branchIndex == 0)
        #expect(s.note?.contains("classifier") == true, "note: \(s.note ?? "nil")")
    }

    @Test func reseedStartsAFreshChainFromStepZero() throws {
        let e = try engine(seed: 1)
        _ = try settle(e, .jump(to: 10))
        let s = try settle(e, .reseed(123))
        #expect(s.branches.count == 2 && s.branchIndex == 1 && s.current == 0 && s.history.count == 1)
        #expect(s.settings.seed == 123)
        let chain = try ReverseChain(model: model, settings: ChainSettings(seed: 123, steps: 20))
        #expect(s.snapshot.xt == chain.initialSnapshot().xt)
    }

    @Test func selectingAMissingBranchLeavesANote() throws {
        let e = try engine()
        let s = try settle(e, .selectBranch(5))
        #expect(s.branchIndex == 0 && s.note?.contains("5") == true)
    }

    @Test func playAdvancesAndPauseStops() throws {
        let e = try engine()
        e.send(.play(stepsPerSecond: 1000))
        // 20 steps at 1000 per second; the deadline only keeps a broken engine from hanging the
        // suite (slow or emulated machines take far longer than 20 ms, and that is no failure).
        let deadline = Date().addingTimeInterval(Self.hangGuard)
        var last: EngineState? = nil
        while Date() < deadline {
            if let s = e.poll() { last = s; if s.current == 20 && !s.playing { break } }
            usleep(2000)
        }
        let s = try #require(last)
        #expect(s.current == 20 && !s.playing, "playing stops by itself at the last step")
        let paused = try settle(e, .toStart, .play(stepsPerSecond: 2), .pause)
        #expect(!paused.playing && paused.current <= 1)
    }

    @Test func historyCapDropsOldBranchesAndSaysSo() throws {
        let e = try engine(historyCap: 30)
        _ = try settle(e, .toEnd)                       // 21 stored steps
        _ = try settle(e, .reseed(2))                   // + 1
        let s = try settle(e, .toEnd)                   // + 20 > 30: the first branch must go
        #expect(s.branches.count == 1 && s.branchIndex == 0 && s.settings.seed == 2)
        #expect(s.current == 20)
        let note = try #require(s.note)
        #expect(note.contains("history cap") && note.contains("30"), "note: \(note)")
    }

    @Test func floodOfMixedRequestsCompletesWithoutDeadlockAndStaysBounded() throws {
        let cap = 100
        let e = try engine(historyCap: cap)
        var rng = RandomSource(seed: 2024)
        var requests = [EngineRequest]()
        for _ in 0..<2000 {
            switch rng.int(below: 20) {
            case 0...5: requests.append(.stepForward)
            case 6...8: requests.append(.stepBack)
            case 9: requests.append(.jump(to: rng.int(below: 30) - 5))
            case 10: requests.append(.toStart)
            case 11: requests.append(.toEnd)
            case 12: requests.append(.play(stepsPerSecond: Double(1 + rng.int(below: 2000))))
            case 13: requests.append(.pause)
            case 14: requests.append(.branch(ChainSettings(seed: UInt64(rng.int(below: 5)), steps: 20, clamp: rng.int(below: 2) == 0)))
            case 15: requests.append(.selectBranch(rng.int(below: 6) - 1))
            case 16: requests.append(.reseed(UInt64(rng.int(below: 1000))))
            case 17: requests.append(.branch(ChainSettings(seed: 1, steps: 10 + rng.int(below: 15))))
            default: requests.append(.stepForward)
            }
        }
        let done = DispatchSemaphore(value: 0)
        // Senders on two threads while a third polls like the UI does.
        let halves = [Array(requests[..<1000]), Array(requests[1000...])]
        let polled = PollCounter()
        let group = DispatchGroup()
        for half in halves {
            DispatchQueue.global().async(group: group) { for r in half { e.send(r) } }
        }
        DispatchQueue.global().async(group: group) {
            let until = Date().addingTimeInterval(1)
            while Date() < until { if let s = e.poll() { polled.record(s) }; usleep(500) }
        }
        DispatchQueue.global().async {
            group.wait()
            e.send(.pause)
            e.waitUntilIdle()
            done.signal()
        }
        // The work is bounded (2,000 requests on 20-step chains, at most `cap` stored steps);
        // how long it takes is the machine's business (`denoise bench` measures speed). The wait
        // only turns a deadlock into a failure instead of a hung suite.
        let finished = done.wait(timeout: .now() + Self.hangGuard) == .success
        #expect(finished, "the engine did not go idle within \(Int(Self.hangGuard)) s (deadlock?)")
        guard finished else { return }
        let s = try #require(e.poll() ?? polled.last)
        #expect(s.branches.count <= cap && s.history.count <= 25 && s.history.indices.contains(s.current))
        #expect(!s.playing)
        #expect(polled.maxBranches <= cap)
        // Every branch's stored steps together stay within the cap.
        var stored = 0
        for i in 0..<s.branches.count { stored += try settle(e, .selectBranch(i)).history.count }
        #expect(stored <= cap, "\(s.branches.count) branches hold \(stored) steps, cap \(cap)")
        // The engine still answers.
        let after = try settle(e, .toStart, .stepForward)
        #expect(after.current == 1)
    }
}

/// Collects what the polling thread saw.
final class PollCounter: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var last: EngineState?
    private(set) var maxBranches = 0
    func record(_ s: EngineState) {
        lock.lock(); defer { lock.unlock() }
        last = s
        maxBranches = max(maxBranches, s.branches.count)
    }
}

/// The pieces both engines share.
@Suite struct EngineLoopTests {
    @Test func mailboxHoldsOnlyTheNewestStateAndHandsItOutOnce() {
        let loop = EngineLoop(label: "test.loop")
        #expect(loop.take() == nil)
        func state(_ current: Int) -> EngineState {
            let snapshot = StepSnapshot(step: current, totalSteps: 3, t: 0, alphaBar: 1, sigma: 0, snrDB: 0, xt: [], x0: [],
                                        candidates: [], changed: [], scores: [:], fieldGuesses: [], guidanceNorm: 0, clamped: true)
            return EngineState(history: [snapshot], current: 0, branchIndex: 0, branches: [], settings: ChainSettings(),
                               playing: false, stepsPerSecond: 1, note: nil)
        }
        loop.post(state(1))
        loop.post(state(2))
        #expect(loop.take()?.snapshot.step == 2)
        #expect(loop.take() == nil)
    }

    /// PAD, START and END are left out of the sentence by id: a word that merely reads "END"
    /// (a different id) stays.
    @Test func sentenceTextLeavesOutTheMarkersById() {
        let tokens: [RoundedToken] = [(Vocabulary.startID, "START"), (9, "a"), (10, "END"), (11, "pub"),
                                      (Vocabulary.endID, "END"), (Vocabulary.padID, "PAD")]
            .map { RoundedToken(id: $0.0, text: $0.1, distance: 0, margin: 0) }
        let snapshot = StepSnapshot(step: 1, totalSteps: 1, t: 0, alphaBar: 1, sigma: 0, snrDB: 0, xt: [], x0: tokens,
                                    candidates: [], changed: [], scores: [:], fieldGuesses: [], guidanceNorm: 0, clamped: true)
        #expect(snapshot.sentenceText == "a END pub")
    }
}

/// Replaying an exported trace: no model, the recorded steps only.
@Suite struct ReplayEngineTests {
    static func settle(_ replay: ReplayEngine, _ requests: EngineRequest...) -> EngineState? {
        for r in requests { replay.send(r) }
        replay.queue.sync {}
        return replay.poll()
    }

    @Test func replayStepsThroughARecordedTraceWithItsHeader() throws {
        let model = TinyModel.make()
        let dir = try TinyModel.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var settings = ChainSettings(seed: 9, steps: 8, clamp: false, lengthMode: .exact(5))
        settings.guidance.weight = 2.5
        let chain = try ReverseChain(model: model, settings: settings)
        let snaps = Array(chain)
        let path = (dir as NSString).appendingPathComponent("trace.jsonl")
        let header = TraceHeader(model: model.summary, settings: settings)
        try Trace.write(header: header, snapshots: snaps, text: chain.text(sequence: 0), to: path)

        let read = try Trace.read(path: path)
        #expect(read.header == header && read.header?.settings.seed == 9 && read.header?.blasCore == BLAS.coreType)
        #expect(read.text == chain.text(sequence: 0))
        #expect(read.snapshots.map(\.step) == snaps.map(\.step) && read.snapshots.map(\.t) == snaps.map(\.t))
        #expect(read.snapshots.map { $0.xt.map(\.text) } == snaps.map { $0.xt.map(\.text) })
        #expect(read.snapshots.map(\.changed) == snaps.map(\.changed))
        #expect(read.snapshots.map(\.sentenceText) == snaps.map(\.sentenceText), "specials are told apart by id after reading too")

        let replay = try ReplayEngine(tracePath: path)
        let first = try #require(replay.poll())
        #expect(first.snapshot.step == 1)
        #expect(first.settings == settings, "the header's settings, not made-up ones")
        #expect(replay.summary.name == model.name && replay.summary.parameterCount == model.denoiser.parameterCount)
        #expect(replay.summary.replay == ReplaySource(file: "trace.jsonl", settingsRecorded: true))
        #expect(Self.settle(replay, .stepForward, .stepForward)?.snapshot.step == 3)
        #expect(Self.settle(replay, .stepBack)?.snapshot.step == 2)
        let end = Self.settle(replay, .toEnd)
        #expect(end?.snapshot.step == 8 && end?.branches.first?.text == snaps.last?.sentenceText)
        #expect(Self.settle(replay, .branch(ChainSettings()))?.note?.contains("replay") == true)
    }

    /// Traces written before headers existed: the steps only. The replay takes what the steps
    /// tell (controls from the score keys, clamping) and says the rest is not recorded.
    @Test func traceWithoutAHeaderStillReplays() throws {
        let dir = try TinyModel.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var snapshot = StepSnapshot(step: 1, totalSteps: 2, t: 10, alphaBar: 0.5, sigma: 0.7, snrDB: 0,
                                    xt: [], x0: [], candidates: [], changed: [], scores: ["food=Italian": 0.5],
                                    fieldGuesses: [], guidanceNorm: 0, clamped: false)
        snapshot.x0 = ["START", "a", "pub", "END", "PAD"].map {
            RoundedToken(id: Vocabulary.specialID($0) ?? 7, text: $0, distance: 1, margin: 1)
        }
        snapshot.xt = snapshot.x0
        var second = snapshot
        second.step = 2
        let path = (dir as NSString).appendingPathComponent("old.jsonl")
        let lines = [Trace.line(snapshot), Trace.line(second), Trace.finalLine(text: "a pub")]
        try Data(lines.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: path))

        let replay = try ReplayEngine(tracePath: path)
        let state = try #require(replay.poll())
        #expect(replay.header == nil && replay.summary.replay == ReplaySource(file: "old.jsonl", settingsRecorded: false))
        #expect(state.settings.controls == [ControlTarget(field: "food", value: "Italian")] && !state.settings.clamp)
        #expect(state.note?.contains("without a header") == true)
        #expect(state.branches.first?.text == "a pub")
    }
}

/// The unit of a trace's distances: L2 (not squared) from format 2 on; format-1 traces and
/// traces without a header hold squared distances and are converted on reading.
@Suite struct TraceDistanceUnitTests {
    static func close(_ a: [RoundedToken], _ b: [RoundedToken], _ tolerance: Float) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy {
            $0.text == $1.text && abs($0.distance - $1.distance) <= tolerance && abs($0.margin - $1.margin) <= tolerance
        }
    }

    /// The snapshot as format 1 wrote it: d², d2² − d1², candidates d².
    static func squared(_ s: StepSnapshot) -> StepSnapshot {
        func square(_ t: RoundedToken) -> RoundedToken {
            let second = t.distance + t.margin
            return RoundedToken(id: t.id, text: t.text, distance: t.distance * t.distance,
                                margin: second * second - t.distance * t.distance)
        }
        var s = s
        s.xt = s.xt.map(square); s.x0 = s.x0.map(square)
        s.candidates = s.candidates.map { $0.map { Candidate(text: $0.text, distance: $0.distance * $0.distance) } }
        return s
    }

    @Test func formatOneTracesReadInTheUnitOfFormatTwo() throws {
        let model = TinyModel.make()
        let dir = try TinyModel.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let settings = ChainSettings(seed: 5, steps: 6)
        let chain = try ReverseChain(model: model, settings: settings)
        let snaps = Array(chain)
        let header = TraceHeader(model: model.summary, settings: settings)
        #expect(header.format == 2)
        let current = (dir as NSString).appendingPathComponent("current.jsonl")
        try Trace.write(header: header, snapshots: snaps, text: chain.text(sequence: 0), to: current)
        var oldHeader = header
        oldHeader.format = 1
        let old = (dir as NSString).appendingPathComponent("old.jsonl")
        try Trace.write(header: oldHeader, snapshots: snaps.map(Self.squared), text: chain.text(sequence: 0), to: old)
        let headerless = (dir as NSString).appendingPathComponent("headerless.jsonl")
        try Data((snaps.map(Self.squared).map(Trace.line) + [Trace.finalLine(text: "")]).joined(separator: "\n").utf8)
            .write(to: URL(fileURLWithPath: headerless))

        let readCurrent = try Trace.read(path: current).snapshots
        // A trace rounds to 5 decimals; a squared value rounded so is off by up to
        // sqrt(0.5e-5) ~ 2.2e-3 once unsquared near 0.
        for read in [readCurrent, try Trace.read(path: old).snapshots, try Trace.read(path: headerless).snapshots] {
            #expect(read.count == snaps.count)
            for (r, s) in zip(read, snaps) {
                #expect(Self.close(r.x0, s.x0, 3e-3) && Self.close(r.xt, s.xt, 3e-3), "step \(s.step)")
                let a = r.candidates.flatMap { $0.map(\.distance) }, b = s.candidates.flatMap { $0.map(\.distance) }
                #expect(a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= 3e-3 }, "step \(s.step)")
            }
        }
        // Format 2 is written in the unit it is read in: no conversion on the way.
        for (r, s) in zip(readCurrent, snaps) { #expect(Self.close(r.x0, s.x0, 1e-5)) }
    }

    /// The chain's snapshots hold the distance to the nearest word itself, and a margin that is
    /// the runner-up's distance minus it, both checked against a direct loop over the table.
    @Test func snapshotDistancesAreL2Distances() throws {
        let model = TinyModel.make()
        let chain = try ReverseChain(model: model, settings: ChainSettings(seed: 2, steps: 6))
        let s = try #require(chain.next())
        let latent = try #require(s.latent)
        let prediction = latent.prediction
        let d = model.config.embeddingDim, v = model.vocabulary.count
        for (p, token) in s.x0.enumerated() {
            let first = latent.wordsOnly[p] ? Rounder.firstWordID : 0
            var all = (first..<v).map { w -> Float in
                let e = model.embedding(of: Int32(w))
                var sum: Float = 0
                for j in 0..<d { let diff = prediction[p * d + j] - e[j]; sum += diff * diff }
                return sum.squareRoot()
            }
            all.sort()
            #expect(abs(token.distance - all[0]) <= 1e-3 * max(1, all[0]), "position \(p)")
            #expect(abs(token.margin - (all[1] - all[0])) <= 2e-3 * max(1, all[1]), "position \(p)")
        }
    }
}

/// Forward mode in the engine: a forward walk as a branch, stepped one step per turn like a
/// chain, and edits branched from it.
@Suite struct ForwardEngineTests {
    let model = TinyModel.make()
    let helper = EngineTests()
    static let sentence = ForwardProcessTests.sentence

    func forwardEngine(steps: Int = 20, seed: UInt64 = 3) throws -> PlaygroundEngine {
        try PlaygroundEngine(model: model, settings: ChainSettings(seed: seed, steps: steps), forward: Self.sentence)
    }

    @Test func opensInForwardModeAtTheCleanSentence() throws {
        let e = try forwardEngine()
        let state = try #require(e.poll())
        #expect(state.direction == .forward && state.source == Self.sentence && state.branches[0].direction == .forward)
        #expect(state.snapshot.step == 0 && state.snapshot.alphaBar == 1 && state.snapshot.x0.isEmpty)
        #expect(state.snapshot.sentenceText == Self.sentence, "step 0 rounds the clean embeddings to the sentence")
    }

    @Test func badSentencesFailBeforeTheUIStarts() {
        #expect(throws: DenoiseError.self) {
            try PlaygroundEngine(model: model, settings: ChainSettings(steps: 20), forward: "zzqx is a pub .")
        }
        #expect(throws: DenoiseError.self) { try PlaygroundEngine(model: model, settings: ChainSettings(steps: 20), forward: " ") }
    }

    @Test func steppingMatchesTheForwardProcess() throws {
        let e = try forwardEngine()
        let source = try ForwardProcessTests.source(model)
        let walk = try ForwardProcess(model: model, source: source, seed: 3, steps: 20).walk()
        var s = try helper.settle(e, .stepForward, .stepForward, .stepForward)
        #expect(s.snapshot.step == 3 && s.history.count == 4)
        #expect(helper.shown(s.snapshot) == helper.shown(walk[2].snapshot))
        #expect(s.snapshot.latent != nil, "forward snapshots carry the 2-D geometry the views draw")
        #expect(zip(s.history.dropFirst(), s.history.dropFirst(2)).allSatisfy { $0.t < $1.t }, "t runs up")
        s = try helper.settle(e, .toEnd)
        #expect(s.snapshot.step == 20 && helper.shown(s.snapshot) == helper.shown(walk[19].snapshot))
        s = try helper.settle(e, .jump(to: 7))
        #expect(s.current == 7 && helper.shown(s.snapshot) == helper.shown(walk[6].snapshot))
        s = try helper.settle(e, .toStart)
        #expect(s.current == 0 && s.history.count == 21)
    }

    @Test func fFromAChainAddsAForwardBranch() throws {
        let e = try helper.engine(steps: 20)
        var s = try helper.settle(e, .stepForward, .forward("zzqx"))
        #expect(s.branches.count == 1 && s.note?.contains("zzqx") == true, "a bad sentence leaves a note and no branch")
        s = try helper.settle(e, .forward(Self.sentence))
        #expect(s.branches.count == 2 && s.branchIndex == 1 && s.direction == .forward && s.snapshot.step == 0)
        #expect(s.settings.seed == 1 && s.snapshot.totalSteps == 20, "the walk takes the chain's seed and steps")
        s = try helper.settle(e, .selectBranch(0))
        #expect(s.direction == .reverse && s.source == nil)
    }

    /// `b` at forward step k: the edit's chain starts at the schedule index whose t is step k's
    /// t, from exactly the x_t of step k, with the source's length fixed; it then runs as a
    /// hand-built chain started the same way does.
    @Test func branchingEditsFromTheXtOnScreen() throws {
        let e = try forwardEngine()
        let k = 12
        var s = try helper.settle(e, .jump(to: k))
        let forwardT = s.snapshot.t
        var draft = s.settings
        draft.seed = 77
        s = try helper.settle(e, .branch(draft))
        #expect(s.branches.count == 2 && s.branchIndex == 1 && s.direction == .reverse)
        #expect(s.source == Self.sentence && s.branches[1].parentStep == k)
        #expect(s.snapshot.t == forwardT, "the edit starts at the forward step's t")
        let source = try ForwardProcessTests.source(model)
        let process = try ForwardProcess(model: model, source: source, seed: 3, steps: 20)
        for _ in 0..<k { _ = process.step() }
        #expect(process.latent(atStep: k) == process.latent.array, "the x_t of step k, recomputed from the one noise draw")
        let settings = try SentenceEdit(source: source, strength: 0.5).settings(draft)
        #expect(s.settings == settings && settings.lengthMode == .exact(source.wordCount), "the source's length stays fixed")
        let chain = try ReverseChain(model: model, settings: settings)
        chain.start(atScheduleIndex: k - 1, latent: process.latent.array)
        let start = chain.initialSnapshot()
        #expect(s.snapshot.step == 20 - k && helper.shown(s.snapshot) == helper.shown(start))
        s = try helper.settle(e, .stepForward, .stepForward)
        _ = chain.next()
        #expect(helper.shown(s.snapshot) == helper.shown(chain.next()!))
        s = try helper.settle(e, .toEnd)
        #expect(s.snapshot.step == 20 && s.history.count == k + 1)
        s = try helper.settle(e, .jump(to: 0))
        #expect(s.current == 0 && s.snapshot.step == 20 - k, "the edit's history begins where its chain started")
    }

    @Test func branchingAtTheCleanSentenceIsRefused() throws {
        let e = try forwardEngine()
        let s = try helper.settle(e, .branch(ChainSettings(seed: 3, steps: 20)))
        #expect(s.branches.count == 1 && s.note?.contains("clean sentence") == true)
    }

    @Test func reseedInForwardModeWalksTheSourceAgain() throws {
        let e = try forwardEngine()
        let s = try helper.settle(e, .stepForward, .reseed(99))
        #expect(s.branches.count == 2 && s.direction == .forward && s.settings.seed == 99 && s.source == Self.sentence)
    }
}
