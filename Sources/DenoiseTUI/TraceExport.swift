import DenoiseCore
import Foundation

/// Writes the shown branch as a JSONL trace in DenoiseCore's `Trace` format (docs/TRACE.md,
/// the same files `denoise sample --trace` writes and `denoise play --replay` reads) and as a
/// plain-text table for reading or printing. With a model (not a replay) the trace also holds
/// the geometry lines of `Trace.latentLines`: the PCA basis and every position's 2-D coordinates.
public enum TraceExport {
    public struct Files: Sendable, Equatable {
        public var trace: String
        public var table: String
    }

    /// `denoise-trace-<seed>-<branch>` (branch counted from 1, as on screen).
    public static func baseName(_ engine: EngineState) -> String {
        "denoise-trace-\(engine.settings.seed)-\(engine.branchIndex + 1)"
    }

    /// Writes both files into `directory` and returns their paths.
    public static func write(_ engine: EngineState, summary: ModelSummary, directory: String) throws -> Files {
        let base = (directory as NSString).appendingPathComponent(baseName(engine))
        let files = Files(trace: base + ".jsonl", table: base + ".txt")
        let snapshots = Array(shown(engine))
        let geometry = summary.projection.map { Trace.latentLines(snapshots, projection: $0) } ?? []
        try Trace.write(header: header(engine, summary: summary), snapshots: snapshots,
                        text: finalText(engine), to: files.trace, extraLines: geometry)
        try Data(table(engine, summary: summary).utf8).write(to: URL(fileURLWithPath: files.table), options: .atomic)
        return files
    }

    /// The shown branch's settings, its number and the step of its parent it was taken from.
    static func header(_ engine: EngineState, summary: ModelSummary) -> TraceHeader {
        let branch = engine.branches.first { $0.index == engine.branchIndex }
        return TraceHeader(model: summary, settings: engine.settings, branch: engine.branchIndex + 1,
                           parentStep: branch?.parentStep ?? 0)
    }

    static func shown(_ engine: EngineState) -> ArraySlice<StepSnapshot> {
        engine.history.prefix(engine.current + 1)
    }

    static func finalText(_ engine: EngineState) -> String {
        TokenText.sentence(engine.snapshot.sentenceTokens)
    }

    public static func table(_ engine: EngineState, summary: ModelSummary) -> String {
        let settings = engine.settings
        // Built in parts: one long `+` chain of interpolations exceeds Swift 6.0's type checker.
        let clamp = settings.clamp ? "on" : "off"
        var out = "denoise trace: model \(summary.name), seed \(settings.seed), branch \(engine.branchIndex + 1), "
        out += "\(engine.snapshot.totalSteps) steps, clamp \(clamp), controls \(Describe.controls(settings))"
        if settings.samplerKind == .ddim { out += ", \(settings.samplerDescription)" }
        if !settings.pins.isEmpty {
            let pins: [String] = settings.pins.map { "\($0.position)=\($0.word) from step \($0.step)" }
            out += ", pins " + pins.joined(separator: ", ")
        }
        out += "\n"
        out += "final: \(finalText(engine))\n\n"
        let keys = Set(shown(engine).flatMap { $0.scores.keys }).sorted()
        var header = pad("step", 5) + pad("t", 6) + pad("alphaBar", 9) + pad("snrDB", 8) + pad("dist", 7) + pad("chg", 4)
        for key in keys { header += pad(key, max(6, key.count + 1)) }
        out += header + " x0-hat (x_t at step 0)\n"
        for s in shown(engine) {
            var row = pad("\(s.step)", 5) + pad("\(s.t)", 6) + pad(Describe.fixed(s.alphaBar, 4), 9)
            row += pad(Describe.fixed(s.snrDB, 1), 8) + pad(Describe.fixed(Double(s.meanDistance), 3), 7)
            row += pad("\(s.changed.count)", 4)
            for key in keys {
                let score: String = s.scores[key].map { Describe.fixed(Double($0), 3) } ?? "-"
                row += pad(score, max(6, key.count + 1))
            }
            let words: [String] = s.sentenceTokens.map(\.text)
            out += row + " " + words.joined(separator: " ") + "\n"
        }
        return out
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}
