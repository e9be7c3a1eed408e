import Foundation

/// Labelled sentences for the attribute classifier: ids in the denoiser's vocabulary and, per
/// field, the class index (the value, or "none" = values.count).
public struct ClassifierData: Sendable {
    public let fields: [Classifier.Field]
    public let trainIDs: [Int32], trainLabels: [Int32]
    public let heldOutIDs: [Int32], heldOutLabels: [Int32]
    public let trainCount: Int, heldOutCount: Int
    public let length: Int
    /// Word ids (no START/END) and labels of every training and held-out sentence, for
    /// value substitution.
    let trainWords: [[Int32]], heldOutWords: [[Int32]]
    /// Word ids of every value of every field; nil when the field is not substituted or the
    /// value has a word outside the vocabulary.
    let valueWords: [[[Int32]?]]
    /// Per field, per value: the number of words of its mention, for the tagger (0: the value
    /// does not stand verbatim in the text, or has a word outside the vocabulary).
    public var spanLengths: [[Int]] { valueWords.map { $0.map { $0?.count ?? 0 } } }

    /// Fields whose values appear verbatim in the text and only as that field, so a value can be
    /// swapped for another in both the sentence and its label. Of priceRange and customer rating
    /// only the phrases of three or more tokens ("£20-25", "3 out of 5") take part: "high" or
    /// "cheap" alone do not say which field they belong to.
    public static let substitutableFields: Set<String> = ["name", "near", "food", "area", "eatType", "priceRange", "customer rating"]
    static let phraseOnlyFields: Set<String> = ["priceRange", "customer rating"]
    /// Share of swappable mentions of two or more words that are instead broken (see
    /// `breakMention`) and labelled "none". 0.5 rather than 0.3: at 0.3 the classifier takes
    /// "Bibimbap Rest Beefeater" for Travellers Rest Beefeater, which stops guidance early, and
    /// control success is lower (docs/DECISIONS.md, "Constants in the code").
    public static let brokenMentionShare: Float = 0.5

    /// Field values are those seen in the training part, most frequent first.
    public init(examples: [CorpusExample], vocabulary: Vocabulary, length: Int, heldOutPercent: Int) throws {
        let labelled = examples.filter { $0.meaning != nil }
        guard !labelled.isEmpty else {
            throw DenoiseError.invalid("no labelled sentences: the classifier needs E2E CSV files with an mr column")
        }
        var counts = [String: [String: Int]]()
        for ex in labelled where !TrainingData.isHeldOut(ex.text, percent: heldOutPercent) {
            for (f, v) in ex.meaning!.values where MeaningRepresentation.fields.contains(f) { counts[f, default: [:]][v, default: 0] += 1 }
        }
        let fields = MeaningRepresentation.fields.compactMap { f -> Classifier.Field? in
            guard let c = counts[f] else { return nil }
            // A value whose words the denoiser cannot write is not offered (its sentences read "none").
            return Classifier.Field(name: f, values: c.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map(\.key)
                .filter { ControlSets.missingWords(of: ControlTarget(field: f, value: $0), vocabulary: vocabulary).isEmpty })
        }
        var tIDs = [Int32](), tLabels = [Int32](), hIDs = [Int32](), hLabels = [Int32]()
        var tWords = [[Int32]](), hWords = [[Int32]]()
        for ex in labelled {
            let words = Tokenizer.tokenize(ex.text)
            guard let ids = vocabulary.encode(words, length: length) else { continue }
            let labels = fields.map { f -> Int32 in
                guard let v = ex.meaning!.values[f.name], let i = f.values.firstIndex(of: v) else { return Int32(f.values.count) }
                return Int32(i)
            }
            if TrainingData.isHeldOut(ex.text, percent: heldOutPercent) {
                hIDs += ids; hLabels += labels; hWords.append(words.map { vocabulary.id($0) })
            } else {
                tIDs += ids; tLabels += labels; tWords.append(words.map { vocabulary.id($0) })
            }
        }
        trainWords = tWords; heldOutWords = hWords
        valueWords = fields.map { f in
            f.values.map { v -> [Int32]? in
                guard Self.substitutableFields.contains(f.name) else { return nil }
                let words = Tokenizer.tokenize(v)
                if Self.phraseOnlyFields.contains(f.name) && words.count < 3 { return nil }
                return words.allSatisfy(vocabulary.contains) && !words.isEmpty ? words.map { vocabulary.id($0) } : nil
            }
        }
        self.fields = fields
        trainIDs = tIDs; trainLabels = tLabels; heldOutIDs = hIDs; heldOutLabels = hLabels
        trainCount = tIDs.count / length; heldOutCount = hIDs.count / length
        self.length = length
        guard trainCount > 0 else { throw DenoiseError.invalid("no labelled sentence fits the model's length \(length)") }
    }
}

extension ClassifierData {
    /// Sentence k with, for each substitutable field (each with probability `rate`), its value
    /// swapped for another value of that field drawn uniformly, in the words and in the label.
    /// Writes ids [length] and labels [fields]; returns the number of swaps.
    ///
    /// Why: E2E has ~1,000 distinct meaning representations, each with several references, so a
    /// classifier can learn a name from the other attributes it always comes with and never
    /// look at the name's words. Its gradient then steers the other attributes instead of writing
    /// the name. Swapping values breaks those co-occurrences, and drawing the new value
    /// uniformly gives rare values as many examples as frequent ones.
    ///
    /// With `brokenShare` > 0, that share of chosen multi-word mentions is broken instead and
    /// labelled "none" (`breakMention`):
    /// a mean-pooled classifier otherwise takes "Taste Cambridge" or "Palace Hall" for the value,
    /// and guidance stops before the words are right. (It still takes "The Rest" for Travellers
    /// Rest Beefeater: the augmentation narrows the problem, it does not remove it.)
    @discardableResult
    func substituted(_ k: Int, heldOut: Bool = false, rate: Float, brokenShare: Float = 0, rng: inout RandomSource,
                     ids: UnsafeMutablePointer<Int32>, labels: UnsafeMutablePointer<Int32>,
                     tags: (layout: TagLayout, labels: UnsafeMutablePointer<Int32>)? = nil) -> Int {
        let nf = fields.count
        var words = heldOut ? heldOutWords[k] : trainWords[k]
        let source = heldOut ? heldOutLabels : trainLabels
        for f in 0..<nf { labels[f] = source[k * nf + f] }
        var swaps = 0
        for f in 0..<nf where rate > 0 && Self.substitutableFields.contains(fields[f].name) {
            let current = Int(labels[f])
            guard current < fields[f].values.count, let old = valueWords[f][current], rng.uniform() < rate else { continue }
            guard let at = Self.onlyOccurrence(of: old, in: words) else { continue }
            if brokenShare > 0, old.count >= 2, rng.uniform() < brokenShare {
                breakMention(at: at, count: old.count, field: f, in: &words, rng: &rng)
                labels[f] = Int32(fields[f].values.count)
                swaps += 1
                continue
            }
            let pick = rng.int(below: fields[f].values.count)
            guard pick != current, let new = valueWords[f][pick] else { continue }
            // The new value must not already stand in the sentence for another field.
            guard !Self.contains(new, in: words) else { continue }
            guard words.count - old.count + new.count + 2 <= length else { continue }
            words.replaceSubrange(at..<(at + old.count), with: new)
            labels[f] = Int32(pick)
            swaps += 1
        }
        ids[0] = Vocabulary.startID
        for (i, w) in words.enumerated() { ids[i + 1] = w }
        ids[words.count + 1] = Vocabulary.endID
        for p in (words.count + 2)..<length { ids[p] = Vocabulary.padID }
        if let tags { writeTags(words: words, labels: labels, layout: tags.layout, into: tags.labels) }
        return swaps
    }

    /// Tag labels [length, fields] of a sentence (`words` after START): for each field whose
    /// labelled value is tagged, every occurrence of the value's words gets "word j of v" (its
    /// column inside the field's block); every other position "outside" (0). A labelled value
    /// that is not in the words (paraphrased, or broken into "none") leaves the field outside.
    func writeTags(words: [Int32], labels: UnsafePointer<Int32>, layout: TagLayout, into tags: UnsafeMutablePointer<Int32>) {
        let nf = fields.count
        tags.update(repeating: 0, count: length * nf)
        for f in 0..<nf where layout.blockOffsets[f] != nil {
            let v = Int(labels[f])
            guard v < fields[f].values.count, layout.isTagged(field: f, value: v), let run = valueWords[f][v] else { continue }
            for at in Self.occurrences(of: run, in: words) {
                for j in run.indices { tags[(at + 1 + j) * nf + f] = Int32(layout.valueStarts[f][v] + j) }
            }
        }
    }

    /// Breaks the mention words[at..<at+count] of field f so that it no longer says any value of
    /// f: a word dropped, two neighbours exchanged, or a word replaced by a word of another value
    /// of the same field ("Taste of Cambridge" -> "Browns of Cambridge", "Clare Hall" ->
    /// "Palace Hall"). These are the near misses guidance produces; the last kind raises control
    /// success on weak targets. Keeping only a part of the value ("Rest" for Travellers Rest
    /// Beefeater) as a fourth kind measures no better (docs/DECISIONS.md, "Constants in the code").
    func breakMention(at: Int, count: Int, field f: Int, in words: inout [Int32], rng: inout RandomSource) {
        let i = rng.int(below: count)
        switch rng.int(below: 3) {
        case 1 where i < count - 1:
            words.swapAt(at + i, at + i + 1)
            if words[at + i] != words[at + i + 1] { return }
        case 2:
            let others = valueWords[f].compactMap { $0 }.flatMap { $0 }.filter { $0 != words[at + i] }
            if !others.isEmpty {
                let saved = words[at + i]
                words[at + i] = others[rng.int(below: others.count)]
                if !valueWords[f].contains(where: { $0.map { Self.contains($0, in: words) } ?? false }) { return }
                words[at + i] = saved
            }
        default: break
        }
        words.remove(at: at + i)
    }

    /// Start positions of `run` in `words`.
    static func occurrences(of run: [Int32], in words: [Int32]) -> [Int] {
        guard !run.isEmpty, run.count <= words.count else { return [] }
        return (0...(words.count - run.count)).filter { words[$0..<($0 + run.count)].elementsEqual(run) }
    }

    static func contains(_ run: [Int32], in words: [Int32]) -> Bool { !occurrences(of: run, in: words).isEmpty }

    /// The start of `run` in `words` when it occurs exactly once.
    static func onlyOccurrence(of run: [Int32], in words: [Int32]) -> Int? {
        let hits = occurrences(of: run, in: words)
        return hits.count == 1 ? hits[0] : nil
    }
}

/// Trains the classifier on forward-noised clean embeddings of the frozen denoiser
/// (a quarter of each batch clean, at t = 0; the rest at t uniform in 0..<T).
public final class ClassifierTrainer {
    public let classifier: Classifier
    public let data: ClassifierData
    let denoiser: Denoiser
    let schedule: NoiseSchedule
    let batch: Int
    let ws: Classifier.Workspace
    let optimizer: AdamW
    let x: FloatBuffer
    let ids: UnsafeMutablePointer<Int32>
    let labels: UnsafeMutablePointer<Int32>
    /// [B, L, fields] tag labels inside each field's block (tagger only).
    let tagLabels: UnsafeMutablePointer<Int32>
    let timesteps: UnsafeMutablePointer<Int32>
    public var rng: RandomSource
    public private(set) var iteration = 0
    public var learningRate: Float = 1e-3
    /// Length of the cosine learning-rate decay.
    public var totalIterations = 4000
    /// Probability of swapping each substitutable field's value in a training sentence.
    public var substitutionRate: Float = 0.5
    /// Share of the chosen multi-word mentions broken and labelled "none" instead of swapped.
    public var brokenShare: Float = ClassifierData.brokenMentionShare
    /// Weight of the tagger's cross-entropy (summed over positions) against the sentence heads'.
    /// The default the CLI passes is `defaultTagWeight`.
    public var tagWeight: Float = ClassifierTrainer.defaultTagWeight
    /// 0.25 rather than 1: summed over 48 positions the tagger's loss at weight 1 outweighs the
    /// sentence heads, which judge the values without words of their own; at 0.25 the heads read
    /// those values better and steer them better (docs/DECISIONS.md, "Span scoring for values
    /// with words of their own").
    public static let defaultTagWeight: Float = 0.25

    public init(classifier: Classifier, denoiser: Denoiser, data: ClassifierData, batch: Int = 64, seed: UInt64 = 1) {
        self.classifier = classifier; self.denoiser = denoiser; self.data = data; self.batch = batch
        schedule = NoiseSchedule(sqrtSteps: denoiser.config.diffusionSteps)
        ws = Classifier.Workspace(classifier: classifier, batch: batch)
        optimizer = AdamW(count: classifier.params.count)
        x = FloatBuffer(count: batch * data.length * denoiser.config.embeddingDim)
        ids = .allocate(capacity: batch * data.length); ids.initialize(repeating: 0, count: batch * data.length)
        labels = .allocate(capacity: batch * data.fields.count); labels.initialize(repeating: 0, count: batch * data.fields.count)
        tagLabels = .allocate(capacity: batch * data.length * data.fields.count)
        tagLabels.initialize(repeating: 0, count: batch * data.length * data.fields.count)
        timesteps = .allocate(capacity: batch); timesteps.initialize(repeating: 0, count: batch)
        rng = RandomSource(seed: seed &+ 0xC1A5)
    }

    deinit { ids.deallocate(); labels.deallocate(); tagLabels.deallocate(); timesteps.deallocate() }

    /// Where `substituted` writes row b's tag labels (nil without a tagger).
    func tagTarget(row b: Int) -> (layout: TagLayout, labels: UnsafeMutablePointer<Int32>)? {
        classifier.tags.total > 0 ? (classifier.tags, tagLabels + b * data.length * data.fields.count) : nil
    }

    /// x = sqrt(abar_t) E[ids] + sqrt(1 - abar_t) eps for row b (t = 0 means clean E[ids]); for
    /// a discrete denoiser, the embeddings of the sentence corrupted as its kind does at time
    /// (t + 1) / T (`corrupted`), the input a discrete chain's guide reads.
    func noised(row b: Int, t: Int) {
        let l = data.length, d = denoiser.config.embeddingDim
        let e = denoiser.params.values.pointer + denoiser.embeddingOffset
        if denoiser.config.modelKind.isDiscrete {
            corrupted(row: b, t: t)
            return
        }
        let a = t == 0 ? 1 : Float(schedule.alphaBars[t].squareRoot()), s = t == 0 ? 0 : Float((1 - schedule.alphaBars[t]).squareRoot())
        for p in 0..<l {
            let src = e + Int(ids[b * l + p]) * d, dst = x.pointer + (b * l + p) * d
            for j in 0..<d { dst[j] = a * src[j] + (s == 0 ? 0 : s * rng.normal()) }
        }
        timesteps[b] = Int32(t)
    }

    /// Row b of a discrete denoiser's classifier input: each token replaced, with probability
    /// (t + 1) / T (none at t = 0), by MASK (masked kind) or a uniformly drawn word (uniform
    /// kind), then embedded. START, END and PAD are corrupted too, as in the chain without a
    /// fixed length.
    func corrupted(row b: Int, t: Int) {
        let c = denoiser.config, l = data.length, d = c.embeddingDim
        let e = denoiser.params.values.pointer + denoiser.embeddingOffset
        let rate = t == 0 ? 0 : Float(t + 1) / Float(c.diffusionSteps)
        for p in 0..<l {
            var id = ids[b * l + p]
            if rate > 0 && rng.uniform() < rate { id = c.maskID ?? Int32(rng.int(below: c.vocabSize)) }
            (x.pointer + (b * l + p) * d).update(from: e + Int(id) * d, count: d)
        }
        timesteps[b] = Int32(t)
    }

    /// Mean cross-entropy over fields of one batch, with its gradient into `ws.dLogits`.
    func loss(rows: Int) -> Float {
        let nf = data.fields.count, total = classifier.totalClasses
        let probs = ws.probabilities.pointer, dl = ws.dLogits.pointer
        ws.dLogits.zero()
        var loss: Float = 0
        let scale = 1 / Float(rows * nf)
        for b in 0..<rows {
            for k in 0..<nf {
                let off = b * total + classifier.logitOffsets[k], c = Int(labels[b * nf + k])
                loss -= logf(max(probs[off + c], 1e-12)) * scale
                for j in 0..<data.fields[k].classCount { dl[off + j] = probs[off + j] * scale }
                dl[off + c] -= scale
            }
        }
        return loss + tagLoss(rows: rows)
    }

    /// The tagger's cross-entropy, summed over positions and averaged over sequences and
    /// fields (so a mention's few positions are not drowned by the many outside), with its
    /// gradient into `ws.dTagLogits`.
    func tagLoss(rows: Int) -> Float {
        let layout = classifier.tags, t = layout.total, l = data.length, nf = data.fields.count
        guard t > 0, tagWeight > 0 else { return 0 }
        let q = ws.tagProbabilities.pointer, d = ws.dTagLogits.pointer
        ws.dTagLogits.zero()
        let scale = tagWeight / Float(rows * nf)
        var loss: Float = 0
        for r in 0..<(rows * l) {
            for k in 0..<nf {
                guard let off = layout.blockOffsets[k] else { continue }
                let row = r * t + off, c = Int(tagLabels[r * nf + k])
                loss -= logf(max(q[row + c], 1e-12)) * scale
                for j in 0..<layout.blockWidths[k] { d[row + j] = q[row + j] * scale }
                d[row + c] -= scale
            }
        }
        return loss
    }

    @discardableResult
    public func step() -> Float {
        let l = data.length, nf = data.fields.count
        for b in 0..<batch {
            let k = rng.int(below: data.trainCount)
            data.substituted(k, rate: substitutionRate, brokenShare: brokenShare, rng: &rng,
                             ids: ids + b * l, labels: labels + b * nf, tags: tagTarget(row: b))
            noised(row: b, t: b < batch / 4 ? 0 : rng.int(below: schedule.count))
        }
        classifier.forward(x: x.pointer, timesteps: timesteps, batch: batch, workspace: ws)
        let value = loss(rows: batch)
        classifier.backward(x: x.pointer, batch: batch, workspace: ws, dx: nil)
        let progress = Float(iteration) / Float(max(1, totalIterations))
        let lr = learningRate * max(0.1, 0.5 * (1 + cosf(Float.pi * min(progress, 1))))
        optimizer.update(params: classifier.params.values.pointer, grads: ws.grads.pointer, count: classifier.params.count, learningRate: lr)
        iteration += 1
        return value
    }

    /// Held-out accuracy of every field at time index t (0: clean). With `substituted`, on
    /// held-out sentences whose substitutable values were all swapped (fixed seed), the test that
    /// the classifier reads the words rather than guessing from the other attributes; with
    /// `broken`, every multi-word mention broken instead (the right answer is "none"), the test
    /// that it reads the whole value. Only the substitutable fields are then reported. With
    /// `spans`, tagged fields are judged by the tagger (`spanGuess`), untagged ones as before.
    public func accuracy(t: Int, substituted: Bool = false, broken: Bool = false, spans: Bool = false) -> [String: Double] {
        var swapRng = RandomSource(seed: 0x5AB5)
        let l = data.length, nf = data.fields.count
        var correct = [Int](repeating: 0, count: nf)
        var start = 0
        while start < data.heldOutCount {
            let rows = min(batch, data.heldOutCount - start)
            for b in 0..<rows {
                data.substituted(start + b, heldOut: true, rate: substituted || broken ? 1 : 0, brokenShare: broken ? 1 : 0,
                                 rng: &swapRng, ids: ids + b * l, labels: labels + b * nf)
                noised(row: b, t: t)
            }
            classifier.forward(x: x.pointer, timesteps: timesteps, batch: rows, workspace: ws)
            for b in 0..<rows {
                for k in 0..<nf {
                    let best = spans && classifier.tags.blockOffsets[k] != nil
                        ? spanGuess(field: k, sequence: b) : headGuess(field: k, sequence: b)
                    if best == Int(labels[b * nf + k]) { correct[k] += 1 }
                }
            }
            start += rows
        }
        var out = [String: Double]()
        for (k, f) in data.fields.enumerated() where !(substituted || broken) || ClassifierData.substitutableFields.contains(f.name) {
            out[f.name] = Double(correct[k]) / Double(max(1, data.heldOutCount))
        }
        return out
    }

    /// The sentence head's most likely class of field k.
    func headGuess(field k: Int, sequence b: Int) -> Int {
        var best = 0, bestP: Float = -1
        for c in 0..<data.fields[k].classCount {
            let p = classifier.probability(field: k, classIndex: c, sequence: b, workspace: ws)
            if p > bestP { bestP = p; best = c }
        }
        return best
    }

    /// The tagged value of field k whose best span is surest, when that span's probability is
    /// over 0.5; otherwise "none" (values.count).
    func spanGuess(field k: Int, sequence b: Int) -> Int {
        var best = data.fields[k].values.count, bestP: Float = 0.5
        for v in data.fields[k].values.indices {
            if let span = classifier.bestSpan(field: k, value: v, sequence: b, workspace: ws), span.probability > bestP {
                best = v; bestP = span.probability
            }
        }
        return best
    }
}
