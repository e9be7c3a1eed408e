import Foundation
import Testing
@testable import DenoiseCore

/// Sets of controls for the pairs/triples parts of `denoise eval`, and their judging and report.
@Suite struct ControlEvaluationTests {
    let targets = [
        ControlTarget(field: "name", value: "Zizzi"), ControlTarget(field: "name", value: "The Eagle"),
        ControlTarget(field: "near", value: "Zizzi"), ControlTarget(field: "near", value: "Clare Hall"),
        ControlTarget(field: "food", value: "Japanese"), ControlTarget(field: "area", value: "riverside"),
    ]

    @Test func combinationsSpanDistinctFieldsAndRepeatWithTheSeed() {
        let pairs = ControlEvaluation.combinations(of: targets, size: 2, count: 12, seed: 3)
        #expect(pairs.count == 12)
        for set in pairs {
            #expect(Set(set.map(\.field)).count == 2)
            #expect(Set(set.map { $0.value.lowercased() }).count == 2, "name=Zizzi with near=Zizzi must not be drawn")
        }
        #expect(Set(pairs.map { $0.sorted { $0.field < $1.field } }).count == 12, "sets are distinct")
        #expect(pairs == ControlEvaluation.combinations(of: targets, size: 2, count: 12, seed: 3))
        #expect(pairs != ControlEvaluation.combinations(of: targets, size: 2, count: 12, seed: 4))
        let triples = ControlEvaluation.combinations(of: targets, size: 3, count: 5, seed: 3)
        #expect(triples.count == 5 && triples.allSatisfy { Set($0.map(\.field)).count == 3 })
        // Four fields cannot make a set of five.
        #expect(ControlEvaluation.combinations(of: targets, size: 5, count: 3, seed: 1).isEmpty)
    }

    @Test func aSetIsMetOnlyWhenEveryControlIs() {
        let set = [ControlTarget(field: "name", value: "Travellers Rest Beefeater"), ControlTarget(field: "food", value: "Japanese")]
        #expect(ControlEvaluation.meets(set, text: "Travellers Rest Beefeater serves Japanese food ."))
        #expect(!ControlEvaluation.meets(set, text: "Bibimbap Rest Beefeater serves Japanese food ."))
        #expect(!ControlEvaluation.meets(set, text: "Travellers Rest Beefeater serves French food ."))
    }

    @Test func reportSummarisesAndEncodesItsKeys() throws {
        let a = ControlOutcome(controls: ["food=Japanese"], samples: 4, successes: 4, perControl: ["food=Japanese": 1])
        let b = ControlOutcome(controls: ["name=Zizzi"], samples: 4, successes: 1, perControl: ["name=Zizzi": 0.25])
        let group = ControlGroupReport(outcomes: [a, b], fluency: 0.8, stepMs: 2)
        #expect(group.mean == 0.625 && group.worst == 0.25 && group.worstControls == ["name=Zizzi"])
        #expect(group.meanPerField().map(\.field) == ["food", "name"])
        let data = try JSONEncoder().encode(ControlReport(perValue: group, pairs: group))
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        #expect(object?["perValue"] != nil && object?["pairs"] != nil)
        let first = ((object?["perValue"] as? [String: Any])?["outcomes"] as? [[String: Any]])?.first
        #expect(first?["rate"] as? Double == 1)
        #expect(try JSONDecoder().decode(ControlReport.self, from: data) == ControlReport(perValue: group, pairs: group))
    }
}
