import Foundation
import Testing
@testable import DenoiseCore

@Suite struct ForwardProcessTests {
    static let sentence = "The Eagle serves Italian food ."

    static func source(_ model: DiffusionModel, _ text: String = sentence) throws -> SourceSentence {
        try SourceSentence(text: text, vocabulary: model.vocabulary, sequenceLength: model.config.sequenceLength)
    }

    /// Over N walks with different seeds, x_t at each step has mean sqrt(abar) x0 and covariance
    /// (1 - abar) I. Per coordinate, Z = sqrt(N) (mean - sqrt(abar) x0) / sqrt(1 - abar) is N(0, 1),
    /// so the sum of Z^2 over the M = L*D coordinates is chi^2(M) (mean M, sd sqrt(2M)): accepted
    /// below M + 5 sqrt(2M). The sample variance over sigma^2 has sd sqrt(2/(N-1)) per coordinate,
    /// its mean over M independent coordinates sd sqrt(2/((N-1) M)): accepted within 5 of those,
    /// and so is the mean product of neighbouring coordinates (sd 1/sqrt(N (M-1))).
    @Test func marginalMeanAndVarianceMatchTheForwardProcess() throws {
        let model = TinyModel.make(length: 8)
        let source = try Self.source(model)
        let n = 500, steps = 3
        let m = model.config.sequenceLength * model.config.embeddingDim
        var x0 = [Float](repeating: 0, count: m)
        x0.withUnsafeMutableBufferPointer { source.embed(into: $0.baseAddress!, model: model) }
        var sums = [[Double]](repeating: [Double](repeating: 0, count: m), count: steps)
        var squares = sums
        var alphaBars = [Double]()
        var samples = [[[Float]]](repeating: [], count: steps)
        for seed in 1...n {
            let process = try ForwardProcess(model: model, source: source, seed: UInt64(seed), steps: steps)
            alphaBars = process.schedule.alphaBars
            for k in 0..<steps {
                _ = process.step()
                let x = process.latent.array
                samples[k].append(x)
                for j in 0..<m { sums[k][j] += Double(x[j]); squares[k][j] += Double(x[j]) * Double(x[j]) }
            }
        }
        let dm = Double(m), dn = Double(n)
        for k in 0..<steps {
            let a = alphaBars[k], variance = 1 - a
            var chi2 = 0.0, varianceRatio = 0.0, neighbour = 0.0
            for j in 0..<m {
                let mean = sums[k][j] / dn
                let z = (mean - a.squareRoot() * Double(x0[j])) / (variance / dn).squareRoot()
                chi2 += z * z
                varianceRatio += (squares[k][j] - dn * mean * mean) / (dn - 1) / variance
            }
            varianceRatio /= dm
            for x in samples[k] {
                for j in 0..<(m - 1) {
                    let u = Double(x[j]) - a.squareRoot() * Double(x0[j]), v = Double(x[j + 1]) - a.squareRoot() * Double(x0[j + 1])
                    neighbour += u * v / variance
                }
            }
            neighbour /= dn * (dm - 1)
            #expect(chi2 < dm + 5 * (2 * dm).squareRoot(), "step \(k + 1): chi^2 of the mean \(chi2) over \(m) coordinates")
            #expect(abs(varianceRatio - 1) < 5 * (2 / ((dn - 1) * dm)).squareRoot(), "step \(k + 1): variance ratio \(varianceRatio)")
            #expect(abs(neighbour) < 5 / (dn * (dm - 1)).squareRoot(), "step \(k + 1): neighbour covariance \(neighbour)")
        }
    }

    /// One walk is one noise draw: (x_t - sqrt(abar) x0) / sqrt(1 - abar) is the same eps at
    /// every step, and another seed gives another eps.
    @Test func oneDrawGivesOneContinuousWalk() throws {
        let model = TinyModel.make()
        let source = try Self.source(model)
        func epsilons(seed: UInt64) throws -> [[Float]] {
            let process = try ForwardProcess(model: model, source: source, seed: seed, steps: 10)
            let x0 = process.x0.array
            var out = [[Float]]()
            while process.step() != nil {
                let a = Float(process.schedule.alphaBars[process.stepsTaken - 1])
                out.append(zip(process.latent.array, x0).map { ($0 - a.squareRoot() * $1) / (1 - a).squareRoot() })
            }
            return out
        }
        let walk = try epsilons(seed: 5)
        #expect(walk.count == 10)
        for eps in walk.dropFirst() {
            #expect(zip(eps, walk[0]).allSatisfy { abs($0 - $1) < 2e-3 })
        }
        let other = try epsilons(seed: 6)
        #expect(zip(other[3], walk[3]).contains { abs($0 - $1) > 0.1 })
    }

    @Test func walkRunsCleanToNoiseWithSnapshots() throws {
        let model = TinyModel.make()
        let process = try ForwardProcess(model: model, source: try Self.source(model), seed: 1, steps: 20)
        let walk = process.walk()
        #expect(walk.map(\.snapshot.step) == Array(1...20))
        #expect(walk.first?.snapshot.t == 0 && walk.last?.snapshot.t == 99)
        #expect(zip(walk, walk.dropFirst()).allSatisfy { $0.snapshot.alphaBar > $1.snapshot.alphaBar })
        // At t = 0 (alpha-bar 0.99) the latent is the sentence plus a little noise: it rounds back.
        #expect(walk[0].kept > 0.8)
        #expect(walk.allSatisfy { $0.snapshot.xt.count == 16 && $0.snapshot.x0.count == 16 })
        #expect(process.step() == nil)
    }

    static func step(_ k: Int, xt: [Int32], x0: [Int32]) -> ForwardStep {
        func tokens(_ ids: [Int32]) -> [RoundedToken] { ids.map { RoundedToken(id: $0, text: "\($0)", distance: 0, margin: 0) } }
        let s = StepSnapshot(step: k, totalSteps: 4, t: k, alphaBar: 0.5, sigma: 0.5, snrDB: 0, xt: tokens(xt), x0: tokens(x0),
                             candidates: [], changed: [], scores: [:], fieldGuesses: [], guidanceNorm: 0, clamped: false)
        return ForwardStep(snapshot: s, kept: 0, x0Kept: 0)
    }

    /// A word that flickers back counts as lost at its first miss and gone after its last hit;
    /// a word never lost reports nil for both.
    @Test func wordLossStepsFirstMissAndForGood() throws {
        let model = TinyModel.make()
        let source = try Self.source(model, "The Eagle")
        let (s, a, b, e, p) = (Vocabulary.startID, source.ids[1], source.ids[2], Vocabulary.endID, Vocabulary.padID)
        let pad = [Int32](repeating: p, count: 12)
        let walk = [
            Self.step(1, xt: [s, a, b, e] + pad, x0: [s, a, b, e] + pad),
            Self.step(2, xt: [s, e, b, e] + pad, x0: [s, a, b, e] + pad),
            Self.step(3, xt: [s, a, b, e] + pad, x0: [s, a, b, e] + pad),
            Self.step(4, xt: [s, e, e, e] + pad, x0: [s, a, b, e] + pad),
        ]
        let losses = ForwardProcess.losses(source: source, steps: walk)
        #expect(losses[0] == WordLoss(position: 1, word: "The", xtLost: 2, xtGone: 4, x0Lost: nil, x0Gone: nil))
        #expect(losses[1] == WordLoss(position: 2, word: "Eagle", xtLost: 4, xtGone: 4, x0Lost: nil, x0Gone: nil))
    }

    @Test func sentenceErrorsSayWhatIsAccepted() throws {
        let model = TinyModel.make()
        #expect(throws: DenoiseError.invalid("words \"Zebra\", \"Quux\" are not in the model's vocabulary (\(model.vocabulary.count) words; words are case-sensitive)")) {
            try Self.source(model, "The Zebra serves Quux food . Zebra")
        }
        #expect(throws: DenoiseError.self) { try Self.source(model, "   ") }
        let long = Array(repeating: "The", count: 15).joined(separator: " ")
        #expect(throws: DenoiseError.invalid("the sentence has 15 tokens: accepted at most 14 for this model (L = 16, START and END take two)")) {
            try Self.source(model, long)
        }
        _ = try Self.source(model, Array(repeating: "The", count: 14).joined(separator: " "))
        let source = try Self.source(model)
        for bad in [0, -0.1, 1.0001, .nan, .infinity] {
            #expect(throws: DenoiseError.self) { try SentenceEdit(source: source, strength: bad) }
        }
        _ = try SentenceEdit(source: source, strength: 1)
    }

    /// An edit at strength S starts at the respaced step whose time index is nearest S*T - 1,
    /// its first step runs at that t, and its latent is the forward walk's x_t there (same seed,
    /// same steps) on the sentence's positions.
    @Test func editStartsAtTheStepMatchingStrength() throws {
        let model = TinyModel.make()
        let source = try Self.source(model)
        let steps = 20
        for strength in [0.03, 0.3, 0.5, 0.77, 1.0] {
            let edit = try SentenceEdit(source: source, strength: strength)
            let settings = edit.settings(ChainSettings(seed: 3, steps: steps))
            #expect(settings.lengthMode == .exact(source.wordCount))
            let chain = try ReverseChain(model: model, settings: settings, batch: 2)
            let index = try chain.startEdit(edit)
            let target = strength * 100 - 1
            let nearest = chain.schedule.timesteps.map { abs(Double($0) - target) }.min()!
            #expect(abs(Double(chain.schedule.timesteps[index]) - target) == nearest)
            #expect(chain.nextScheduleIndex == index)
            #expect(chain.stepsTaken == steps - 1 - index)
            if strength == 1 { #expect(index == steps - 1) }
            #expect(chain.initialSnapshot().t == chain.schedule.timesteps[index])

            let forward = try ForwardProcess(model: model, source: source, seed: 3, steps: steps)
            for _ in 0...index { _ = forward.step() }
            let d = model.config.embeddingDim, per = model.config.sequenceLength * d
            let latent = chain.latent.array
            let wordRows = source.wordPositions.lowerBound * d..<source.wordPositions.upperBound * d
            #expect(zip(latent[wordRows], forward.latent.array[wordRows]).allSatisfy { abs($0 - $1) < 1e-5 })
            // Sample 1 has a noise draw of its own.
            #expect(zip(latent[wordRows], latent[(per + wordRows.lowerBound)..<(per + wordRows.upperBound)]).contains { abs($0 - $1) > 1e-3 })

            let first = chain.recordedStep()
            #expect(first.t == chain.schedule.timesteps[index])
            var taken = 1
            while !chain.isFinished { chain.silentStep(); taken += 1 }
            #expect(taken == index + 1)
            #expect(chain.sentenceLength(sequence: 0) == source.wordCount)
        }
    }
}
