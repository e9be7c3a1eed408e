import Foundation
import Testing
@testable import DenoiseCore

/// Builds safetensors bytes independently of `Safetensors.encode`, so tests can write exactly
/// the malformed headers they want.
enum SafetensorsBytes {
    static func file(header: [String: Any], data: Data) -> Data {
        let json = try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        return file(headerJSON: json, data: data)
    }

    static func file(headerJSON json: Data, data: Data, headerLength: UInt64? = nil) -> Data {
        var out = Data()
        var n = (headerLength ?? UInt64(json.count)).littleEndian
        withUnsafeBytes(of: &n) { out.append(contentsOf: $0) }
        out.append(json)
        out.append(data)
        return out
    }

    /// Tensors laid out one after the other, as F32.
    static func file(tensors: [(name: String, shape: [Int], values: [Float])], metadata: [String: String]? = nil) -> Data {
        var header = [String: Any]()
        var data = Data()
        for t in tensors {
            header[t.name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [data.count, data.count + 4 * t.values.count]]
            t.values.withUnsafeBytes { data.append(contentsOf: $0) }
        }
        if let metadata { header["__metadata__"] = metadata }
        return file(header: header, data: data)
    }

    /// The tensors of a valid file, in file order.
    static func tensors(of data: Data) throws -> [(name: String, shape: [Int], values: [Float])] {
        let (decoded, _) = try Safetensors.decode(data, file: "x")
        let headerLength = Int(data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | (UInt64($1.element) << (8 * UInt64($1.offset))) })
        let header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + headerLength))) as! [String: Any]
        func begin(_ name: String) -> Int { ((header[name] as! [String: Any])["data_offsets"] as! [Int])[0] }
        return decoded.keys.sorted { begin($0) < begin($1) }.map { ($0, decoded[$0]!.shape, decoded[$0]!.values) }
    }
}

/// Every way a model folder can be broken gives one `DenoiseError` whose one-line description
/// names the file at fault and what is wrong with it.
@Suite struct ReaderErrorTests {
    /// A fresh valid model folder in its own temporary directory.
    func folder(classifier: Bool = false) throws -> (dir: String, path: String, model: DiffusionModel) {
        let model = TinyModel.make(classifier: classifier)
        let dir = try TinyModel.temporaryDirectory()
        let path = try TinyModel.writeFolder(model, in: dir)
        if let c = model.classifier { try ModelFolder(path: path).saveClassifier(c) }
        return (dir, path, model)
    }

    /// Loads the folder and checks the error names `file` and contains every keyword.
    func expectError(_ path: String, file: String, _ keywords: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try DiffusionModel.load(path: path)
            Issue.record("the broken folder loaded (expected an error about \(file))", sourceLocation: sourceLocation)
        } catch let e as DenoiseError {
            let text = e.description
            #expect(text.contains(file), "\"\(text)\" does not name \(file)", sourceLocation: sourceLocation)
            for k in keywords {
                #expect(text.lowercased().contains(k.lowercased()), "\"\(text)\" does not say \"\(k)\"", sourceLocation: sourceLocation)
            }
            #expect(!text.contains("\n"), "one line only: \(text)", sourceLocation: sourceLocation)
            #expect(!text.contains("Error Domain"), "raw Foundation error: \(text)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("not a DenoiseError: \(error)", sourceLocation: sourceLocation)
        }
    }

    func write(_ text: String, to path: String) throws { try Data(text.utf8).write(to: URL(fileURLWithPath: path)) }

    func editConfig(_ path: String, _ change: (inout [String: Any]) -> Void) throws {
        let file = ModelFolder(path: path).file(ModelFolder.configFile)
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as! [String: Any]
        change(&object)
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: file))
    }

    @Test func validFolderLoads() throws {
        let f = try folder(classifier: true)
        defer { try? FileManager.default.removeItem(atPath: f.dir) }
        let loaded = try DiffusionModel.load(path: f.path)
        #expect(loaded.config == f.model.config && loaded.vocabulary == f.model.vocabulary)
        #expect(loaded.denoiser.params.values.array == f.model.denoiser.params.values.array)
        #expect(loaded.classifier?.fields == f.model.classifier?.fields)
        #expect(loaded.classifier?.params.values.array == f.model.classifier?.params.values.array)
    }

    @Test func missingFolderAndMissingFiles() throws {
        let f = try folder()
        defer { try? FileManager.default.removeItem(atPath: f.dir) }
        expectError(f.path + "-nope", file: f.path + "-nope", ["no such model folder"])
        let notAFolder = ModelFolder(path: f.path).file(ModelFolder.vocabFile)
        expectError(notAFolder, file: "vocab.json", ["no such model folder"])
        for name in [ModelFolder.configFile, ModelFolder.vocabFile, ModelFolder.weightsFile] {
            let g = try folder()
            defer { try? FileManager.default.removeItem(atPath: g.dir) }
            try FileManager.default.removeItem(atPath: ModelFolder(path: g.path).file(name))
            expectError(g.path, file: name, ["missing"])
        }
    }

    @Test func configFileThatIsAFolderCannotBeRead() throws {
        let f = try folder()
        defer { try? FileManager.default.removeItem(atPath: f.dir) }
        let config = ModelFolder(path: f.path).file(ModelFolder.configFile)
        try FileManager.default.removeItem(atPath: config)
        try FileManager.default.createDirectory(atPath: config, withIntermediateDirectories: false)
        expectError(f.path, file: "config.json", ["cannot be read"])
    }

    @Test func garbageConfig() throws {
        let cases: [(String, [String])] = [
            ("{garbage", ["not a valid model config", "malformed JSON"]),
            ("", ["not a valid model config"]),
            ("[1, 2, 3]", ["not a valid model config"]),
            ("\u{FEFF}\u{0}\u{1}", ["not a valid model config"]),
        ]
        for (text, keywords) in cases {
            let f = try folder()
            defer { try? FileManager.default.removeItem(atPath: f.dir) }
            try write(text, to: ModelFolder(path: f.path).file(ModelFolder.configFile))
            expectError(f.path, file: "config.json", keywords)
        }
    }

    @Test func configWithMissingKeyOrWrongTypeNamesTheKey() throws {
        let edits: [((inout [String: Any]) -> Void, [String])] = [
            ({ $0.removeValue(forKey: "heads") }, ["missing key", "heads"]),
            ({ $0["layers"] = "four" }, ["wrong type", "layers"]),
            ({ $0["vocabSize"] = NSNull() }, ["vocabSize"]),
            // Foundation on Linux reports a fraction for an Int as "not valid JSON" with no key,
            // so the message cannot name the key here (see the report).
            ({ $0["hiddenSize"] = 16.5 }, ["not a valid model config"]),
        ]
        for (edit, keywords) in edits {
            let f = try folder()
            defer { try? FileManager.default.removeItem(atPath: f.dir) }
            try editConfig(f.path, edit)
            expectError(f.path, file: "config.json", keywords)
        }
    }

    @Test func configWithImpossibleArchitectureNamesTheKey() throws {
        let edits: [((inout [String: Any]) -> Void, [String])] = [
            ({ $0["heads"] = 3 }, ["heads 3", "divide"]),
            ({ $0["heads"] = 0 }, ["heads 0"]),
            ({ $0["layers"] = 0 }, ["layers 0"]),
            ({ $0["hiddenSize"] = -16 }, ["hiddenSize"]),
            ({ $0["sequenceLength"] = 2 }, ["sequenceLength 2"]),
            ({ $0["embeddingDim"] = 0 }, ["embeddingDim 0"]),
            ({ $0["ffnSize"] = 0 }, ["ffnSize 0"]),
            ({ $0["diffusionSteps"] = 1 }, ["diffusionSteps 1"]),
            ({ $0["schedule"] = "cosine" }, ["cosine", "sqrt"]),
            ({ $0["vocabSize"] = 4 }, ["vocabSize 4"]),
        ]
        for (edit, keywords) in edits {
            let f = try folder()
            defer { try? FileManager.default.removeItem(atPath: f.dir) }
            try editConfig(f.path, edit)
            expectError(f.path, file: "config.json", keywords)
        }
    }

    @Test func vocabularyProblems() throws {
        let size = TinyModel.vocabulary.count
        let cases: [(String, [String])] = [
            ("{not json", ["array of strings"]),
            ("{\"words\": []}", ["array of strings"]),
            ("[\"PAD\", \"START\", \"END\", \"UNK\", \"x\"]", ["5 words", "vocabSize \(size)"]),
            ("[\"the\", \"PAD\", \"START\", \"END\", \"UNK\"]", ["PAD, START, END, UNK"]),
            ("[\"PAD\", \"START\", \"END\", \"UNK\"" + String(repeating: ", \"dup\"", count: size - 4) + "]", ["twice", "dup"]),
        ]
        for (text, keywords) in cases {
            let f = try folder()
            defer { try? FileManager.default.removeItem(atPath: f.dir) }
            try write(text, to: ModelFolder(path: f.path).file(ModelFolder.vocabFile))
            expectError(f.path, file: "vocab.json", keywords)
        }
    }

    /// Rewrites model.safetensors from its tensors after `change`.
    func editWeights(_ path: String, _ change: (inout [(name: String, shape: [Int], values: [Float])]) -> Void) throws {
        let file = ModelFolder(path: path).file(ModelFolder.weightsFile)
        var tensors = try SafetensorsBytes.tensors(of: Data(contentsOf: URL(fileURLWithPath: file)))
        change(&tensors)
        try SafetensorsBytes.file(tensors: tensors).write(to: URL(fileURLWithPath: file))
    }

    @Test func truncatedOrEmptyWeights() throws {
        let f = try folder()
        defer { try? FileManager.default.removeItem(atPath: f.dir) }
        let file = ModelFolder(path: f.path).file(ModelFolder.weightsFile)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        for (cut, keywords) in [(0, ["too short"]), (5, ["too short"]), (100, ["header length", "does not fit"]),
                                (bytes.count - 4, ["data_offsets", "past the end"])] {
            try bytes.prefix(cut).write(to: URL(fileURLWithPath: file))
            expectError(f.path, file: "model.safetensors", keywords)
        }
    }

    @Test func weightsWithBadTensors() throws {
        typealias Edit = (inout [(name: String, shape: [Int], values: [Float])]) -> Void
        let edits: [(Edit, [String])] = [
            ({ $0.removeAll { $0.name == "embedding" } }, ["\"embedding\"", "missing"]),
            ({ $0[0].shape = [$0[0].shape[1], $0[0].shape[0]] }, ["\"embedding\"", "shape"]),
            ({ $0.append(("surprise", [2], [1, 2])) }, ["unexpected tensor", "surprise"]),
            ({ $0[1].values[0] = .nan }, ["NaN"]),
            ({ $0[2].values[3] = -.infinity }, ["infinite"]),
            ({ $0[0].shape = [$0[0].shape[0] * $0[0].shape[1]] }, ["shape"]),
        ]
        for (edit, keywords) in edits {
            let f = try folder()
            defer { try? FileManager.default.removeItem(atPath: f.dir) }
            try editWeights(f.path, edit)
            expectError(f.path, file: "model.safetensors", keywords)
        }
    }

    @Test func weightsWithBadHeaders() throws {
        let entry: [String: Any] = ["dtype": "F32", "shape": [2], "data_offsets": [0, 8]]
        let data = Data(count: 8)
        let cases: [(Data, [String])] = [
            (SafetensorsBytes.file(headerJSON: Data("not json".utf8), data: data), ["not a JSON object"]),
            (SafetensorsBytes.file(headerJSON: Data("[1]".utf8), data: data), ["not a JSON object"]),
            (SafetensorsBytes.file(header: ["t": ["dtype": "F16", "shape": [2], "data_offsets": [0, 4]]], data: data), ["dtype F16", "F32"]),
            (SafetensorsBytes.file(header: ["t": ["shape": [2], "data_offsets": [0, 8]]], data: data), ["no dtype"]),
            (SafetensorsBytes.file(header: ["t": ["dtype": "F32", "shape": [-2], "data_offsets": [0, 8]]], data: data), ["malformed shape"]),
            (SafetensorsBytes.file(header: ["t": ["dtype": "F32", "shape": ["2"], "data_offsets": [0, 8]]], data: data), ["malformed shape"]),
            (SafetensorsBytes.file(header: ["t": ["dtype": "F32", "shape": [2], "data_offsets": [0, 800]]], data: data), ["past the end"]),
            (SafetensorsBytes.file(header: ["t": ["dtype": "F32", "shape": [2], "data_offsets": [8, 0]]], data: data), ["data_offsets"]),
            (SafetensorsBytes.file(header: ["t": ["dtype": "F32", "shape": [2], "data_offsets": [0]]], data: data), ["malformed data_offsets"]),
            (SafetensorsBytes.file(header: ["t": ["dtype": "F32", "shape": [3], "data_offsets": [0, 8]]], data: data), ["holds 8 bytes", "needs 12"]),
            (SafetensorsBytes.file(header: ["t": ["dtype": "F32", "shape": [1 << 30, 1 << 30, 1 << 30], "data_offsets": [0, 8]]], data: data), ["too large"]),
            (SafetensorsBytes.file(header: ["t": entry, "__metadata__": ["k": 1]], data: data), ["__metadata__"]),
            (SafetensorsBytes.file(header: ["t": 5], data: data), ["not a JSON object"]),
            (SafetensorsBytes.file(headerJSON: Data("{}".utf8), data: data, headerLength: 1 << 40), ["header length"]),
            (SafetensorsBytes.file(headerJSON: Data("{}".utf8), data: data, headerLength: UInt64.max), ["header length"]),
        ]
        for (bytes, keywords) in cases {
            do {
                _ = try Safetensors.decode(bytes, file: "w.safetensors")
                Issue.record("accepted a bad header; expected \(keywords)")
            } catch let e as DenoiseError {
                #expect(e.description.hasPrefix("w.safetensors: "), "\(e)")
                for k in keywords { #expect(e.description.contains(k), "\"\(e)\" does not say \"\(k)\"") }
            }
        }
        // And through a model folder the file is named with its path.
        let f = try folder()
        defer { try? FileManager.default.removeItem(atPath: f.dir) }
        try cases[0].0.write(to: URL(fileURLWithPath: ModelFolder(path: f.path).file(ModelFolder.weightsFile)))
        expectError(f.path, file: "model.safetensors", ["not a JSON object"])
    }

    @Test func weightsOfAnotherArchitecture() throws {
        let f = try folder()
        defer { try? FileManager.default.removeItem(atPath: f.dir) }
        try editConfig(f.path) { $0["hiddenSize"] = 32; $0["ffnSize"] = 64 }
        expectError(f.path, file: "model.safetensors", ["shape", "config.json implies"])
    }

    @Test func brokenClassifier() throws {
        let f = try folder(classifier: true)
        defer { try? FileManager.default.removeItem(atPath: f.dir) }
        let file = ModelFolder(path: f.path).file(ModelFolder.classifierFile)
        let good = try Data(contentsOf: URL(fileURLWithPath: file))
        try good.prefix(50).write(to: URL(fileURLWithPath: file))
        expectError(f.path, file: "classifier.safetensors", ["header length"])
        // Valid tensors but no field/value table.
        try SafetensorsBytes.file(tensors: try SafetensorsBytes.tensors(of: good)).write(to: URL(fileURLWithPath: file))
        expectError(f.path, file: "classifier.safetensors", ["metadata"])
        // A table that is not JSON.
        try SafetensorsBytes.file(tensors: try SafetensorsBytes.tensors(of: good), metadata: ["denoise.classifier": "{"])
            .write(to: URL(fileURLWithPath: file))
        expectError(f.path, file: "classifier.safetensors", ["metadata"])
        // A table whose architecture is impossible.
        let (_, metadata) = try Safetensors.decode(good, file: "c")
        var config = try JSONDecoder().decode(Classifier.Config.self, from: Data(metadata["denoise.classifier"]!.utf8))
        config.heads = 3
        let json = String(decoding: try JSONEncoder().encode(config), as: UTF8.self)
        try SafetensorsBytes.file(tensors: try SafetensorsBytes.tensors(of: good), metadata: ["denoise.classifier": json])
            .write(to: URL(fileURLWithPath: file))
        expectError(f.path, file: "classifier.safetensors", ["not valid"])
        // A field the tensors do not have.
        config.heads = 2
        config.fields.append(.init(name: "near", values: ["Burger King"]))
        let json2 = String(decoding: try JSONEncoder().encode(config), as: UTF8.self)
        try SafetensorsBytes.file(tensors: try SafetensorsBytes.tensors(of: good), metadata: ["denoise.classifier": json2])
            .write(to: URL(fileURLWithPath: file))
        expectError(f.path, file: "classifier.safetensors", ["head.near", "missing"])
    }

    @Test func savingIntoAnUnwritablePlaceIsAnErrorNamingThePath() throws {
        let model = TinyModel.make()
        do {
            try ModelFolder(path: "/proc/denoise-test/model").save(model: model.denoiser, weights: model.denoiser.params.values,
                                                                  vocabulary: model.vocabulary, config: model.config)
            Issue.record("saved into /proc")
        } catch let e as DenoiseError {
            #expect(e.description.contains("/proc/denoise-test") && e.description.contains("cannot create"), "\(e)")
            #expect(!e.description.contains("Error Domain"), "\(e)")
        } catch {
            Issue.record("not a DenoiseError (the CLI would print it raw): \(error)")
        }
    }

    @Test func savedFilesAreReplacedAtomically() throws {
        let f = try folder()
        defer { try? FileManager.default.removeItem(atPath: f.dir) }
        // Saving again over an existing model leaves no temporary files behind.
        try ModelFolder(path: f.path).save(model: f.model.denoiser, weights: f.model.denoiser.params.values,
                                           vocabulary: f.model.vocabulary, config: f.model.config)
        let names = try FileManager.default.contentsOfDirectory(atPath: f.path).sorted()
        #expect(names == ["config.json", "model.safetensors", "vocab.json"])
        _ = try DiffusionModel.load(path: f.path)
    }
}
