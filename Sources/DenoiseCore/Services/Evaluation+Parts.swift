import Foundation

/// Unguided samples against the training corpus.
public struct UnguidedEvaluation: Codable, Sendable, Equatable {
    public var count: Int
    /// Lengths drawn from the training length prior (false: the model decides the length).
    public var lengthPrior: Bool
    public var seconds: Double
    /// Share of the samples' trigrams found in the training corpus, and of held-out real sentences'.
    public var trigramShare: Double
    public var heldOutTrigramShare: Double
    /// Samples that are a training sentence word for word.
    public var copies: Int
    /// Distinct trigrams over all trigrams (`TrigramIndex.distinctShare`) of the samples, and
    /// of as many held-out real sentences (all of them when there are fewer; nil without any):
    /// how varied the samples are. nil in results written before the measure.
    public var distinctTrigrams: Double?
    public var heldOutDistinctTrigrams: Double?
    public var meanLength: Double
    /// Mean length of the training sentences, for the ratio.
    public var corpusMeanLength: Double
    /// The first five samples.
    public var examples: [String]
    /// The same samples without the length prior (only for a model that has one).
    public var freeLength: FreeLengthEvaluation?
}

/// Unguided samples where the model alone puts END.
public struct FreeLengthEvaluation: Codable, Sendable, Equatable {
    public var trigramShare: Double
    public var meanLength: Double
}

/// Exact-length success over lengths `shortest...longest`.
public struct LengthEvaluation: Codable, Sendable, Equatable {
    public var perLength: Int
    public var shortest: Int
    public var longest: Int
    public var exact: Int
    public var total: Int
    /// Lengths where some sample missed: length, exact samples, samples.
    public var misses: [LengthMiss]
    public var exactShare: Double { Double(exact) / Double(total) }
}

public struct LengthMiss: Codable, Sendable, Equatable {
    public var length: Int
    public var exact: Int
    public var samples: Int
}

/// Infilling: the given words of each template kept in place.
public struct InfillEvaluation: Codable, Sendable, Equatable {
    public var perTemplate: Int
    /// Each template with its first sample.
    public var templates: [InfillExample]
    public var kept: Int
    public var given: Int
    public var keptShare: Double { Double(kept) / Double(max(1, given)) }
}

public struct InfillExample: Codable, Sendable, Equatable {
    public var template: String
    public var firstSample: String
}

extension Evaluation {
    func evaluateUnguided(index: TrigramIndex, heldOut: [[String]]) throws -> UnguidedEvaluation {
        let m = settings.model, count = settings.count
        let start = Date()
        let samples = try samples(settings.chain, count: count)
        let seconds = Date().timeIntervalSince(start)
        let copies = samples.filter { index.sentences.contains($0.joined(separator: " ")) }.count
        let meanLength = Double(samples.reduce(0) { $0 + $1.count }) / Double(samples.count)
        var free: FreeLengthEvaluation? = nil
        if m.config.lengthHistogram != nil {
            // The same samples without the length prior: where the model alone puts END.
            var settings = settings.chain
            settings.lengthMode = .free
            let freeSamples = try self.samples(settings, count: count)
            let freeMean = Double(freeSamples.reduce(0) { $0 + $1.count }) / Double(freeSamples.count)
            free = FreeLengthEvaluation(trigramShare: index.share(freeSamples), meanLength: freeMean)
        }
        return UnguidedEvaluation(count: count, lengthPrior: m.config.lengthHistogram != nil, seconds: seconds,
                                  trigramShare: index.share(samples), heldOutTrigramShare: index.share(heldOut), copies: copies,
                                  distinctTrigrams: TrigramIndex.distinctShare(samples),
                                  heldOutDistinctTrigrams: heldOut.isEmpty ? nil : TrigramIndex.distinctShare(Array(heldOut.prefix(count))),
                                  meanLength: meanLength, corpusMeanLength: index.meanLength, examples: samples.prefix(5).map(Tokenizer.join), freeLength: free)
    }

    func evaluateLength() throws -> LengthEvaluation {
        let shortest = 6, longest = min(30, settings.model.config.sequenceLength - 2)
        var exact = 0, total = 0
        var misses = [LengthMiss]()
        for n in stride(from: shortest, through: longest, by: 1) {
            var s = settings.chain
            s.lengthMode = .exact(n)
            let samples = try samples(s, count: settings.perTarget)
            let ok = samples.filter { $0.count == n }.count
            exact += ok; total += samples.count
            if ok < samples.count { misses.append(LengthMiss(length: n, exact: ok, samples: samples.count)) }
        }
        return LengthEvaluation(perLength: settings.perTarget, shortest: shortest, longest: longest, exact: exact, total: total, misses: misses)
    }

    static let infillTemplates = ["_ _ is a _ restaurant near _ _ .", "The Eagle is a _ _ in the _ _ .",
                                  "_ _ _ serves _ food and is located in the city centre .", "There is a cheap _ called _ _ near _ _ ."]

    func evaluateInfill() throws -> InfillEvaluation {
        var kept = 0, given = 0
        var examples = [InfillExample]()
        for template in Self.infillTemplates {
            var s = settings.chain
            s.lengthMode = .template(template)
            let samples = try samples(s, count: settings.perTarget)
            let words = Tokenizer.tokenize(template)
            for sample in samples {
                for (i, w) in words.enumerated() where w != "_" {
                    given += 1
                    if i < sample.count && sample[i] == w { kept += 1 }
                }
            }
            examples.append(InfillExample(template: template, firstSample: Tokenizer.join(samples[0])))
        }
        return InfillEvaluation(perTemplate: settings.perTarget, templates: examples, kept: kept, given: given)
    }
}
