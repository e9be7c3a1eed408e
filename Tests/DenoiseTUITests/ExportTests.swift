import DenoiseCore
import Foundation
import Testing
@testable import DenoiseTUI

@Suite struct ExportTests {
    func last(_ objects: [[String: Any]]) -> [String: Any] { objects[objects.count - 1] }

    @Test func writesTraceAndTable() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("denoise-export-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let engine = Fixtures.engineState(current: 200)
        let files = try TraceExport.write(engine, summary: Fixtures.summary, directory: directory.path)
        #expect(files.trace.hasSuffix("/denoise-trace-42-2.jsonl"))
        #expect(files.table.hasSuffix("/denoise-trace-42-2.txt"))

        let lines = try String(contentsOfFile: files.trace, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 202)
        let objects = try lines.map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        let first = objects[0]
        for key in ["step", "t", "alphaBar", "snrDB", "xt", "x0", "distance", "margin", "changed", "scores"] {
            #expect(first[key] != nil, "missing \(key)")
        }
        #expect((first["x0"] as? [Any])?.isEmpty == true, "step 0 has no prediction")
        let replayed = try Trace.read(path: files.trace)
        #expect(replayed.snapshots.count == 201 && replayed.text == last(objects)["text"] as? String)
        let step100 = objects[100]
        #expect(step100["step"] as? Int == 100)
        #expect((step100["x0"] as? [String])?.count == Fixtures.length)
        #expect((step100["distance"] as? [Double])?.count == Fixtures.length)
        #expect((step100["scores"] as? [String: Double])?["food=Italian"] != nil)
        let last = last(objects)
        #expect(last["final"] as? Bool == true)
        #expect(last["text"] as? String == "The Golden Palace is a family friendly Italian restaurant near the river . It has a high customer rating and serves cheap food .")

        let table = try String(contentsOfFile: files.table, encoding: .utf8)
        #expect(table.hasPrefix("denoise trace: model e2e, seed 42, branch 2, 200 steps"))
        #expect(table.contains("food=Italian"))
        #expect(table.split(separator: "\n").count == 2 + 1 + 201, "title, final text, column header, one row per step")
    }
}
