/// Positions fixed to a known word after every reverse step: START at position 0, and for an
/// exact length n, END at n+1 and PAD after it; for an infilling template, the given words
/// (and the END/PAD tail after the template).
public struct PositionConstraints: Sendable, Equatable {
    /// (position, word id), sorted by position.
    public var fixed: [(position: Int, id: Int32)]

    public static func == (a: Self, b: Self) -> Bool {
        a.fixed.map(\.position) == b.fixed.map(\.position) && a.fixed.map(\.id) == b.fixed.map(\.id)
    }

    public init(fixed: [(position: Int, id: Int32)] = []) { self.fixed = fixed }

    /// Builds the constraints of a length mode for `vocabulary` and sequence length `l`: none for
    /// the length prior and free length (the prior's drawn length is an `exact` mode of its
    /// own); a length out of range, a template too long, or a word not in the vocabulary is an
    /// error that says what is accepted.
    public init(mode: LengthMode, vocabulary: Vocabulary, sequenceLength l: Int) throws {
        var fixed = [(position: Int, id: Int32)]()
        if let n = mode.exactLength {
            guard n >= 1 && n <= l - 2 else {
                throw DenoiseError.invalid("length \(n) is out of range: accepted 1...\(l - 2) tokens for this model (L = \(l))")
            }
            fixed.append((0, Vocabulary.startID))
            fixed.append((n + 1, Vocabulary.endID))
            for p in (n + 2)..<l { fixed.append((p, Vocabulary.padID)) }
        } else if let template = mode.template {
            let tokens = Tokenizer.tokenize(template)
            guard !tokens.isEmpty else {
                throw DenoiseError.invalid("infill template is empty: give words and `_` for free tokens, e.g. \"_ _ is a _ restaurant near _ _ .\"")
            }
            guard tokens.contains("_") else {
                throw DenoiseError.invalid("infill template \"\(template)\" has no free slot: mark each free token with `_`")
            }
            guard tokens.count <= l - 2 else {
                throw DenoiseError.invalid("infill template has \(tokens.count) tokens: accepted at most \(l - 2) for this model")
            }
            let unknown = tokens.filter { $0 != "_" && !vocabulary.contains($0) }
            if let first = unknown.first {
                throw DenoiseError.invalid("infill word \"\(first)\" is not in the model's vocabulary (\(vocabulary.count) words; words are case-sensitive)")
            }
            fixed.append((0, Vocabulary.startID))
            for (i, t) in tokens.enumerated() where t != "_" { fixed.append((i + 1, vocabulary.id(t))) }
            fixed.append((tokens.count + 1, Vocabulary.endID))
            for p in (tokens.count + 2)..<l { fixed.append((p, Vocabulary.padID)) }
        }
        self.fixed = fixed
    }

    public var isEmpty: Bool { fixed.isEmpty }

    /// Positions known to hold a word: between START and the fixed END, not fixed themselves.
    public func freeWordPositions() -> [Int] {
        guard let end = fixed.first(where: { $0.id == Vocabulary.endID })?.position else { return [] }
        let taken = Set(fixed.map(\.position))
        return (1..<end).filter { !taken.contains($0) }
    }

    /// The smallest range of positions holding every position that is not fixed (nil without
    /// constraints): a model's predictions outside it are overwritten after every step.
    public func unfixedSpan(length l: Int) -> Range<Int>? {
        guard !fixed.isEmpty else { return nil }
        let taken = Set(fixed.map(\.position))
        guard let first = (0..<l).first(where: { !taken.contains($0) }),
              let last = (0..<l).last(where: { !taken.contains($0) }) else { return nil }
        return first..<(last + 1)
    }

    /// Overwrites the fixed positions of one sequence x [L, D] with clean embeddings.
    public func apply(to x: UnsafeMutablePointer<Float>, dim d: Int, embedding: (Int32) -> UnsafePointer<Float>) {
        for (p, id) in fixed { (x + p * d).update(from: embedding(id), count: d) }
    }

    /// A length drawn from `histogram` (counts per length, lengths 1... only) with `u` uniform in [0, 1).
    public static func drawLength(histogram: [Int], u: Float) -> Int? {
        let total = histogram.dropFirst().reduce(0, +)
        guard total > 0 else { return nil }
        var target = Int(u * Float(total))
        for n in 1..<histogram.count {
            target -= histogram[n]
            if target < 0 { return n }
        }
        return histogram.count - 1
    }
}
