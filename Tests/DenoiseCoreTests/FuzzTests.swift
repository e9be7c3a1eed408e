import Foundation
import Testing
@testable import DenoiseCore

/// Mutated model files and trace lines: the readers must never crash, only throw
/// `DenoiseError`. Every mutation comes from a seeded `RandomSource`, so a failure names a
/// case number that reproduces.
@Suite struct FuzzTests {
    /// A model small enough that its safetensors file is a few KiB.
    static let model: DiffusionModel = {
        let vocab = TinyModel.vocabulary
        let config = ModelConfig(vocabSize: vocab.count, sequenceLength: 6, embeddingDim: 4, hiddenSize: 8,
                                 layers: 1, heads: 2, ffnSize: 8, diffusionSteps: 20)
        return DiffusionModel(name: "fuzz", denoiser: Denoiser(config: config, seed: 5), vocabulary: vocab)
    }()

    // MARK: helpers

    struct Mutator {
        var rng: RandomSource

        mutating func int(_ n: Int) -> Int { n <= 0 ? 0 : rng.int(below: n) }
        mutating func chance(_ p: Float) -> Bool { rng.uniform() < p }
        mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: rng.next()) }

        /// Byte-level damage: flips, inserts, deletes, overwrites, truncation, duplication.
        mutating func bytes(_ data: Data) -> Data {
            var d = [UInt8](data)
            for _ in 0..<(1 + int(3)) {
                switch int(6) {
                case 0 where !d.isEmpty:
                    for _ in 0..<(1 + int(8)) { let i = int(d.count); d[i] ^= 1 << UInt8(int(8)) }
                case 1:
                    let at = int(d.count + 1)
                    d.insert(contentsOf: (0..<(1 + int(16))).map { _ in byte() }, at: at)
                case 2 where !d.isEmpty:
                    let at = int(d.count), n = min(d.count - at, 1 + int(64))
                    d.removeSubrange(at..<(at + n))
                case 3:
                    d = Array(d.prefix(int(d.count + 1)))
                case 4 where !d.isEmpty:
                    let at = int(d.count)
                    d[at] = [0x00, 0xFF, 0x22, 0x7B, 0x7D, 0x5B, 0x5D, 0x2C, 0x3A, 0x2D, 0x30, 0x39, 0x65][int(13)]
                case 5 where !d.isEmpty:
                    let at = int(d.count), n = min(d.count - at, 1 + int(32))
                    d.insert(contentsOf: d[at..<(at + n)], at: int(d.count + 1))
                default:
                    break
                }
            }
            return Data(d)
        }

        /// A JSON value meant to break whoever reads it.
        nonisolated(unsafe) static let hostile: [Any] = [
            NSNull(), true, false, 0, -1, 1, 3, 7, Int.max, Int.min, -(1 << 53), 1 << 31, 1 << 40, 1e300, -1e300,
            1.5, -0.0, Double.leastNonzeroMagnitude, "", "F32", "F16", "I32", "BF16", "f32", "NaN", "∞", [Any](), [1], [0, 0], [-1, 8],
            [8, 0], [0, Int.max], [Int.max, Int.max], [1e300, 1e301], [1, 2, 3], [[1]], ["a"], [Any](repeating: 1, count: 50),
            ["k": "v"], ["dtype": "F32"], [NSNull()], [0.5, 1.5], [1 << 62, 1 << 62],
        ]

        mutating func hostileValue() -> Any { Self.hostile[int(Self.hostile.count)] }
    }

    /// JSON text of a parsed-and-mutated value. Foundation's writer with sorted keys takes
    /// milliseconds per call on Linux; this one keeps thousands of cases fast.
    static func json(_ value: Any) -> String {
        var out = ""
        func string(_ s: String) {
            out += "\""
            for u in s.unicodeScalars {
                switch u {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case _ where u.value < 0x20: out += String(format: "\\u%04x", u.value)
                default: out.unicodeScalars.append(u)
                }
            }
            out += "\""
        }
        func write(_ v: Any) {
            switch v {
            case let s as String: string(s)
            case let b as Bool where type(of: v) == Bool.self: out += b ? "true" : "false"
            case let i as Int: out += String(i)
            case let d as Double: out += d.isFinite ? "\(d)" : "0"
            case let n as NSNumber: out += n.stringValue
            case let a as [Any]:
                out += "["
                for (k, x) in a.enumerated() { if k > 0 { out += "," }; write(x) }
                out += "]"
            case let o as [String: Any]:
                out += "{"
                for (k, key) in o.keys.sorted().enumerated() { if k > 0 { out += "," }; string(key); out += ":"; write(o[key]!) }
                out += "}"
            default: out += "null"
            }
        }
        write(value)
        return out
    }

    /// Writes with plain POSIX calls (Data.write is slow enough to matter over thousands of cases).
    static func put(_ data: Data, _ path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        precondition(fd >= 0, "cannot write \(path)")
        data.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + done, raw.count - done)
                precondition(n > 0)
                done += n
            }
        }
        close(fd)
    }

    /// Decodes, or throws a `DenoiseError`; anything else is recorded.
    func expectOnlyDenoiseErrors(case n: Int, _ body: () throws -> Void) {
        do { try body() } catch is DenoiseError {} catch {
            Issue.record("case \(n): threw \(type(of: error)) instead of DenoiseError: \(error)")
        }
    }

    static func headerObject(_ data: Data) -> [String: Any] {
        try! JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + headerObjectLength(data)))) as! [String: Any]
    }

    static func validWeights() throws -> Data {
        try ModelFolder.encode(model.denoiser.params, values: model.denoiser.params.values)
    }

    /// Structured damage to the header (dtype, shape, offsets, names, metadata), or the data
    /// (NaN, infinities), keeping the file otherwise well formed.
    static func structuredMutation(_ valid: Data, _ m: inout Mutator) -> Data {
        var header = headerObject(valid)
        var body = [UInt8](valid.suffix(from: 8 + headerObjectLength(valid)))
        let names = header.keys.sorted()
        let name = names[m.int(names.count)]
        var entry = header[name] as! [String: Any]
        switch m.int(12) {
        case 0: entry["dtype"] = m.hostileValue()
        case 1: entry["shape"] = m.hostileValue()
        case 2: entry["data_offsets"] = m.hostileValue()
        case 3: entry.removeValue(forKey: ["dtype", "shape", "data_offsets"][m.int(3)])
        case 4:
            // Same element count, other shape: the loader must compare shapes, not sizes.
            if let shape = entry["shape"] as? [Int], shape.count == 2 { entry["shape"] = [shape[1], shape[0]] } else { entry["shape"] = [1, shape(entry)] }
        case 5:
            // Offsets shifted into a neighbour's data or past the end.
            if let o = entry["data_offsets"] as? [Int] { let s = [-8, -4, 4, 8, body.count][m.int(5)]; entry["data_offsets"] = [o[0] + s, o[1] + s] }
        case 6: header.removeValue(forKey: name); entry = [:]
        case 7: header[name + (m.chance(0.5) ? "" : ".extra") + String(m.int(3))] = entry
        case 8: header["__metadata__"] = m.chance(0.5) ? m.hostileValue() : ["k": m.hostileValue()]
        case 9:
            // NaN and infinities in the data.
            let specials: [UInt32] = [0x7FC0_0000, 0x7F80_0000, 0xFF80_0000, 0x7FA0_0001, 0xFFFF_FFFF]
            for _ in 0..<(1 + m.int(4)) where body.count >= 4 {
                let at = m.int(body.count / 4) * 4
                let v = specials[m.int(specials.count)]
                for k in 0..<4 { body[at + k] = UInt8((v >> (8 * UInt32(k))) & 0xFF) }
            }
        case 10: header[name] = m.hostileValue(); entry = [:]
        default:
            // Truncate the data section, or grow it with junk.
            if m.chance(0.5) { body = Array(body.prefix(m.int(body.count))) } else { body += (0..<(1 + m.int(40))).map { _ in m.byte() } }
        }
        if !entry.isEmpty { header[name] = entry }
        return SafetensorsBytes.file(headerJSON: Data(json(header).utf8), data: Data(body))
    }

    static func shape(_ entry: [String: Any]) -> Int { (entry["shape"] as? [Int])?.reduce(1, *) ?? 1 }

    /// Changes the 8-byte header length only.
    static func headerLengthMutation(_ valid: Data, _ m: inout Mutator) -> Data {
        let n = UInt64(Self.headerObjectLength(valid))
        let candidates: [UInt64] = [0, 1, 2, n - 1, n + 1, n + 8, n - 8, n * 2, UInt64(valid.count), UInt64(valid.count - 8),
                                    UInt64(valid.count - 7), 16 << 20, (16 << 20) + 1, 1 << 32, 1 << 63, UInt64.max, UInt64.max - 7]
        var v = candidates[m.int(candidates.count)].littleEndian
        var out = valid
        withUnsafeBytes(of: &v) { out.replaceSubrange(0..<8, with: $0) }
        return out
    }

    static func headerObjectLength(_ data: Data) -> Int {
        Int(data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | (UInt64($1.element) << (8 * UInt64($1.offset))) })
    }

    /// Whole headers of hostile JSON text.
    static let garbageTexts = [
            "", " ", "{", "}", "{}", "[]", "null", "0", "\"str\"", "{\"a\":}", "{\"a\" 1}", "{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}",
            "{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
            "{\"t\":{\"dtype\":\"F32\",\"shape\":[1e400],\"data_offsets\":[0,4]}}",
            "{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-0,4.0]}}",
            "{\"t\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}",
            "{\"t\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}",
            "{\"t\":{\"dtype\":\"F32\",\"shape\":[18446744073709551615],\"data_offsets\":[0,4]}}",
            "{\"t\":{\"dtype\":\"F32\",\"shape\":[9223372036854775807, 2],\"data_offsets\":[0,4]}}",
            "{\"t\":{\"dtype\":\"F32\",\"shape\":[4294967296, 4294967296],\"data_offsets\":[0,4]}}",
            "{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[9223372036854775807,9223372036854775807]}}",
            "{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-9223372036854775808,4]}}",
            "{\"__metadata__\":{\"a\":{\"b\":1}}}", "{\"__metadata__\":null}", "{\"\\u0000\":{}}", "{\"\\ud800\":1}",
            "\u{FEFF}{}", "{\"a\":\"\u{0}\"}", String(repeating: "[", count: 100_000), String(repeating: "{\"a\":", count: 50_000),
            "[" + String(repeating: "1,", count: 10_000) + "1]", String(repeating: " ", count: 1000) + "{}",
    ].map { Data($0.utf8) }

    static func garbageHeader(_ m: inout Mutator) -> Data {
        var json = garbageTexts[m.int(garbageTexts.count)]
        if m.chance(0.3) { json.append(contentsOf: [0xFF, 0xFE, 0x00]) }
        return SafetensorsBytes.file(headerJSON: json, data: Data((0..<m.int(64)).map { _ in m.byte() }))
    }

    // MARK: safetensors

    @Test func mutatedSafetensorsNeverCrashTheDecoder() throws {
        let valid = try Self.validWeights()
        #expect(try Safetensors.decode(valid, file: "w").tensors.count == Self.model.denoiser.params.specs.count)
        var m = Mutator(rng: RandomSource(seed: 20_251_121))
        var decoded = 0
        for n in 0..<3000 {
            let data: Data
            switch n % 5 {
            case 0, 1: data = m.bytes(valid)
            case 2: data = Self.structuredMutation(valid, &m)
            case 3: data = Self.headerLengthMutation(valid, &m)
            default: data = m.chance(0.5) ? Self.garbageHeader(&m) : m.bytes(Self.structuredMutation(valid, &m))
            }
            expectOnlyDenoiseErrors(case: n) {
                let (tensors, _) = try Safetensors.decode(data, file: "w")
                decoded += 1
                for (_, t) in tensors { #expect(t.values.count == t.shape.reduce(1, *), "case \(n)") }
            }
        }
        // Some mutations (a flipped bit in a float) leave a valid file: both kinds were exercised.
        #expect(decoded > 50 && decoded < 2900, "decoded \(decoded) of 3000")
    }

    @Test func decodingADataSliceReadsTheSliceNotItsBase() throws {
        // `Data` slices keep their parent's indices; the decoder must not assume startIndex == 0.
        let valid = try Self.validWeights()
        let padded = Data([1, 2, 3]) + valid
        let slice = padded[3...]
        let a = try Safetensors.decode(slice, file: "w").tensors
        let b = try Safetensors.decode(valid, file: "w").tensors
        #expect(a == b)
        // And a slice of a damaged file must fail cleanly, not read outside the slice.
        let cut = padded[3..<(padded.count - 100)]
        #expect(throws: DenoiseError.self) { try Safetensors.decode(cut, file: "w") }
        let header = (Data([9, 9, 9, 9, 9, 9, 9, 9, 9]) + valid)[9..<20]
        #expect(throws: DenoiseError.self) { try Safetensors.decode(header, file: "w") }
        // A slice holding a tiny valid file (header "{}") behind other bytes.
        let tiny = SafetensorsBytes.file(headerJSON: Data("{}".utf8), data: Data())
        let behind = (Data(repeating: 7, count: 10) + tiny)[10...]
        #expect(try Safetensors.decode(behind, file: "w").tensors.isEmpty)
    }

    @Test func mutatedWeightsNeverCrashTheModelLoader() throws {
        let dir = try TinyModel.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = (dir as NSString).appendingPathComponent("m")
        let folder = ModelFolder(path: path)
        try folder.save(model: Self.model.denoiser, weights: Self.model.denoiser.params.values,
                        vocabulary: Self.model.vocabulary, config: Self.model.config)
        let valid = try Self.validWeights()
        let weightsURL = URL(fileURLWithPath: folder.file(ModelFolder.weightsFile))
        var m = Mutator(rng: RandomSource(seed: 77))
        var loaded = 0
        for n in 0..<800 {
            let data: Data
            switch n % 4 {
            case 0: data = m.bytes(valid)
            case 1, 2: data = Self.structuredMutation(valid, &m)
            default: data = Self.headerLengthMutation(valid, &m)
            }
            Self.put(data, weightsURL.path)
            expectOnlyDenoiseErrors(case: n) {
                let (denoiser, _) = try folder.loadDenoiser()
                loaded += 1
                let finite = denoiser.params.values.array.allSatisfy { $0.isFinite }
                #expect(finite, "case \(n): loaded non-finite weights")
            }
        }
        #expect(loaded > 0 && loaded < 750, "loaded \(loaded) of 800")
    }

    @Test func mutatedConfigAndVocabularyNeverCrashTheModelLoader() throws {
        let dir = try TinyModel.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = (dir as NSString).appendingPathComponent("m")
        let folder = ModelFolder(path: path)
        try folder.save(model: Self.model.denoiser, weights: Self.model.denoiser.params.values,
                        vocabulary: Self.model.vocabulary, config: Self.model.config)
        let configURL = URL(fileURLWithPath: folder.file(ModelFolder.configFile))
        let vocabURL = URL(fileURLWithPath: folder.file(ModelFolder.vocabFile))
        let config = try Data(contentsOf: configURL), vocab = try Data(contentsOf: vocabURL)
        var m = Mutator(rng: RandomSource(seed: 4242))
        for n in 0..<300 {
            // Byte damage only: a well-formed config with huge sizes would make the loader
            // allocate that model before it reads the weights (see the report).
            let editConfig = n % 2 == 0
            let badConfig = editConfig ? m.bytes(config) : config
            // The same gate as the loader's first: Swift 6.0's JSONDecoder traps on a malformed
            // string instead of throwing, even under try?.
            if editConfig, JSONText.problem(badConfig) == nil, let c = try? JSONDecoder().decode(ModelConfig.self, from: badConfig),
               (try? c.validate(file: "")) != nil,
               Denoiser.layout(c).reduce(0, { $0 + $1.1.reduce(1, *) }) > 5_000_000 {
                continue
            }
            Self.put(badConfig, configURL.path)
            Self.put(editConfig ? vocab : m.bytes(vocab), vocabURL.path)
            expectOnlyDenoiseErrors(case: n) { _ = try DiffusionModel.load(path: path) }
        }
    }

    // MARK: traces

    static func validTrace() throws -> [String] {
        let chain = try ReverseChain(model: model, settings: ChainSettings(seed: 3, steps: 3))
        var lines = [Trace.headerLine(TraceHeader(model: model.summary, settings: chain.settings))]
        lines += chain.map(Trace.line)
        lines.append(Trace.finalLine(text: chain.text(sequence: 0)))
        return lines
    }

    static func mutateTraceObject(_ line: String, _ m: inout Mutator) -> String {
        guard var object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else { return line }
        let keys = object.keys.sorted()
        for _ in 0..<(1 + m.int(3)) {
            let key = m.chance(0.9) ? keys[m.int(keys.count)] : "unknown\(m.int(3))"
            switch m.int(4) {
            case 0: object.removeValue(forKey: key)
            case 1: object[key] = m.hostileValue()
            case 2:
                // Damage one element of a list field.
                if var list = object[key] as? [Any], !list.isEmpty { list[m.int(list.count)] = m.hostileValue(); object[key] = list }
                else { object[key] = [m.hostileValue(), m.hostileValue()] }
            default:
                object[key] = [[m.hostileValue(), m.hostileValue()], [Any](), ["w", m.hostileValue()]]
            }
        }
        return json(object)
    }

    @Test func mutatedTracesNeverCrashTheReader() throws {
        let lines = try Self.validTrace()
        let dir = try TinyModel.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = (dir as NSString).appendingPathComponent("trace.jsonl")
        let url = URL(fileURLWithPath: path)
        try Data(lines.joined(separator: "\n").utf8).write(to: url)
        let good = try Trace.read(path: path)
        #expect(good.snapshots.count == lines.count - 2 && good.text != nil && good.header != nil)

        var m = Mutator(rng: RandomSource(seed: 99))
        var readable = 0
        for n in 0..<1500 {
            var trace = lines
            for _ in 0..<(1 + m.int(2)) where !trace.isEmpty {
                let i = m.int(trace.count)
                switch m.int(6) {
                case 0, 1: trace[i] = Self.mutateTraceObject(trace[i], &m)
                case 2: trace[i] = String(decoding: m.bytes(Data(trace[i].utf8)), as: UTF8.self)
                case 3: trace.remove(at: i)
                case 4: trace.insert(["{}", "[]", "{\"final\":true}", "{\"final\":false}", "null", "{\"step\":1}",
                                      "{\"step\":-1,\"t\":0,\"alphaBar\":0.5,\"snrDB\":0,\"xt\":[],\"x0\":[]}",
                                      "{\"step\":1e300,\"t\":0,\"alphaBar\":0.5,\"snrDB\":0,\"xt\":[],\"x0\":[]}"][m.int(8)], at: i)
                default: trace = Array(trace.prefix(i))
                }
            }
            var data = Data(trace.joined(separator: m.chance(0.8) ? "\n" : "\r\n").utf8)
            if n % 10 == 9 { data = m.bytes(data) }
            Self.put(data, path)
            expectOnlyDenoiseErrors(case: n) {
                let snapshots = try Trace.read(path: path).snapshots
                readable += 1
                #expect(!snapshots.isEmpty)
                for s in snapshots {
                    #expect(s.step >= 0 && s.alphaBar.isFinite && s.snrDB.isFinite && s.sigma.isFinite, "case \(n)")
                    #expect(s.changed.allSatisfy { $0 >= 0 && $0 < max(s.xt.count, s.x0.count) }, "case \(n)")
                }
                // The replayer must cope with whatever the reader accepts.
                guard n % 4 == 0 else { return }
                let replay = try ReplayEngine(tracePath: path)
                for r in [EngineRequest.stepForward, .toEnd, .stepBack, .jump(to: 3), .toStart] { replay.send(r) }
                replay.queue.sync {}
                #expect(replay.poll() != nil)
            }
        }
        #expect(readable > 50 && readable < 1450, "readable \(readable) of 1500")
    }

    @Test func traceReaderNamesFileAndLine() throws {
        let dir = try TinyModel.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = (dir as NSString).appendingPathComponent("t.jsonl")
        let lines = try Self.validTrace()
        let header = lines[0], step = lines[1]
        let cases: [(String, [String])] = [
            (step + "\nnot json\n", ["t.jsonl", "line 2", "not a JSON object"]),
            ("{\"step\":1}\n", ["line 1", "\"xt\""]),
            (step.replacingOccurrences(of: "\"alphaBar\":", with: "\"alphaBarX\":"), ["line 1", "alphaBar"]),
            (step + "\n" + header + "\n", ["line 2", "header belongs on the first line"]),
            (header.replacingOccurrences(of: "\"seed\":", with: "\"seedX\":") + "\n" + step, ["line 1", "settings.seed", "missing"]),
            (header.replacingOccurrences(of: "\"steps\":3", with: "\"steps\":\"three\"") + "\n" + step, ["line 1", "settings.steps"]),
            ("{\"final\":true,\"text\":\"x\"}\n", ["holds no steps"]),
            ("", ["holds no steps"]),
        ]
        for (text, keywords) in cases {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            do {
                _ = try Trace.read(path: path)
                Issue.record("accepted \(text.prefix(40))")
            } catch let e as DenoiseError {
                for k in keywords { #expect(e.description.contains(k), "\"\(e)\" does not say \"\(k)\"") }
            }
        }
        try Data([0xFF, 0xFE, 0x00]).write(to: URL(fileURLWithPath: path))
        #expect(throws: DenoiseError.corrupt(file: path, "not UTF-8 text (accepted: JSON in UTF-8)")) { try Trace.read(path: path) }
        #expect(throws: DenoiseError.self) { try Trace.read(path: path + ".missing") }
    }
}
