import Foundation

/// Training sentences as padded id rows, split into a training part and a fixed held-out part.
///
/// The split is by a stable hash of the sentence text (FNV-1a 64 % 100 < heldOutPercent), so it
/// never depends on file order and the same sentence is always on the same side.
public struct TrainingData: Sendable {
    public static let heldOutRule = "fnv1a64(sentence) % 100 < heldOutPercent"

    public let vocabulary: Vocabulary
    public let length: Int
    /// [trainCount * length] ids.
    public let trainIDs: [Int32]
    public let trainCount: Int
    public let trainSentences: [[String]]
    public let heldOutSentences: [[String]]
    public let droppedTooLong: Int
    /// The sequence length L that would keep 99% of the training sentences (tokens + START and
    /// END, rounded up to a multiple of 8): what to pass as `--length` when many are dropped.
    public let lengthKeeping99Percent: Int
    /// Share of the kept training sentences' words that encode as UNK (seen fewer than
    /// `minCount` times): high on a small corpus, where `--min-count 1` keeps every word.
    public let unknownShare: Double
    /// Number of kept training sentences of each length in tokens (index = length, 0...L-2).
    public var lengthHistogram: [Int] {
        var h = [Int](repeating: 0, count: length - 1)
        for s in trainSentences { h[s.count] += 1 }
        return h
    }

    public static func fnv1a(_ text: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }

    public static func isHeldOut(_ text: String, percent: Int) -> Bool { fnv1a(text) % 100 < UInt64(percent) }

    /// Tokenises `examples`, splits off the held-out part, builds the vocabulary from the training
    /// part (or uses `vocabulary` when given, for resuming) and encodes sentences that fit.
    /// `addingMask` appends MASK to a vocabulary built here (a masked model's).
    public init(examples: [CorpusExample], length: Int, minCount: Int, heldOutPercent: Int,
                vocabulary given: Vocabulary? = nil, addingMask: Bool = false) throws {
        var train = [[String]](), heldOut = [[String]]()
        for ex in examples {
            let tokens = Tokenizer.tokenize(ex.text)
            if tokens.isEmpty { continue }
            if Self.isHeldOut(ex.text, percent: heldOutPercent) { heldOut.append(tokens) } else { train.append(tokens) }
        }
        let built = Vocabulary(sentences: train, minCount: minCount)
        let vocab = try given ?? (addingMask ? built.addingMask() : built)
        var ids = [Int32](), kept = [[String]]()
        var dropped = 0
        for s in train {
            guard let row = vocab.encode(s, length: length) else { dropped += 1; continue }
            ids += row
            kept.append(s)
        }
        guard !kept.isEmpty else {
            throw DenoiseError.invalid("no training sentence fits in \(length - 2) tokens (the corpus may be empty)")
        }
        vocabulary = vocab
        self.length = length
        trainIDs = ids
        trainCount = kept.count
        trainSentences = kept
        heldOutSentences = heldOut
        droppedTooLong = dropped
        let counts = train.map(\.count).sorted()
        lengthKeeping99Percent = (counts[min(counts.count - 1, counts.count * 99 / 100)] + 2 + 7) / 8 * 8
        let words = kept.reduce(0) { $0 + $1.count }
        let unknown = kept.reduce(0) { total, s in total + s.filter { vocab.id($0) == Vocabulary.unknownID }.count }
        unknownShare = words > 0 ? Double(unknown) / Double(words) : 0
    }

    /// Advice for a corpus the defaults do not fit: too many sentences dropped for their length,
    /// or too many words outside the vocabulary. Empty when the defaults fit.
    public func corpusAdvice(minCount: Int) -> [String] {
        var advice = [String]()
        let all = trainCount + droppedTooLong
        if all > 0, Double(droppedTooLong) / Double(all) > 0.05, lengthKeeping99Percent > length {
            advice.append(String(format: "%.0f%% of the sentences are longer than %d tokens and were dropped: --length %d keeps 99%% of them",
                                 100 * Double(droppedTooLong) / Double(all), length - 2, lengthKeeping99Percent))
        }
        if unknownShare > 0.05, minCount > 1 {
            advice.append(String(format: "%.0f%% of the training words are UNK (seen fewer than %d times): a small corpus may want --min-count 1",
                                 100 * unknownShare, minCount))
        }
        return advice
    }
}
