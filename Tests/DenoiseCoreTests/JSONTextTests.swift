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

/// Malformed strings: the other input Swift 6.0's JSONDecoder traps on (found by FuzzTests).
@Suite struct JSONStringTests {
    static func problem(_ text: String) -> String? { JSONText.stringProblem(Data(text.utf8)) }

    @Test func wellFormedStringsPass() {
        #expect(Self.problem(#"{"a\"b\\c\/d\b\f\n\r\t": "\u00e9 \uD834\uDD1E caf\u00C9", "n": [1, -2.5e3, true, null]}"#) == nil)
        #expect(Self.problem("[\"é\", \"☕\"]\n{\"x\": \"\"}") == nil)
    }

    @Test func eachMalformedStringIsNamedWithItsLine() {
        #expect(Self.problem("{\"k\u{13}\": 1}") == "line 1: a control character inside a string")
        #expect(Self.problem("{\n\"k\": \"a\tb\"}") == "line 2: a control character inside a string")
        #expect(Self.problem(#"{"k": "\x"}"#) == "line 1: an unknown escape in a string")
        #expect(Self.problem(#"{"k": "\u12"}"#) == "line 1: a \\u escape without four hex digits")
        #expect(Self.problem(#"{"k": "\uDC00"}"#) == "line 1: a lone surrogate escape in a string")
        #expect(Self.problem(#"{"k": "\uD800 x"}"#) == "line 1: a lone surrogate escape in a string")
        #expect(Self.problem(#"{"k": "\uD800\u0041"}"#) == "line 1: a lone surrogate escape in a string")
        #expect(Self.problem(#"{"k": "abc"#) == "line 1: a string that never ends")
    }

    /// A control character in the first key of config.json (line 2): on Swift 6.0.3 a crash.
    @Test func aControlCharacterInAConfigKeyIsAnError() throws {
        let model = TinyModel.make(classifier: false)
        let dir = try TinyModel.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = try TinyModel.writeFolder(model, in: dir)
        let file = ModelFolder(path: path).file(ModelFolder.configFile)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        let quote = try #require(bytes.firstIndex(of: UInt8(ascii: "\"")))
        bytes[quote + 1] = 0x13
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        #expect(throws: DenoiseError.corrupt(file: file, "not valid JSON (line 2: a control character inside a string; "
                                             + "accepted: JSON text as in RFC 8259)")) { try DiffusionModel.load(path: path) }
    }
}
