import Foundation
import Testing
@testable import DenoiseCore

/// Classifier data augmentation and the guidance stages added on top of the reference method.
@Suite struct ControlTests {
    static let labelled: [CorpusExample] = [
        ("The Eagle serves Italian food .", ["name": "The Eagle", "food": "Italian"]),
        ("The Mill is a French restaurant by the riverside .", ["name": "The Mill", "food": "French", "area": "riverside"]),
        ("Aromi is an Italian pub , near the river .", ["name": "Aromi", "food": "Italian"]),
        ("The Eagle is a French coffee shop .", ["name": "The Eagle", "food": "French"]),
        ("Blue Spice is a cheap pub in the city centre .", ["name": "Blue Spice", "area": "city centre"]),
    ].map { CorpusExample(text: $0.0, meaning: MeaningRepresentation(values: $0.1)) }

    func data() throws -> ClassifierData {
        try ClassifierData(examples: Self.labelled, vocabulary: TinyModel.vocabulary, length: 16, heldOutPercent: 0)
    }

    @Test func substitutionSwapsTheValueInTheWordsAndInTheLabel() throws {
        let data = try data()
        let vocab = TinyModel.vocabulary
        let nf = data.fields.count
        let ids = UnsafeMutablePointer<Int32>.allocate(capacity: 16), labels = UnsafeMutablePointer<Int32>.allocate(capacity: nf)
        defer { ids.deallocate(); labels.deallocate() }
        var rng = RandomSource(seed: 3)
        var swapsSeen = 0
        for k in 0..<data.trainCount {
            for _ in 0..<20 {
                let swaps = data.substituted(k, rate: 1, rng: &rng, ids: ids, labels: labels)
                swapsSeen += swaps
                let words = vocab.decode(Array(UnsafeBufferPointer(start: ids, count: 16)))
                let text = words.joined(separator: " ")
                // Every label must be stated by the words: the substitution keeps them in step.
                for (f, field) in data.fields.enumerated() where Int(labels[f]) < field.values.count {
                    let value = field.values[Int(labels[f])]
                    #expect(text.contains(value), "\(field.name)=\(value) not in \"\(text)\"")
                }
                #expect(ids[0] == Vocabulary.startID)
                #expect(words.count + 2 <= 16)
            }
        }
        #expect(swapsSeen > 0)
        // Broken multi-word mentions are labelled "none" and no longer hold the value.
        var broken = 0
        let name = try #require(data.fields.firstIndex { $0.name == "name" })
        for _ in 0..<200 {
            data.substituted(0, rate: 1, brokenShare: 1, rng: &rng, ids: ids, labels: labels)
            guard Int(labels[name]) == data.fields[name].values.count else { continue }
            broken += 1
            let text = vocab.decode(Array(UnsafeBufferPointer(start: ids, count: 16))).joined(separator: " ")
            #expect(!data.fields[name].values.contains { text.contains($0) }, "\(text)")
        }
        #expect(broken > 10)
        // Rate 0 gives the sentence and labels exactly as read.
        for k in 0..<data.trainCount {
            #expect(data.substituted(k, rate: 0, rng: &rng, ids: ids, labels: labels) == 0)
            #expect(Array(UnsafeBufferPointer(start: ids, count: 16)) == Array(data.trainIDs[(k * 16)..<((k + 1) * 16)]))
            #expect(Array(UnsafeBufferPointer(start: labels, count: nf)) == Array(data.trainLabels[(k * nf)..<((k + 1) * nf)]))
        }
    }

    func guide(_ model: DiffusionModel, batch: Int) throws -> ClassifierGuide {
        try ClassifierGuide(classifier: #require(model.classifier), controls: [ControlTarget(field: "food", value: "Italian")], batch: batch)
    }

    func randomLatent(_ model: DiffusionModel, batch: Int, seed: UInt64) -> FloatBuffer {
        let x = FloatBuffer(count: batch * model.config.sequenceLength * model.config.embeddingDim)
        var rng = RandomSource(seed: seed)
        for i in 0..<x.count { x.pointer[i] = rng.normal() }
        return x
    }

    @Test func predictionGuidanceRaisesTheTargetProbability() throws {
        let model = TinyModel.make(classifier: true)
        let guide = try guide(model, batch: 2)
        let x = randomLatent(model, batch: 2, seed: 9)
        guide.evaluate(x.pointer, t: 0)
        let before = (0..<2).map { guide.scores(sequence: $0)["food=Italian"]! }
        var g = GuidanceSettings()
        g.predictionIterations = 1; g.predictionStepSize = 0.01; g.saturating = false
        let change = guide.guidePrediction(x.pointer, settings: g)
        guide.evaluate(x.pointer, t: 0)
        let after = (0..<2).map { guide.scores(sequence: $0)["food=Italian"]! }
        #expect(change > 0)
        for b in 0..<2 { #expect(after[b] > before[b], "sequence \(b): \(before[b]) -> \(after[b])") }
    }

    /// With saturation a sign step is scaled by 1 - p(control | words), so the change is that
    /// fraction of the unsaturated one.
    @Test func saturationScalesTheStepByHowFarTheWordsAreFromTheControl() throws {
        let model = TinyModel.make(classifier: true)
        let words = randomLatent(model, batch: 1, seed: 4)
        let plainGuide = try guide(model, batch: 1), saturatedGuide = try guide(model, batch: 1)
        withExtendedLifetime(words) {
            saturatedGuide.measureUnmet(words: words.pointer)
            saturatedGuide.evaluate(words.pointer, t: 0)
        }
        let unmet = 1 - saturatedGuide.scores(sequence: 0)["food=Italian"]!
        var g = GuidanceSettings()
        g.predictionIterations = 1; g.saturating = false
        // Each latent is a named local kept alive across the call: a temporary buffer's pointer
        // outlives the buffer (Swift may free it right after `.pointer` is read).
        let plainLatent = randomLatent(model, batch: 1, seed: 5), saturatedLatent = randomLatent(model, batch: 1, seed: 5)
        let plain = withExtendedLifetime(plainLatent) { plainGuide.guidePrediction(plainLatent.pointer, settings: g) }
        g.saturating = true
        let saturated = withExtendedLifetime(saturatedLatent) { saturatedGuide.guidePrediction(saturatedLatent.pointer, settings: g) }
        #expect(unmet > 0 && unmet < 1)
        #expect(abs(saturated - unmet * plain) <= 1e-4 * plain, "\(saturated) vs \(unmet) * \(plain)")
    }

    /// Per-control saturation weights each control by its own 1 - p on the words: with those
    /// weights set by hand to (1, 0), two controls move the latent exactly as the first alone.
    /// Alternating gives the first control the first step and the second the next.
    @Test func combinationsOfControlsWeightEachTerm() throws {
        let model = TinyModel.make(classifier: true)
        let classifier = try #require(model.classifier)
        let food = ControlTarget(field: "food", value: "Italian"), area = ControlTarget(field: "area", value: "riverside")
        let both = try ClassifierGuide(classifier: classifier, controls: [food, area], batch: 1)
        let first = try ClassifierGuide(classifier: classifier, controls: [food], batch: 1)
        let second = try ClassifierGuide(classifier: classifier, controls: [area], batch: 1)
        both.controlUnmet[0] = 1; both.controlUnmet[1] = 0
        func run(_ guide: ClassifierGuide, _ combination: ControlCombination, iterations: Int = 1) -> [Float] {
            let x = randomLatent(model, batch: 1, seed: 7)
            guide.gradientSteps = 0
            _ = guide.descend(x.pointer, anchor: nil, t: 0, sigma: 1, iterations: iterations, stepSize: 0.1, lambda: 0,
                              update: .normalized, weight: 1, saturating: true, combination: combination)
            return x.array
        }
        let perControl = run(both, .perControl), alone = run(first, .sum), summed = run(both, .sum)
        #expect(zip(perControl, alone).allSatisfy { abs($0 - $1) < 1e-6 })
        #expect(zip(summed, alone).contains { abs($0 - $1) > 1e-4 }, "the sum moves the latent differently")
        // Alternating, two steps: food then area.
        let alternated = run(both, .alternate, iterations: 2)
        let x = randomLatent(model, batch: 1, seed: 7)
        first.gradientSteps = 0; second.gradientSteps = 0
        _ = first.descend(x.pointer, anchor: nil, t: 0, sigma: 1, iterations: 1, stepSize: 0.1, lambda: 0, update: .normalized,
                          weight: 1, saturating: false)
        _ = second.descend(x.pointer, anchor: nil, t: 0, sigma: 1, iterations: 1, stepSize: 0.1, lambda: 0, update: .normalized,
                           weight: 1, saturating: false)
        #expect(zip(alternated, x.array).allSatisfy { abs($0 - $1) < 1e-5 })
    }

    @Test func guidedChainsAreReproducibleAndDifferFromUnguidedOnes() throws {
        let model = TinyModel.make(classifier: true)
        func text(_ controls: [ControlTarget]) throws -> [Int32] {
            let chain = try ReverseChain(model: model, settings: ChainSettings(seed: 6, steps: 20, controls: controls))
            chain.runToEnd()
            return chain.tokenIDs(sequence: 0)
        }
        let control = [ControlTarget(field: "food", value: "Italian")]
        #expect(try text(control) == text(control))
        let chain = try ReverseChain(model: model, settings: ChainSettings(seed: 6, steps: 20, controls: control))
        let plain = try ReverseChain(model: model, settings: ChainSettings(seed: 6, steps: 20))
        chain.runToEnd(); plain.runToEnd()
        #expect(Array(UnsafeBufferPointer(start: chain.latent.pointer, count: chain.latent.count))
                != Array(UnsafeBufferPointer(start: plain.latent.pointer, count: plain.latent.count)))
    }
}
