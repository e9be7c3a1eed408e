import Foundation

/// What `denoise info` tells about a model: its shapes, vocabulary, schedule, training record
/// and classifier, and the BLAS library it runs on. The text report and `--format json` are
/// both made from this value.
public struct ModelInfo: Codable, Sendable, Equatable {
    /// A classifier's architecture and what it controls.
    public struct ClassifierInfo: Codable, Sendable, Equatable {
        public var parameters: Int
        public var hiddenSize: Int
        public var layers: Int
        public var pooling: Classifier.Pooling
        /// Values the tagger scores by their best span (0 without a tagger).
        public var taggedValues: Int
        /// Field name and its values, in the classifier's order.
        public var fields: [Classifier.Field]
    }

    /// The folder the model was loaded from.
    public var path: String
    /// `BLAS.summaryFields`: library, version, kernel set and how it was chosen.
    public var blas: [String: String]
    /// Why the kernel set the user chose may be slower (nil when there is nothing to say).
    public var blasHint: String?
    /// Denoiser, embedding and head bias.
    public var parameters: Int
    public var config: ModelConfig
    /// Continuous, masked or uniform (`config.kind`, absent for continuous).
    public var kind: ModelKind
    public var architecture: String
    public var vocabularySize: Int
    /// alpha-bar at the first and the last diffusion step.
    public var alphaBarFirst: Double
    public var alphaBarLast: Double
    public var classifier: ClassifierInfo?

    public init(model m: DiffusionModel, path: String) {
        self.path = path
        blas = BLAS.summaryFields
        blasHint = BLAS.kernelHint
        parameters = m.denoiser.parameterCount
        config = m.config
        kind = m.config.modelKind
        architecture = m.config.architectureKind.rawValue
        vocabularySize = m.vocabulary.count
        let schedule = NoiseSchedule(sqrtSteps: m.config.diffusionSteps)
        alphaBarFirst = schedule.alphaBars[0]
        alphaBarLast = schedule.alphaBars[schedule.count - 1]
        classifier = m.classifier.map { cl in
            let tagged = cl.fields.indices.reduce(0) { n, k in n + cl.tags.spanLengths[k].filter { $0 > 0 }.count }
            return ClassifierInfo(parameters: cl.params.count, hiddenSize: cl.config.hiddenSize, layers: cl.config.layers,
                                  pooling: cl.config.pooling, taggedValues: tagged, fields: cl.fields)
        }
    }

    /// The text report of `denoise info`.
    public var lines: [String] {
        let c = config
        var lines = ["model       \(path)", "kind        \(kind.rawValue)", "blas        \(blasSummary)"]
        if let blasHint { lines.append("            " + blasHint) }
        lines.append("parameters  \(parameters) (denoiser + embedding + head bias)")
        lines.append("architecture \(architecture) L=\(c.sequenceLength) d=\(c.embeddingDim) H=\(c.hiddenSize) layers=\(c.layers) heads=\(c.heads) ffn=\(c.ffnSize)"
                     + (c.selfConditioning ? " self-conditioned" : ""))
        lines.append("vocabulary  \(vocabularySize) words (PAD START END UNK + \(vocabularySize - 4))")
        if kind.isDiscrete {
            lines.append("schedule    \(c.schedule), alpha(t) = 1 - t, the network told t in 0..<\(c.diffusionSteps)"
                         + (kind == .masked ? "; MASK is word \(c.vocabSize - 1)" : ""))
        } else {
            lines.append(String(format: "schedule    %@, T=%d, alpha-bar %.4f -> %.6f", c.schedule, c.diffusionSteps, alphaBarFirst, alphaBarLast))
        }
        if let t = c.training {
            lines.append(String(format: "training    %d iterations, batch %d, %.1f min, data %@", t.iterations, t.batchSize,
                                t.wallSeconds / 60, t.data.joined(separator: ", ")))
            if let source = t.startedFrom { lines.append("            started from \(source)") }
            if let share = t.fixedLengthShare { lines.append(String(format: "            %.0f%% of sentences trained with their length fixed", share * 100)) }
        } else {
            lines.append(c.architectureKind == .native ? "training    none (randomly initialised)"
                         : "training    elsewhere (imported; see the model card)")
        }
        if let cl = classifier {
            lines.append("classifier  \(cl.parameters) parameters, H=\(cl.hiddenSize) layers=\(cl.layers), "
                         + "\(cl.pooling.rawValue) pooling" + (cl.taggedValues > 0 ? ", tagger: \(cl.taggedValues) values scored by their best span" : ""))
            lines += cl.fields.map { "  \($0.name): \($0.values.joined(separator: ", "))" }
        } else {
            lines.append("classifier  none (controls unavailable)")
        }
        return lines
    }

    /// `BLAS.summary`'s line, from the recorded fields.
    var blasSummary: String {
        "\(blas["blasLibrary"] ?? "") \(blas["blasVersion"] ?? ""), kernels \(blas["blasCoreType"] ?? "") (\(blas["blasCoreChosenBy"] ?? ""))"
    }

    /// The value as JSON with sorted keys, as `denoise info --format json` prints it.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }
}
