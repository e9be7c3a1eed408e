import Foundation
import Testing
@testable import DenoiseCore

/// Sets of controls for the pairs/triples parts of an evaluation, their judging and their outcomes.
@Suite struct ControlSetsTests {
    let targets = [
        ControlTarget(field: "name", value: "Zizzi"), ControlTarget(field: "name", value: "The Eagle"),
        ControlTarget(field: "near", value: "Zizzi"), ControlTarget(field: "near", value: "Clare Hall"),
        ControlTarget(field: "food", value: "Japanese"), ControlTarget(field: "area", value: "riverside"),
    ]

    @Test func combinationsSpanDistinctFieldsAndRepeatWithTheSeed() {
        let pairs = ControlSets.combinations(of: targets, size: 2, count: 12, seed: 3)
        #expect(pairs.count == 12)
        for set in pairs {
            #expect(Set(set.map(\.field)).count == 2)
            #expect(Set(set.map { $0.value.lowercased() }).count == 2, "name=Zizzi with near=Zizzi must not be drawn")
        }
        #expect(Set(pairs.map { $0.sorted { $0.field < $1.field } }).count == 12, "sets are distinct")
        #expect(pairs == ControlSets.combinations(of: targets, size: 2, count: 12, seed: 3))
        #expect(pairs != ControlSets.combinations(of: targets, size: 2, count: 12, seed: 4))
        let triples = ControlSets.combinations(of: targets, size: 3, count: 5, seed: 3)
        #expect(triples.count == 5 && triples.allSatisfy { Set($0.map(\.field)).count == 3 })
        // Four fields cannot make a set of five.
        #expect(ControlSets.combinations(of: targets, size: 5, count: 3, seed: 1).isEmpty)
    }

    /// A value whose own words are missing from the vocabulary cannot be written: it is not in
    /// the menu, and asking for it is a one-line error naming the missing word.
    @Test func valuesTheModelCannotWriteAreNotOffered() throws {
        let vocabulary = TinyModel.vocabulary
        #expect(ControlSets.missingWords(of: ControlTarget(field: "near", value: "Café Adriatic"), vocabulary: vocabulary) == ["Café", "Adriatic"])
        #expect(ControlSets.missingWords(of: ControlTarget(field: "food", value: "Italian"), vocabulary: vocabulary).isEmpty)
        // Values judged by paraphrase need no words of their own.
        #expect(ControlSets.missingWords(of: ControlTarget(field: "familyFriendly", value: "yes"), vocabulary: vocabulary).isEmpty)
        #expect(ControlSets.missingWords(of: ControlTarget(field: "priceRange", value: "high"), vocabulary: vocabulary).isEmpty)

        let tiny = TinyModel.make(classifier: true)
        var config = try #require(tiny.classifier).config
        config.fields[0].values.append("Japanese")
        let classifier = Classifier(config: config, sequenceLength: tiny.config.sequenceLength, embeddingDim: tiny.config.embeddingDim,
                                    diffusionSteps: tiny.config.diffusionSteps)
        let model = DiffusionModel(name: "tiny", denoiser: tiny.denoiser, vocabulary: tiny.vocabulary, classifier: classifier)
        #expect(model.summary.fields.first { $0.name == "food" }?.values == ["French", "Italian"])
        var settings = ChainSettings(seed: 1, steps: 5)
        settings.controls = [ControlTarget(field: "food", value: "Japanese")]
        #expect(throws: DenoiseError.invalid("food=Japanese cannot be written by this model: \"Japanese\" not in its vocabulary (choose another value)")) {
            _ = try ReverseChain(model: model, settings: settings)
        }
    }

    @Test func aSetIsMetOnlyWhenEveryControlIs() {
        let set = [ControlTarget(field: "name", value: "Travellers Rest Beefeater"), ControlTarget(field: "food", value: "Japanese")]
        #expect(ControlSets.meets(set, text: "Travellers Rest Beefeater serves Japanese food ."))
        #expect(!ControlSets.meets(set, text: "Bibimbap Rest Beefeater serves Japanese food ."))
        #expect(!ControlSets.meets(set, text: "Travellers Rest Beefeater serves French food ."))
    }

    @Test func anOutcomeEncodesItsRateAndDecodesUnchanged() throws {
        let outcome = ControlOutcome(controls: ["name=Zizzi", "food=Japanese"], samples: 4, successes: 1,
                                     perControl: ["name=Zizzi": 0.25, "food=Japanese": 1])
        #expect(outcome.rate == 0.25)
        let data = try JSONEncoder().encode(outcome)
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        #expect(object?["rate"] as? Double == 0.25 && (object?["perControl"] as? [String: Double])?["food=Japanese"] == 1)
        #expect(try JSONDecoder().decode(ControlOutcome.self, from: data) == outcome)
    }

    @Test func theControlResultNamesItsWeakAndWorstValues() {
        let targets = [TargetEvaluation(field: "food", value: "Japanese", hits: 4, samples: 4),
                       TargetEvaluation(field: "name", value: "Zizzi", hits: 1, samples: 4),
                       TargetEvaluation(field: "area", value: "riverside", hits: 2, samples: 4)]
        let control = ControlEvaluation(perTarget: 4, guidance: GuidanceSettings(), minimumExamples: 0, targets: targets, fields: [],
                                        success: nil, fluency: nil, unguidedFluency: nil, millisecondsPerGuidedStep: nil, cores: 1)
        #expect(control.weakTargets.map(\.value) == ["Zizzi", "riverside"])
        #expect(control.worst?.value == "Zizzi")
    }
}
