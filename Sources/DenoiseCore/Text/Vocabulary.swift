import Foundation

/// Words and their ids. Ids 0...3 are the special tokens PAD, START, END, UNK; the rest are the
/// training words seen at least `minCount` times, most frequent first (ties alphabetical), so
/// the same corpus always gives the same ids.
public struct Vocabulary: Sendable, Equatable {
    public static let pad = "PAD", start = "START", end = "END", unknown = "UNK"
    public static let padID: Int32 = 0, startID: Int32 = 1, endID: Int32 = 2, unknownID: Int32 = 3
    /// The absorbing token of masked models, appended as the last word of their vocabulary.
    public static let mask = "MASK"

    public let words: [String]
    private let index: [String: Int32]

    public init(words: [String]) throws {
        guard words.count >= 4, Array(words.prefix(4)) == [Self.pad, Self.start, Self.end, Self.unknown] else {
            throw DenoiseError.invalid("vocabulary must begin with PAD, START, END, UNK")
        }
        var index = [String: Int32]()
        for (i, w) in words.enumerated() {
            guard index[w] == nil else { throw DenoiseError.invalid("vocabulary lists \"\(w)\" twice") }
            index[w] = Int32(i)
        }
        self.words = words
        self.index = index
    }

    /// Builds the vocabulary of tokenised sentences.
    public init(sentences: [[String]], minCount: Int) {
        var counts = [String: Int]()
        for s in sentences { for w in s { counts[w, default: 0] += 1 } }
        let kept = counts.filter { $0.value >= minCount && ![Self.pad, Self.start, Self.end, Self.unknown].contains($0.key) }
            .sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .map(\.key)
        // The specials are distinct and kept words exclude them, so this cannot fail.
        try! self.init(words: [Self.pad, Self.start, Self.end, Self.unknown] + kept)
    }

    public var count: Int { words.count }

    /// This vocabulary with MASK appended (a masked model's); refused if a word already spells it.
    public func addingMask() throws -> Vocabulary {
        guard !contains(Self.mask) else {
            throw DenoiseError.invalid("the corpus has the word \"\(Self.mask)\", which a masked model reserves for its mask token")
        }
        return try Vocabulary(words: words + [Self.mask])
    }

    /// The id of a special token's word (PAD, START, END, UNK), nil for any other word: the
    /// specials' ids are the same in every vocabulary.
    public static func specialID(_ word: String) -> Int32? {
        switch word {
        case pad: return padID
        case start: return startID
        case end: return endID
        case unknown: return unknownID
        default: return nil
        }
    }

    public func id(_ word: String) -> Int32 { index[word] ?? Self.unknownID }
    public func contains(_ word: String) -> Bool { index[word] != nil }
    public func word(_ id: Int32) -> String { words[Int(id)] }

    /// START w1..wn END, right-padded with PAD to `length`; nil if it does not fit.
    public func encode(_ tokens: [String], length: Int) -> [Int32]? {
        guard tokens.count + 2 <= length else { return nil }
        var ids = [Self.startID]
        ids += tokens.map { id($0) }
        ids.append(Self.endID)
        ids += [Int32](repeating: Self.padID, count: length - ids.count)
        return ids
    }

    /// The words between START and the first END (or PAD), specials dropped.
    public func decode(_ ids: [Int32]) -> [String] {
        var out = [String]()
        for id in ids {
            if id == Self.startID { continue }
            if id == Self.endID || id == Self.padID { break }
            out.append(word(id))
        }
        return out
    }

    public func toJSON() throws -> Data {
        try JSONSerialization.data(withJSONObject: words, options: [])
    }

    public static func fromJSON(_ data: Data, file: String) throws -> Vocabulary {
        try JSONText.checked(data, file: file)
        guard let list = (try? JSONSerialization.jsonObject(with: data)) as? [String] else {
            throw DenoiseError.corrupt(file: file, "expected a JSON array of strings")
        }
        do { return try Vocabulary(words: list) } catch let DenoiseError.invalid(why) {
            throw DenoiseError.corrupt(file: file, why)
        }
    }
}
