import Testing
import Foundation
@testable import DenoiseCore

/// Exact classifier guidance of masked commits (`CommitGuidance`) on tiny random models: which
/// words are candidates, that a guided draw follows the reweighted distribution, and that
/// guidance changes words but not which positions commit.
@Suite struct CommitGuidanceTests {
    /// A tiny masked model with a random classifier over food (french, italian) and area.
    static func model() throws -> DiffusionModel {
        let m = try DiscreteChainTests.model(.masked)
        var cc = Classifier.Config(fields: [.init(name: "food", values: ["french", "italian"]),
                                            .init(name: "area", values: ["river", "city"])])
        cc.hiddenSize = 8; cc.layers = 1; cc.heads = 2; cc.ffnSize = 16
        let classifier = Classifier(config: cc, sequenceLength: m.config.sequenceLength, embeddingDim: m.config.embeddingDim,
                                    diffusionSteps: m.config.diffusionSteps)
        var rng = RandomSource(seed: 77)
        classifier.params.initialise(rng: &rng)
        return DiffusionModel(name: m.name, denoiser: m.denoiser, vocabulary: m.vocabulary, classifier: classifier)
    }

    static func guidance(_ m: DiffusionModel, capacity: Int) throws -> CommitGuidance {
        let guide = try ClassifierGuide(classifier: try #require(m.classifier),
                                        controls: [ControlTarget(field: "food", value: "italian")], batch: 1)
        return CommitGuidance(guide: guide, capacity: capacity, length: m.config.sequenceLength, width: m.config.embeddingDim)
    }

    @Test func candidatesAreTheBestLogitsThenTheBestProposals() throws {
        let g = try Self.guidance(try Self.model(), capacity: 4)
        let row: [Float] = [9, 1, 5, 7, 3, 8, 2, 6]
        let proposals: [Float] = [0, 9, 0, 0, 8, 9.5, 7, 0]
        let allowed = { (j: Int) in j != 0 }   // word 0 may not stand here
        let k = g.selectCandidates(row: row, limit: 2, vocabularySize: 8, allowed: allowed)
        #expect(k == 2)
        #expect(Array(UnsafeBufferPointer(start: g.words, count: k)) == [5, 3])
        let total = g.addProposals(proposals, row: row, from: k, vocabularySize: 8, allowed: allowed)
        #expect(total == 4)
        // 5 is already a candidate; then 1 (9) and 4 (8); word 0 is never allowed.
        #expect(Array(UnsafeBufferPointer(start: g.words, count: total)) == [5, 3, 1, 4])
        #expect(Array(UnsafeBufferPointer(start: g.logits, count: total)) == [8, 7, 1, 3], "candidates keep their own logits")
    }

    /// Over a fine grid of uniforms, the guided choice picks each candidate as often as
    /// softmax(logit / T + w * log p(c | sentence with it)) says, with the log-likelihoods
    /// computed one sentence at a time (not in the batched pass `choose` makes).
    @Test func aGuidedDrawFollowsTheReweightedDistribution() throws {
        let m = try Self.model()
        let g = try Self.guidance(m, capacity: 6)
        let v = m.config.vocabSize, l = m.config.sequenceLength, d = m.config.embeddingDim
        let mask = Int32(try #require(m.config.maskID))
        var rng = RandomSource(seed: 3)
        let row = (0..<v).map { _ in rng.normal() * 2 }
        var sentence = [Int32](repeating: mask, count: l)
        sentence[0] = Vocabulary.startID; sentence[1] = 7; sentence[5] = Vocabulary.endID
        let q = 3, temperature: Float = 0.7, weight: Float = 2.5, timeIndex = 20
        let allowed = { (j: Int) in j != Int(mask) && j > Int(Vocabulary.endID) }
        let table = m.embedding(of: 0)

        // The reference: each candidate's sentence scored alone.
        let k = g.selectCandidates(row: row, limit: 6, vocabularySize: v, allowed: allowed)
        let candidates = Array(UnsafeBufferPointer(start: g.words, count: k))
        let ws = Classifier.Workspace(classifier: try #require(m.classifier), batch: 1)
        let x = FloatBuffer(count: l * d), step = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        defer { step.deallocate() }
        var expected = [Float]()
        for word in candidates {
            var s = sentence
            s[q] = word
            Embedding.forward(out: x.pointer, table: table, ids: s, count: l, width: d)
            var score: Float = 0
            g.guide.logLikelihoods(x.pointer, count: 1, t: timeIndex, workspace: ws, timesteps: step, out: &score)
            expected.append(row[Int(word)] / temperature + weight * score)
        }
        let top = expected.max()!
        let total = expected.reduce(0) { $0 + expf($1 - top) }
        expected = expected.map { expf($0 - top) / total }

        let draws = 1000
        var counts = [Int32: Int]()
        for i in 0..<draws {
            let u = (Float(i) + 0.5) / Float(draws)
            let picked = sentence.withUnsafeBufferPointer {
                g.choose(row: row, proposals: nil, vocabularySize: v, allowed: allowed, sentence: $0.baseAddress!, position: q,
                         table: table, timeIndex: timeIndex, temperature: temperature, weight: weight, u: u)
            }
            counts[picked.word, default: 0] += 1
        }
        #expect(Set(counts.keys).isSubset(of: Set(candidates)))
        for (word, p) in zip(candidates, expected) {
            let share = Float(counts[word] ?? 0) / Float(draws)
            #expect(abs(share - p) < 2e-3, "word \(word): drawn \(share), expected \(p)")
        }
        // Guidance moved the distribution away from the logits' own.
        let plain = candidates.map { expf(row[Int($0)] / temperature) }
        let plainTotal = plain.reduce(0, +)
        #expect(zip(plain, expected).contains { abs($0 / plainTotal - $1) > 0.01 })
    }

    /// The random rule decides with the same draws, guided or not, which positions commit at
    /// each step; guidance only picks their words (and, with a heavy weight, other ones).
    @Test func guidanceChangesWordsNotWhichPositionsCommit() throws {
        let m = try Self.model()
        var plain = ChainSettings(seed: 11, steps: 12)
        plain.temperature = 1
        var guided = plain
        guided.controls = [ControlTarget(field: "food", value: "italian")]
        guided.guidance.weight = 8
        guided.guidance.candidates = 8
        let a = try DiscreteChain(model: m, settings: plain, batch: 4), b = try DiscreteChain(model: m, settings: guided, batch: 4)
        #expect(a.commitGuidance == nil && b.commitGuidance != nil)
        var differ = false
        while !a.isFinished {
            a.silentStep(); b.silentStep()
            for s in 0..<4 {
                let x = a.tokenIDs(sequence: s), y = b.tokenIDs(sequence: s)
                #expect(x.map { $0 == a.maskID } == y.map { $0 == b.maskID })
                if x != y { differ = true }
            }
        }
        #expect(differ, "a weight of 8 changed some word")
    }

    /// With one free word, committed at the last step (s = 0, the time the final scores are
    /// read at), every word a candidate and a weight that drowns the denoiser's preferences,
    /// guidance commits the word the classifier likes best: no unguided chain ends with a
    /// higher probability of the control.
    @Test func guidanceCommitsTheWordTheClassifierPrefers() throws {
        let m = try Self.model()
        var plain = ChainSettings(seed: 5, steps: 1)
        plain.lengthMode = .template("the golden palace is a cheap _ restaurant .")
        plain.controls = [ControlTarget(field: "food", value: "italian")]
        plain.guidance.weight = 0   // scored, not guided
        var guided = plain
        guided.guidance.weight = 1000
        guided.guidance.candidates = m.config.vocabSize
        let a = try DiscreteChain(model: m, settings: plain, batch: 24), b = try DiscreteChain(model: m, settings: guided, batch: 24)
        a.runToEnd(); b.runToEnd()
        let unguided = a.finalScores().map { $0["food=italian"] ?? 0 }, best = b.finalScores().map { $0["food=italian"] ?? 0 }
        #expect(Set(unguided).count > 1, "the unguided chains wrote different words")
        for p in best { #expect(p >= unguided.max()! - 1e-5, "guided \(p), best unguided \(unguided.max()!)") }
    }

    /// A one-step uniform chain with one free word: where the posterior draw replaces the
    /// current word (the same draw with or without guidance), guidance (every word a candidate,
    /// a weight that drowns the denoiser) writes the word the classifier prefers instead, so no
    /// sequence ends with a lower probability of the control than without guidance.
    @Test func uniformGuidanceChoosesTheWordAChangeWrites() throws {
        let base = try DiscreteChainTests.model(.uniform)
        let m = DiffusionModel(name: base.name, denoiser: base.denoiser, vocabulary: base.vocabulary,
                               classifier: try Self.model().classifier)
        var plain = ChainSettings(seed: 5, steps: 1, temperature: 1)
        plain.lengthMode = .template("the golden palace is a cheap _ restaurant .")
        plain.controls = [ControlTarget(field: "food", value: "italian")]
        plain.guidance.weight = 0
        var guided = plain
        guided.guidance.weight = 100_000
        guided.guidance.candidates = m.config.vocabSize
        let a = try DiscreteChain(model: m, settings: plain, batch: 24), b = try DiscreteChain(model: m, settings: guided, batch: 24)
        #expect(b.commitGuidance != nil)
        let start = (0..<24).map { b.tokenIDs(sequence: $0) }
        a.runToEnd(); b.runToEnd()
        let unguided = a.finalScores().map { $0["food=italian"] ?? 0 }, steered = b.finalScores().map { $0["food=italian"] ?? 0 }
        var changed = 0, better = 0
        for s in 0..<24 {
            #expect(steered[s] >= unguided[s] - 1e-5, "sequence \(s): guided \(steered[s]), unguided \(unguided[s])")
            if a.tokenIDs(sequence: s) != start[s] { changed += 1 }
            if steered[s] > unguided[s] + 1e-5 { better += 1 }
        }
        #expect(changed > 0 && better > 0, "\(changed) sequences changed their free word, \(better) for a likelier control")
    }
}
