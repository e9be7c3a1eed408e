import Foundation

/// The JSON form of the figures: one key per figure (rounded to 3 decimals, null when not
/// measured), plus `machine`, `model` and the BLAS fields.
extension BenchmarkResult: Codable {
    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        for (name, value) in figures {
            try container.encode(value.map { ($0 * 1000).rounded() / 1000 }, forKey: Key(stringValue: name))
        }
        try container.encode(machine, forKey: Key(stringValue: "machine"))
        try container.encode(model, forKey: Key(stringValue: "model"))
        for (name, value) in blas { try container.encode(value, forKey: Key(stringValue: name)) }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        func figure(_ name: String) throws -> Double { try container.decode(Double.self, forKey: Key(stringValue: name)) }
        func optional(_ name: String) throws -> Double? { try container.decodeIfPresent(Double.self, forKey: Key(stringValue: name)) }
        self.init(
            model: try container.decode(String.self, forKey: Key(stringValue: "model")),
            machine: try container.decode(String.self, forKey: Key(stringValue: "machine")),
            reverseStepMs: try figure("reverseStepMs"), reverseStepFreeLengthMs: try figure("reverseStepFreeLengthMs"),
            reverseStepWithSnapshotMs: try figure("reverseStepWithSnapshotMs"), guidedStepMs: try optional("guidedStepMs"),
            guidedStepThreeControlsMs: try optional("guidedStepThreeControlsMs"), chainMs: try figure("chainMs"), roundingMs: try figure("roundingMs"), frameMs: try optional("frameMs"),
            frameGeometryMs: try optional("frameGeometryMs"), frameTimelineMs: try optional("frameTimelineMs"),
            playFullHistoryRSSMB: try figure("playFullHistoryRSSMB"), trainStepMs: try figure("trainStepMs"),
            trainTokensPerSec: try figure("trainTokensPerSec"), sgemmGflops: try figure("sgemmGflops"),
            inferenceSgemmGflops: try figure("inferenceSgemmGflops"), reverseStepFloorMs: try figure("reverseStepFloorMs"),
            trainGflops: try figure("trainGflops"), inferenceGflops: try figure("inferenceGflops"), peakRSSMB: try figure("peakRSSMB"))
        frameCompareMs = try optional("frameCompareMs")
        blas = [:]
        for key in container.allKeys where key.stringValue.hasPrefix("blas") {
            blas[key.stringValue] = try container.decode(String.self, forKey: key)
        }
    }

    /// The result as one line of JSON with sorted keys, as `denoise bench --format json` prints it.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }

    /// The text report: a header, then one figure per line.
    public var report: [String] {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let kernels = "\(blas["blasLibrary"] ?? "?") \(blas["blasVersion"] ?? "?"), kernels \(blas["blasCoreType"] ?? "?") (\(blas["blasCoreChosenBy"] ?? "?"))"
        return ["denoise bench · \(model) · \(machine)", "blas: \(kernels)",
                "medians after warm-up; inference with single-threaded BLAS, training with \(cores) data-parallel workers"]
            + figures.map { name, value in
                name.padding(toLength: 28, withPad: " ", startingAt: 0) + (value.map { String(format: "%.3f", $0) } ?? (name.hasPrefix("guidedStep") ? "n/a (model has no classifier)" : "n/a"))
            }
    }
}
