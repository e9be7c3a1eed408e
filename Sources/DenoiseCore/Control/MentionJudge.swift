/// Judges from the output text alone (never the classifier) whether a sentence mentions a field
/// value. Matching is on tokens, case-insensitive:
/// - most values must appear as a contiguous token run ("city centre", "£20-25", "5 out of 5");
/// - familyFriendly: "family friendly" / "kid friendly" / "child friendly" (a "-" may sit
///   between), negated ("no"/"not"/"non"/"n't" within three tokens before it) for `no`;
/// - priceRange high/moderate/cheap and customer rating high/average/low: the adjective must sit
///   within three tokens of a word of that field ("price", "rating", ...), so "high rating" does
///   not count as a high price; "expensive" counts as a high price, "moderately" as moderate.
public enum MentionJudge {
    static let negations: Set<String> = ["no", "not", "non", "n't", "never", "isn't", "doesn't", "nt"]
    static let priceWords: Set<String> = ["price", "prices", "priced", "pricing", "cost", "costs", "range", "budget", "expensive", "cheap"]
    static let ratingWords: Set<String> = ["rating", "ratings", "rated", "customer", "customers", "star", "stars", "reviews", "review", "score"]

    public static func mentions(field: String, value: String, in text: String) -> Bool {
        let tokens = Tokenizer.tokenize(text).map { $0.lowercased() }
        let v = value.lowercased()
        switch (field, v) {
        case ("familyFriendly", "yes"): return familyPositions(tokens).contains { !negated(tokens, at: $0) }
        case ("familyFriendly", "no"): return familyPositions(tokens).contains { negated(tokens, at: $0) }
                || contains(tokens, ["adults", "only"]) || contains(tokens, ["adult", "only"])
        case ("priceRange", "high"): return tokens.contains("expensive") || near(tokens, "high", priceWords)
        case ("priceRange", "moderate"): return near(tokens, "moderate", priceWords) || near(tokens, "moderately", priceWords)
            || tokens.contains("moderately")
        case ("priceRange", "cheap"): return tokens.contains("cheap") || tokens.contains("inexpensive")
        case ("customer rating", "high"), ("customer rating", "average"), ("customer rating", "low"):
            return near(tokens, v, ratingWords)
        default:
            return contains(tokens, Tokenizer.tokenize(v))
        }
    }

    /// Whether `mentions` accepts only the value's own token run (the default case above).
    public static func needsItsOwnWords(field: String, value: String) -> Bool {
        switch (field, value.lowercased()) {
        case ("familyFriendly", _), ("priceRange", "high"), ("priceRange", "moderate"), ("priceRange", "cheap"),
             ("customer rating", "high"), ("customer rating", "average"), ("customer rating", "low"):
            return false
        default:
            return true
        }
    }

    static func contains(_ tokens: [String], _ run: [String]) -> Bool {
        guard !run.isEmpty, run.count <= tokens.count else { return false }
        for i in 0...(tokens.count - run.count) where Array(tokens[i..<(i + run.count)]) == run { return true }
        return false
    }

    /// Indices of "family"/"kid(s)"/"child(ren)" followed by "friendly" (optionally via "-").
    static func familyPositions(_ t: [String]) -> [Int] {
        let heads: Set<String> = ["family", "kid", "kids", "child", "children"]
        return t.indices.filter { i in
            guard heads.contains(t[i]) else { return false }
            if i + 1 < t.count, t[i + 1] == "friendly" { return true }
            return i + 2 < t.count && t[i + 1] == "-" && t[i + 2] == "friendly"
        }
    }

    static func negated(_ t: [String], at i: Int) -> Bool {
        t[max(0, i - 3)..<i].contains { negations.contains($0) }
    }

    static func near(_ t: [String], _ word: String, _ context: Set<String>) -> Bool {
        t.indices.contains { i in
            t[i] == word && t[max(0, i - 3)..<min(t.count, i + 4)].contains { context.contains($0) && $0 != word }
        }
    }
}

/// Fluency against a corpus: the share of generated word trigrams that occur in it.
public struct TrigramIndex: Sendable {
    let trigrams: Set<String>
    public let sentences: Set<String>
    public let meanLength: Double

    public init(sentences tokenized: [[String]]) {
        trigrams = Set(tokenized.flatMap(Self.trigrams))
        sentences = Set(tokenized.map { $0.joined(separator: " ") })
        meanLength = Double(tokenized.reduce(0) { $0 + $1.count }) / Double(max(1, tokenized.count))
    }

    /// The word trigrams of one token sequence, each as its three words joined by spaces.
    static func trigrams(_ s: [String]) -> [String] {
        s.count < 3 ? [] : (0...(s.count - 3)).map { s[$0..<($0 + 3)].joined(separator: " ") }
    }

    /// (trigrams found, trigrams in total) of one token sequence.
    public func count(_ s: [String]) -> (found: Int, total: Int) {
        let all = Self.trigrams(s)
        return (all.filter(trigrams.contains).count, all.count)
    }

    /// Distinct trigrams over all trigrams of `samples` ("distinct-3"): 1 when no trigram
    /// repeats across the set, near 0 when every sample says the same. It falls as the set
    /// grows, so sets compared must be the same size.
    public static func distinctShare(_ samples: [[String]]) -> Double {
        let all = samples.flatMap(trigrams)
        return all.isEmpty ? 0 : Double(Set(all).count) / Double(all.count)
    }

    /// Share of all trigrams of `samples` found in the index.
    public func share(_ samples: [[String]]) -> Double {
        var f = 0, t = 0
        for s in samples { let c = count(s); f += c.found; t += c.total }
        return t == 0 ? 0 : Double(f) / Double(t)
    }
}
