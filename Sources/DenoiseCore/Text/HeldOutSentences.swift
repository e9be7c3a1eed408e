import Foundation

/// The sentences of a corpus file that a model never trained on and can embed: the one filter
/// behind the playground's `--sentences` and the forward and edit parts of `denoise eval`.
public struct HeldOutSentences: Sendable {
    public struct Sentence: Sendable {
        public var text: String
        public var source: SourceSentence
        public var meaning: MeaningRepresentation?
    }

    /// Distinct sentences, in file order.
    public var sentences: [Sentence]
    /// Sentences left out because the model cannot embed them (a word not in its vocabulary, or
    /// longer than L - 2 tokens).
    public var skipped: Int

    /// Reads `path` and keeps, at most `limit`, the distinct sentences in the held-out bucket of
    /// `heldOutPercent` (every sentence when nil: the model did not train on the file) that the
    /// model can embed.
    public static func read(path: String, model: DiffusionModel, heldOutPercent: Int?, limit: Int = .max) throws -> HeldOutSentences {
        var seen = Set<String>(), result = HeldOutSentences(sentences: [], skipped: 0)
        for example in try CorpusReader.read(path: path) where result.sentences.count < limit {
            if let percent = heldOutPercent, !TrainingData.isHeldOut(example.text, percent: percent) { continue }
            guard seen.insert(example.text).inserted else { continue }
            if let source = try? SourceSentence(text: example.text, vocabulary: model.vocabulary,
                                                sequenceLength: model.config.sequenceLength) {
                result.sentences.append(Sentence(text: example.text, source: source, meaning: example.meaning))
            } else {
                result.skipped += 1
            }
        }
        return result
    }
}
