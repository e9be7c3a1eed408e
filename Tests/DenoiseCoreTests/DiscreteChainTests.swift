import Testing
@testable import DenoiseCore

/// The masked and uniform reverse chains on tiny random models: determinism, the two kinds of
/// step, saved states, fixed positions on every step, and the masked kind's commit rules.
@Suite struct DiscreteChainTests {
    static func model(_ kind: ModelKind, length: Int = 12) throws -> DiffusionModel {
        let data = try TrainingData(examples: Fixtures.sentences.map { CorpusExample(text: $0, meaning: nil) }, length: length,
                                    minCount: 1, heldOutPercent: 0, addingMask: kind == .masked)
        var config = Fixtures.config(vocab: data.vocabulary.count, length: length)
        config.kind = kind.rawValue
        config.schedule = kind.scheduleName
        config.lengthHistogram = data.lengthHistogram
        return DiffusionModel(name: "tiny-\(kind.rawValue)", denoiser: Denoiser(config: config, seed: 9), vocabulary: data.vocabulary)
    }

    static let kinds: [ModelKind] = [.masked, .uniform]

    @Test(arguments: kinds) func sameSeedSameChain(kind: ModelKind) throws {
        let m = try Self.model(kind)
        let settings = ChainSettings(seed: 4, steps: 20)
        let a = try m.makeChain(settings: settings), b = try m.makeChain(settings: settings)
        #expect(a is DiscreteChain)
        while !a.isFinished { a.recordedStep(); b.silentStep(); #expect(a.tokenIDs(sequence: 0) == b.tokenIDs(sequence: 0)) }
        let other = try m.makeChain(settings: ChainSettings(seed: 5, steps: 20))
        other.runToEnd()
        #expect(other.tokenIDs(sequence: 0) != a.tokenIDs(sequence: 0), "another seed draws otherwise")
    }

    /// The sentence a snapshot reads as: after the last step the chain's output (what `sample`
    /// prints), before it the prediction with a masked chain's committed words in place.
    @Test(arguments: kinds) func theLastSnapshotReadsAsTheOutput(kind: ModelKind) throws {
        let m = try Self.model(kind)
        let chain = try m.makeChain(settings: ChainSettings(seed: 6, steps: 10))
        var last: StepSnapshot?
        while let snapshot = chain.next() {
            if !chain.isFinished && kind == .masked {
                for (p, token) in snapshot.xt.enumerated() where token.text != Vocabulary.mask {
                    #expect(snapshot.sentenceTokens[p].id == token.id, "committed position \(p)")
                }
                #expect(snapshot.discrete?.isOutput == false)
            }
            last = snapshot
        }
        let final = try #require(last)
        #expect(final.discrete?.isOutput == true)
        #expect(final.sentenceTokens.map(\.id) == chain.tokenIDs(sequence: 0))
    }

    @Test(arguments: kinds) func restoredStateReplays(kind: ModelKind) throws {
        let m = try Self.model(kind)
        let chain = try m.makeChain(settings: ChainSettings(seed: 2, steps: 16))
        for _ in 0..<5 { chain.silentStep() }
        let saved = chain.saveState()
        var first = [[Int32]]()
        while !chain.isFinished { chain.silentStep(); first.append(chain.tokenIDs(sequence: 0)) }
        chain.restore(saved)
        var second = [[Int32]]()
        while !chain.isFinished { chain.silentStep(); second.append(chain.tokenIDs(sequence: 0)) }
        #expect(first == second)
    }

    /// A template's words, START, END and PAD hold on every step; free positions between
    /// START and END end as words (never PAD, START, END or MASK).
    @Test(arguments: kinds) func infillHoldsOnEveryStep(kind: ModelKind) throws {
        let m = try Self.model(kind)
        var settings = ChainSettings(seed: 3, steps: 12)
        settings.lengthMode = .template("the _ is a _ pub .")
        let chain = try m.makeChain(settings: settings)
        let template = ["START", "the", nil, "is", "a", nil, "pub", ".", "END"]
        func check(_ ids: [Int32]) {
            for (p, word) in template.enumerated() where word != nil { #expect(m.vocabulary.word(ids[p]) == word!, "position \(p)") }
            for p in template.count..<m.config.sequenceLength { #expect(ids[p] == Vocabulary.padID) }
        }
        check(chain.tokenIDs(sequence: 0))
        while let snapshot = chain.next() {
            check(chain.tokenIDs(sequence: 0))
            #expect(snapshot.kind == kind && snapshot.x0.count == m.config.sequenceLength)
        }
        let ids = chain.tokenIDs(sequence: 0)
        for p in [2, 5] { #expect(ids[p] > Vocabulary.unknownID && ids[p] != m.config.maskID ?? -1, "free slot \(p) holds a word") }
    }

    @Test(arguments: kinds) func lengthIsExact(kind: ModelKind) throws {
        let m = try Self.model(kind)
        for n in [1, 4, 10] {
            var settings = ChainSettings(seed: UInt64(n), steps: 10)
            settings.lengthMode = .exact(n)
            let chain = try m.makeChain(settings: settings)
            while !chain.isFinished {
                chain.silentStep()
                let ids = chain.tokenIDs(sequence: 0)
                #expect(ids[0] == Vocabulary.startID && ids[n + 1] == Vocabulary.endID)
            }
            #expect(m.vocabulary.decode(chain.tokenIDs(sequence: 0)).count == n)
        }
    }

    /// Masked: a committed token never changes, the MASK count never rises and is 0 at the end;
    /// the schedule-following rules keep round(free * s) positions masked after each step.
    @Test(arguments: UnmaskRule.allCases) func maskedCommitsStay(rule: UnmaskRule) throws {
        let m = try Self.model(.masked)
        var settings = ChainSettings(seed: 6, steps: 8)
        settings.lengthMode = .exact(9)
        settings.unmask = rule
        let chain = try #require(try m.makeChain(settings: settings) as? DiscreteChain)
        let mask = try #require(m.config.maskID)
        var previous = chain.tokenIDs(sequence: 0)
        #expect(chain.maskedCount(sequence: 0) == 9)
        var lastCount = 9
        var k = 0
        while let snapshot = chain.next() {
            k += 1
            let ids = chain.tokenIDs(sequence: 0)
            for p in ids.indices where previous[p] != mask { #expect(ids[p] == previous[p], "committed position \(p) changed") }
            let count = chain.maskedCount(sequence: 0)
            #expect(count <= lastCount && snapshot.discrete?.maskedCount == count)
            #expect(Set(snapshot.changed) == Set(ids.indices.filter { previous[$0] == mask && ids[$0] != mask }))
            if rule != .random { #expect(count == Int((9 * chain.times[k]).rounded()), "step \(k)") }
            lastCount = count
            previous = ids
        }
        #expect(lastCount == 0)
    }

    /// The prediction is a distribution: probabilities in (0, 1], candidates sorted, MASK never
    /// predicted; MASK positions read "MASK".
    @Test func maskedSnapshotReadsAsDistributions() throws {
        let m = try Self.model(.masked)
        let chain = try m.makeChain(settings: ChainSettings(seed: 1, steps: 5))
        let start = chain.initialSnapshot()
        #expect(start.xt.contains { $0.text == "MASK" })
        let s = chain.recordedStep()
        for (p, token) in s.x0.enumerated() {
            let prob = try #require(token.probability)
            #expect(prob > 0 && prob <= 1 && token.text != "MASK")
            let probs = s.candidates[p].compactMap(\.probability)
            #expect(probs == probs.sorted(by: >) && abs(probs[0] - prob) < 1e-6)
        }
        #expect((s.discrete?.entropy.count ?? 0) == m.config.sequenceLength)
    }

    @Test func temperatureZeroIsTheMostLikelyWord() throws {
        let m = try Self.model(.uniform)
        var settings = ChainSettings(seed: 1, steps: 6)
        settings.temperature = 0
        let a = try m.makeChain(settings: settings)
        settings.seed = 1
        let b = try m.makeChain(settings: settings)
        a.runToEnd(); b.runToEnd()
        #expect(a.tokenIDs(sequence: 0) == b.tokenIDs(sequence: 0))
    }

    /// A pinned word is committed at its step and holds on every later step, through a saved
    /// state too.
    @Test(arguments: kinds) func pinHoldsFromItsStep(kind: ModelKind) throws {
        let m = try Self.model(kind)
        var settings = ChainSettings(seed: 8, steps: 10)
        settings.lengthMode = .exact(8)
        settings.pinned = [WordPin(step: 4, position: 3, word: "pub")]
        let chain = try m.makeChain(settings: settings)
        let pub = m.vocabulary.id("pub")
        var states = [ChainState]()
        while !chain.isFinished {
            chain.silentStep()
            states.append(chain.saveState())
            if chain.stepsTaken >= 4 { #expect(chain.tokenIDs(sequence: 0)[3] == pub, "step \(chain.stepsTaken)") }
        }
        chain.restore(states[5])
        chain.runToEnd()
        #expect(chain.tokenIDs(sequence: 0)[3] == pub)
    }
}
