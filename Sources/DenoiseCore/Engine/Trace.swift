import Foundation

/// The JSONL trace format (docs/TRACE.md): a header line (`TraceHeader`: what made the trace),
/// one line per step (`TraceStep`), then one last line `{"final": true, "text": ...}`. The same
/// Codable types write a trace and read it back for replay. Traces written before the header
/// existed start with their first step; they still read, with no header.
public enum Trace {
    /// Everything a trace file holds.
    public struct Contents: Sendable {
        /// Nil for a trace written without one.
        public var header: TraceHeader?
        public var snapshots: [StepSnapshot]
        /// The final sentence, nil when the final line is missing.
        public var text: String?
    }

    /// One JSON line: keys sorted, slashes unescaped.
    public static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Every value written is finite (rounded floats of a finite chain), so encoding cannot fail.
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    public static func line(_ snapshot: StepSnapshot) -> String { json(TraceStep(snapshot)) }
    public static func headerLine(_ header: TraceHeader) -> String { json(header) }
    public static func finalLine(text: String) -> String { json(TraceFinal(text: text)) }

    /// Writes a whole trace (header, steps, any `extraLines`, final line) atomically.
    public static func write(header: TraceHeader, snapshots: [StepSnapshot], text: String, to path: String,
                             extraLines: [String] = []) throws {
        var lines = [headerLine(header)]
        lines += snapshots.map(line)
        lines += extraLines
        lines.append(finalLine(text: text))
        try AtomicFile.write(Data((lines.joined(separator: "\n") + "\n").utf8), to: path)
    }

    /// Reads a trace back (for replay). Every malformed line is an error naming the file and line.
    public static func read(path: String) throws -> Contents {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DenoiseError.file(path, FileManager.default.fileExists(atPath: path) ? "cannot be read" : "no such trace file")
        }
        let content = String(decoding: try JSONText.checked(data, file: path), as: UTF8.self)
        var contents = Contents(header: nil, snapshots: [], text: nil)
        let decoder = JSONDecoder()
        for (n, raw) in content.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            func bad(_ why: String) -> DenoiseError { .corrupt(file: path, "line \(n + 1): \(why)") }
            let bytes = Data(raw.utf8)
            let kind: TraceLineKind
            do { kind = try decoder.decode(TraceLineKind.self, from: bytes) } catch { throw bad("not a JSON object") }
            do {
                if kind.header == true {
                    guard n == 0 else { throw bad("a header belongs on the first line") }
                    contents.header = try decoder.decode(TraceHeader.self, from: bytes)
                } else if kind.final == true {
                    contents.text = try decoder.decode(TraceFinal.self, from: bytes).text
                } else if kind.kind != nil {
                    continue   // an object kind this reader does not replay (the geometry lines)
                } else {
                    contents.snapshots.append(try decoder.decode(TraceStep.self, from: bytes).snapshot)
                }
            } catch let problem as TraceFieldProblem {
                throw bad(problem.description)
            } catch let error as DenoiseError {
                throw error
            } catch {
                throw bad(Self.describe(error))
            }
        }
        guard !contents.snapshots.isEmpty else { throw DenoiseError.corrupt(file: path, "holds no steps") }
        let kind = contents.header?.model.kind ?? .continuous
        // Discrete kinds' snapshots carry probabilities, not rounding distances: nothing to unsquare.
        if !kind.isDiscrete, (contents.header?.format ?? 1) < TraceHeader.unsquaredDistancesFormat {
            contents.snapshots = contents.snapshots.map(Self.unsquaringDistances)
        }
        if kind.isDiscrete {
            for i in contents.snapshots.indices {
                contents.snapshots[i].kind = kind
                if contents.snapshots[i].discrete == nil {
                    contents.snapshots[i].discrete = DiscreteStepDetail(maskedCount: contents.snapshots[i].xt.filter { $0.text == Vocabulary.mask }.count,
                                                                        entropy: [], unmask: nil)
                }
            }
        }
        return contents
    }

    /// A step read from a trace of format 1 (or without a header), whose distances, margins and
    /// candidate distances are squared, with them as L2 distances, as format 2 writes them.
    static func unsquaringDistances(_ s: StepSnapshot) -> StepSnapshot {
        func unsquared(_ t: RoundedToken) -> RoundedToken {
            RoundedToken(id: t.id, text: t.text, squaredDistance: t.distance, squaredMargin: t.margin)
        }
        var s = s
        s.xt = s.xt.map(unsquared)
        s.x0 = s.x0.map(unsquared)
        s.candidates = s.candidates.map { $0.map { Candidate(text: $0.text, squaredDistance: $0.distance) } }
        return s
    }

    /// A decoding error as "\"key\" missing" or "\"key\": what was wrong".
    static func describe(_ error: Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let prefix = path(context)
            return "\"\(prefix.isEmpty ? key.stringValue : prefix + "." + key.stringValue)\" missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "\"\(path(context))\": \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}

/// The first line of a trace: the settings, model and program that made it, so the trace can
/// be told apart and reproduced later.
public struct TraceHeader: Sendable, Equatable, Codable {
    /// Marks the line (a step line has no `header` key).
    public var header = true
    /// Version of the trace format (`TraceHeader.currentFormat`).
    public var format: Int
    /// The program that wrote the trace: "denoise" and its version.
    public var program: String
    /// OpenBLAS's kernel set at the time (`BLAS.coreType`): the same seed gives the same bits
    /// only under the same kernel set.
    public var blasCore: String
    public var model: Model
    /// The chain's settings: seed, steps, clamping, controls, length, infill, guidance.
    public var settings: ChainSettings
    /// Playground exports: the branch shown (counted from 1) and the step of its parent branch
    /// it was taken from (0 for the first branch). Absent in `denoise sample --trace`.
    public var branch: Int?
    public var parentStep: Int?

    /// 2: distances and margins are L2 distances; 1: they were squared (converted on reading).
    public static let currentFormat = 2
    /// The first format whose step lines hold L2 distances rather than squared ones.
    public static let unsquaredDistancesFormat = 2

    /// The model as a trace records it.
    public struct Model: Sendable, Equatable, Codable {
        public var name: String
        public var parameters: Int
        public var vocabularySize: Int
        public var sequenceLength: Int
        public var diffusionSteps: Int
        /// `Fingerprint.of` model.safetensors (FNV-1a, 64 bit), absent for a model built in memory.
        public var weights: String?
        /// `Fingerprint.of` classifier.safetensors, absent without a classifier.
        public var classifier: String?
        /// The model's kind: continuous, masked or uniform (absent in traces of continuous
        /// models written before kinds existed, which read as continuous).
        public var kind: ModelKind?

        public init(_ summary: ModelSummary) {
            name = summary.name; parameters = summary.parameterCount; vocabularySize = summary.vocabularySize
            sequenceLength = summary.sequenceLength; diffusionSteps = summary.diffusionSteps
            weights = summary.weightsFingerprint; classifier = summary.classifierFingerprint
            kind = summary.kind
        }
    }

    /// A header for a chain run now, by this program, with this model and these settings.
    public init(model: ModelSummary, settings: ChainSettings, branch: Int? = nil, parentStep: Int? = nil) {
        format = Self.currentFormat
        program = "denoise \(DenoiseVersion.current)"
        blasCore = BLAS.coreType
        self.model = Model(model)
        self.settings = settings
        self.branch = branch
        self.parentStep = parentStep
    }
}

/// The last line: `{"final": true, "text": ...}`.
struct TraceFinal: Codable {
    var final = true
    var text: String
}

/// Which kind a line is, read before the line itself.
struct TraceLineKind: Decodable {
    var header: Bool?
    var final: Bool?
    /// Set on lines that are not steps (`latentBasis`, `latent2d`).
    var kind: String?

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        header = try? c.decodeIfPresent(Bool.self, forKey: .header)
        final = try? c.decodeIfPresent(Bool.self, forKey: .final)
        kind = try? c.decodeIfPresent(String.self, forKey: .kind)
    }

    enum CodingKeys: String, CodingKey { case header, final, kind }
}

/// A required field of a step line that is missing or of the wrong kind.
struct TraceFieldProblem: Error, CustomStringConvertible {
    var description: String
}

/// One step line. `step`, `t`, `alphaBar`, `snrDB`, `xt`, `x0` are required; `distance`,
/// `margin` (of the x0-hat rounding), `changed` and `scores` are the documented analysis
/// fields; the rest (`totalSteps`, `sigma`, `xtDistance`, `xtMargin`, `candidates`, `guesses`,
/// `guidanceNorm`, `clamped`) let a replay show all that a live chain shows, and fall back to neutral values
/// when absent or unreadable. Floats are rounded to 5 decimals (`sigma`, `snrDB` to 6).
/// Distances and margins are L2 distances (not squared) from format 2 on.
struct TraceStep: Codable {
    var step: Int
    var totalSteps: Int
    var t: Int
    var alphaBar: Double
    var sigma: Double
    var snrDB: Double
    var xt: [String]
    var x0: [String]
    var distance: [Double]
    var margin: [Double]
    var xtDistance: [Double]
    var xtMargin: [Double]
    var changed: [Int]
    var scores: [String: Double]
    var candidates: [[CandidatePair]]
    var guesses: [Guess]
    var guidanceNorm: Double
    var clamped: Bool
    /// Discrete kinds only: the prediction's probability of each x0 word, the entropy of each
    /// position's distribution, and the MASK count after the step (masked kind). Their
    /// presence marks a discrete step, whose candidates are `[word, probability]`.
    var probability: [Double]?
    var entropy: [Double]?
    var maskedCount: Int?

    /// A candidate as `[word, distance]` (continuous) or `[word, probability]` (discrete).
    struct CandidatePair: Codable {
        var word: String
        var distance: Double

        init(word: String, distance: Double) { self.word = word; self.distance = distance }

        init(from decoder: Decoder) throws {
            var c = try decoder.unkeyedContainer()
            word = try c.decode(String.self)
            distance = try c.decode(Double.self)
            guard c.isAtEnd else { throw TraceFieldProblem(description: "a candidate is [word, distance]") }
        }

        func encode(to encoder: Encoder) throws {
            var c = encoder.unkeyedContainer()
            try c.encode(word)
            try c.encode(distance)
        }
    }

    struct Guess: Codable {
        var field: String
        var value: String
        var p: Double
    }

    static func round(_ x: Float) -> Double { (Double(x) * 1e5).rounded() / 1e5 }
    static func round(_ x: Double) -> Double { (x * 1e6).rounded() / 1e6 }

    init(_ s: StepSnapshot) {
        step = s.step; totalSteps = s.totalSteps; t = s.t; alphaBar = s.alphaBar
        sigma = Self.round(s.sigma); snrDB = Self.round(s.snrDB)
        xt = s.xt.map(\.text); x0 = s.x0.map(\.text)
        distance = s.x0.map { Self.round($0.distance) }; margin = s.x0.map { Self.round($0.margin) }
        xtDistance = s.xt.map { Self.round($0.distance) }; xtMargin = s.xt.map { Self.round($0.margin) }
        changed = s.changed
        scores = s.scores.mapValues { Self.round($0) }
        candidates = s.candidates.map { $0.map { CandidatePair(word: $0.text, distance: Self.round($0.probability ?? $0.distance)) } }
        guesses = s.fieldGuesses.map { Guess(field: $0.field, value: $0.value, p: Self.round($0.probability)) }
        guidanceNorm = Self.round(s.guidanceNorm); clamped = s.clamped
        if let detail = s.discrete {
            probability = s.x0.map { Self.round($0.probability ?? 0) }
            entropy = detail.entropy.isEmpty ? nil : detail.entropy.map { Self.round($0) }
            maskedCount = detail.maskedCount
        }
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func number(_ key: CodingKeys) throws -> Double {
            guard let v = try? c.decode(Double.self, forKey: key), v.isFinite else {
                throw TraceFieldProblem(description: "\"\(key.stringValue)\" missing or not a number")
            }
            return v
        }
        func integer(_ key: CodingKeys) throws -> Int {
            let v = try number(key)
            guard abs(v) < 1e12, v == v.rounded() else {
                throw TraceFieldProblem(description: "\"\(key.stringValue)\" is not a whole number")
            }
            return Int(v)
        }
        func words(_ key: CodingKeys) throws -> [String] {
            guard let v = try? c.decode([String].self, forKey: key) else {
                throw TraceFieldProblem(description: "\"\(key.stringValue)\" missing or not a list of words")
            }
            return v
        }
        /// An optional list of numbers, one per token; anything else reads as zeros.
        func perToken(_ key: CodingKeys, count: Int) -> [Double] {
            let v = ((try? c.decodeIfPresent([Double].self, forKey: key)) ?? nil) ?? []
            return v.count == count && v.allSatisfy(\.isFinite) ? v : [Double](repeating: 0, count: count)
        }
        func optional<T: Decodable>(_ type: T.Type, _ key: CodingKeys) -> T? {
            (try? c.decodeIfPresent(type, forKey: key)) ?? nil
        }
        xt = try words(.xt)
        x0 = try words(.x0)
        step = try integer(.step)
        guard step >= 0 else { throw TraceFieldProblem(description: "\"step\" must not be negative") }
        alphaBar = try number(.alphaBar)
        t = try integer(.t)
        snrDB = try number(.snrDB)
        totalSteps = optional(Double.self, .totalSteps).flatMap { $0.isFinite && abs($0) < 1e12 ? Int($0) : nil } ?? step
        sigma = optional(Double.self, .sigma).flatMap { $0.isFinite ? $0 : nil } ?? max(0, 1 - alphaBar).squareRoot()
        distance = perToken(.distance, count: x0.count); margin = perToken(.margin, count: x0.count)
        xtDistance = perToken(.xtDistance, count: xt.count); xtMargin = perToken(.xtMargin, count: xt.count)
        let positions = max(xt.count, x0.count)
        changed = (optional([Int].self, .changed) ?? []).filter { $0 >= 0 && $0 < positions }
        scores = optional([String: Double].self, .scores) ?? [:]
        candidates = optional([[LenientCandidate]].self, .candidates)?.map { $0.compactMap(\.pair) } ?? []
        guesses = optional([LenientGuess].self, .guesses)?.compactMap(\.guess) ?? []
        guidanceNorm = optional(Double.self, .guidanceNorm).flatMap { $0.isFinite ? $0 : nil } ?? 0
        clamped = optional(Bool.self, .clamped) ?? true
        probability = optional([Double].self, .probability).map { $0.count == x0.count && $0.allSatisfy(\.isFinite) ? $0 : [Double](repeating: 0, count: x0.count) }
        entropy = optional([Double].self, .entropy).flatMap { $0.count == positions && $0.allSatisfy(\.isFinite) ? $0 : nil }
        maskedCount = optional(Int.self, .maskedCount).map { max(0, min($0, positions)) }
    }

    /// A candidate that reads as nil instead of failing its whole list.
    struct LenientCandidate: Decodable {
        var pair: CandidatePair?
        init(from decoder: Decoder) throws { pair = try? CandidatePair(from: decoder) }
    }

    struct LenientGuess: Decodable {
        var guess: Guess?
        init(from decoder: Decoder) throws { guess = try? Guess(from: decoder) }
    }

    /// The snapshot this line records. A trace holds words, not ids: the special tokens get
    /// their fixed ids back, every other word the id -1.
    var snapshot: StepSnapshot {
        func token(_ word: String, _ distance: Double, _ margin: Double) -> RoundedToken {
            RoundedToken(id: Vocabulary.specialID(word) ?? -1, text: word, distance: Float(distance), margin: Float(margin))
        }
        let xtTokens = xt.indices.map { token(xt[$0], xtDistance[$0], xtMargin[$0]) }
        var x0Tokens = x0.indices.map { token(x0[$0], distance[$0], margin[$0]) }
        let discrete = probability != nil
        if let probability { for i in x0Tokens.indices { x0Tokens[i].probability = Float(probability[i]) } }
        var snapshot = StepSnapshot(step: step, totalSteps: totalSteps, t: t, alphaBar: alphaBar, sigma: sigma, snrDB: snrDB,
                                    xt: xtTokens, x0: x0Tokens,
                                    candidates: candidates.map { $0.map {
                                        discrete ? Candidate(text: $0.word, distance: 0, probability: Float($0.distance))
                                                 : Candidate(text: $0.word, distance: Float($0.distance)) } },
                                    changed: changed, scores: scores.mapValues { Float($0) },
                                    fieldGuesses: guesses.map { FieldGuess(field: $0.field, value: $0.value, probability: Float($0.p)) },
                                    guidanceNorm: Float(guidanceNorm), clamped: clamped)
        if discrete {
            snapshot.discrete = DiscreteStepDetail(maskedCount: maskedCount ?? xt.filter { $0 == Vocabulary.mask }.count,
                                                   entropy: entropy.map { $0.map(Float.init) } ?? [], unmask: nil,
                                                   isOutput: step == totalSteps)
        }
        return snapshot
    }
}
