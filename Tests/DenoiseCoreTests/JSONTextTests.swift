import Foundation
import Testing
@testable import DenoiseCore

/// Invalid UTF-8 inside a JSON string, in every JSON file the program reads, is a `DenoiseError`
/// naming the file (Swift 6.0's JSONDecoder would stop the process on these bytes).
@Suite struct JSONTextTests {
    /// `{"k": "a<bytes>b"}` with raw bytes inside the string.
    static func object(with bytes: [UInt8]) -> Data { Data(#"{"k": "a"#.utf8) + Data(bytes) + Data(#"b"}"#.utf8) }

    @Test func acceptsUTF8AndRejectsEveryKindOfMalformedSequence() {
        #expect(JSONText.isUTF8(Data("{\"w\": \"café ☕ 𝄞\"}".utf8)))
        #expect(JSONText.isUTF8(Data()))
        for bad: [UInt8] in [[0xFF], [0xC3], [0x80], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x98]] {
            #expect(!JSONText.isUTF8(Self.object(with: bad)), "accepted \(bad)")
        }
    }

    @Test func everyModelFileRejectsInvalidUTF8WithItsName() throws {
        let model = TinyModel.make(classifier: false)
        let dir = try TinyModel.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = try TinyModel.writeFolder(model, in: dir)
        let folder = ModelFolder(path: path)
        for name in [ModelFolder.configFile, ModelFolder.vocabFile] {
            let file = folder.file(name)
            let original = try Data(contentsOf: URL(fileURLWithPath: file))
            // The first string's first character becomes 0xFF.
            var bytes = [UInt8](original)
            let quote = try #require(bytes.firstIndex(of: UInt8(ascii: "\"")))
            bytes[quote + 1] = 0xFF
            try Data(bytes).write(to: URL(fileURLWithPath: file))
            #expect(throws: DenoiseError.corrupt(file: file, JSONText.accepted)) { try DiffusionModel.load(path: path) }
            try original.write(to: URL(fileURLWithPath: file))
        }
        _ = try DiffusionModel.load(path: path)
    }

    @Test func safetensorsHeaderAndTraceRejectInvalidUTF8() throws {
        let header = Data(#"{"__metadata__": {"k": "a"#.utf8) + Data([0xFF]) + Data(#""}}"#.utf8)
        let weights = SafetensorsBytes.file(headerJSON: header, data: Data())
        #expect(throws: DenoiseError.corrupt(file: "w.safetensors", JSONText.accepted)) {
            try Safetensors.decode(weights, file: "w.safetensors")
        }
        let dir = try TinyModel.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let trace = dir + "/trace.jsonl"
        try Self.object(with: [0xFF, 0xFE]).write(to: URL(fileURLWithPath: trace))
        #expect(throws: DenoiseError.corrupt(file: trace, JSONText.accepted)) { try Trace.read(path: trace) }
    }
}
