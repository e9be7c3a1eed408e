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
        #expect(lines.count == 203, "header, steps 0...200, final line")
        let objects = try lines.map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        let header = objects[0]
        #expect(header["header"] as? Bool == true && header["branch"] as? Int == 2 && header["parentStep"] as? Int == 90)
        let settings = try #require(header["settings"] as? [String: Any])
        #expect(settings["seed"] as? Int == 42 && settings["steps"] as? Int == 200 && settings["clamp"] as? Bool == true)
        #expect((settings["controls"] as? [[String: String]]) == [["field": "food", "value": "Italian"]])
        #expect((header["model"] as? [String: Any])?["name"] as? String == "e2e")
        #expect(header["blasCore"] as? String == BLAS.coreType && (header["program"] as? String)?.hasPrefix("denoise ") == true)
        let first = objects[1]
        for key in ["step", "t", "alphaBar", "snrDB", "xt", "x0", "distance", "margin", "changed", "scores"] {
            #expect(first[key] != nil, "missing \(key)")
        }
        #expect((first["x0"] as? [Any])?.isEmpty == true, "step 0 has no prediction")
        let replayed = try Trace.read(path: files.trace)
        #expect(replayed.snapshots.count == 201 && replayed.text == last(objects)["text"] as? String)
        #expect(replayed.header == TraceExport.header(engine, summary: Fixtures.summary))
        #expect(replayed.header?.settings == engine.settings)
        let step100 = objects[101]
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
