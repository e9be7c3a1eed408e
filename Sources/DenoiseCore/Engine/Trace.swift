import Foundation

/// The JSONL trace format (DESIGN section 5): one object per step with `step`, `t`, `alphaBar`,
/// `snrDB`, `xt`, `x0`, `distance`, `margin` (of the x0-hat rounding), `changed` and `scores`,
/// plus the fields a replay needs to redraw every panel (`totalSteps`, `sigma`, `xtDistance`,
/// `xtMargin`, `candidates`, `guesses`, `guidanceNorm`, `clamped`); then one last line
/// `{"final": true, "text": ...}`.
public enum Trace {
    static func round(_ x: Float) -> Double { (Double(x) * 1e5).rounded() / 1e5 }
    static func round(_ x: Double) -> Double { (x * 1e6).rounded() / 1e6 }

    public static func line(_ s: StepSnapshot) -> String {
        let object: [String: Any] = [
            "step": s.step, "totalSteps": s.totalSteps, "t": s.t, "alphaBar": s.alphaBar, "sigma": round(s.sigma),
            "snrDB": round(s.snrDB),
            "xt": s.xt.map(\.text), "x0": s.x0.map(\.text),
            "distance": s.x0.map { round($0.distance) }, "margin": s.x0.map { round($0.margin) },
            "xtDistance": s.xt.map { round($0.distance) }, "xtMargin": s.xt.map { round($0.margin) },
            "changed": s.changed,
            "scores": s.scores.mapValues { round($0) },
            "candidates": s.candidates.map { $0.map { [$0.text, round($0.distance)] as [Any] } },
            "guesses": s.fieldGuesses.map { ["field": $0.field, "value": $0.value, "p": round($0.probability)] as [String: Any] },
            "guidanceNorm": round(s.guidanceNorm), "clamped": s.clamped,
        ]
        return json(object)
    }

    public static func finalLine(text: String) -> String { json(["final": true, "text": text]) }

    public static func json(_ object: Any) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// Writes a whole trace (steps, any `extraLines`, then the final line) atomically.
    public static func write(_ snapshots: [StepSnapshot], text: String, to path: String, extraLines: [String] = []) throws {
        var out = (snapshots.map(line) + extraLines).joined(separator: "\n")
        if !out.isEmpty { out += "\n" }
        out += finalLine(text: text) + "\n"
        try AtomicFile.write(Data(out.utf8), to: path)
    }

    /// Reads a trace back into snapshots (for replay). Every malformed line is an error naming
    /// the file and line.
    public static func read(path: String) throws -> (snapshots: [StepSnapshot], text: String?) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DenoiseError.file(path, FileManager.default.fileExists(atPath: path) ? "cannot be read" : "no such trace file")
        }
        guard let content = String(data: data, encoding: .utf8) else { throw DenoiseError.corrupt(file: path, "not UTF-8 text") }
        var snapshots = [StepSnapshot](), text: String? = nil
        for (n, raw) in content.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            func bad(_ why: String) -> DenoiseError { .corrupt(file: path, "line \(n + 1): \(why)") }
            guard let object = (try? JSONSerialization.jsonObject(with: Data(raw.utf8))) as? [String: Any] else {
                throw bad("not a JSON object")
            }
            if object["final"] as? Bool == true { text = object["text"] as? String; continue }
            if isExtraLine(object) { continue }
            snapshots.append(try snapshot(object, bad: bad))
        }
        guard !snapshots.isEmpty else { throw DenoiseError.corrupt(file: path, "holds no steps") }
        return (snapshots, text)
    }

    static func snapshot(_ o: [String: Any], bad: (String) -> DenoiseError) throws -> StepSnapshot {
        func int(_ k: String) throws -> Int {
            guard let v = o[k] as? NSNumber, v.doubleValue.isFinite, abs(v.doubleValue) < 1e12 else { throw bad("\"\(k)\" missing or not a number") }
            return v.intValue
        }
        func double(_ k: String, default d: Double? = nil) throws -> Double {
            if let v = o[k] as? NSNumber, v.doubleValue.isFinite { return v.doubleValue }
            if let d { return d }
            throw bad("\"\(k)\" missing or not a number")
        }
        func strings(_ k: String) throws -> [String] {
            guard let v = o[k] as? [String] else { throw bad("\"\(k)\" missing or not a list of words") }
            return v
        }
        func floats(_ k: String, count: Int) -> [Float] {
            let v = (o[k] as? [NSNumber])?.map { Float(truncating: $0) } ?? []
            return v.count == count ? v : [Float](repeating: 0, count: count)
        }
        let xtWords = try strings("xt"), x0Words = try strings("x0")
        let xtD = floats("xtDistance", count: xtWords.count), xtM = floats("xtMargin", count: xtWords.count)
        let x0D = floats("distance", count: x0Words.count), x0M = floats("margin", count: x0Words.count)
        let xt = xtWords.indices.map { RoundedToken(id: -1, text: xtWords[$0], distance: xtD[$0], margin: xtM[$0]) }
        let x0 = x0Words.indices.map { RoundedToken(id: -1, text: x0Words[$0], distance: x0D[$0], margin: x0M[$0]) }
        let candidates: [[Candidate]] = (o["candidates"] as? [[[Any]]])?.map { row in
            row.compactMap { pair in
                guard pair.count == 2, let w = pair[0] as? String, let d = pair[1] as? NSNumber else { return nil }
                return Candidate(text: w, distance: Float(truncating: d))
            }
        } ?? []
        let changed = (o["changed"] as? [NSNumber])?.map(\.intValue).filter { $0 >= 0 && $0 < max(xt.count, x0.count) } ?? []
        let scores = (o["scores"] as? [String: NSNumber])?.mapValues { Float(truncating: $0) } ?? [:]
        let guesses: [FieldGuess] = (o["guesses"] as? [[String: Any]])?.compactMap { g in
            guard let f = g["field"] as? String, let v = g["value"] as? String, let p = g["p"] as? NSNumber else { return nil }
            return FieldGuess(field: f, value: v, probability: Float(truncating: p))
        } ?? []
        let step = try int("step")
        guard step >= 0 else { throw bad("\"step\" must not be negative") }
        let alphaBar = try double("alphaBar")
        return StepSnapshot(step: step, totalSteps: (try? int("totalSteps")) ?? step, t: try int("t"), alphaBar: alphaBar,
                            sigma: try double("sigma", default: max(0, 1 - alphaBar).squareRoot()), snrDB: try double("snrDB"),
                            xt: xt, x0: x0, candidates: candidates, changed: changed, scores: scores, fieldGuesses: guesses,
                            guidanceNorm: Float(try double("guidanceNorm", default: 0)), clamped: (o["clamped"] as? Bool) ?? true)
    }
}
