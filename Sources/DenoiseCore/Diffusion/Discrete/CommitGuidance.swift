import Foundation

/// Classifier guidance for the one word a discrete chain writes at a position, computed exactly
/// on the words the model finds plausible there (Schiff et al.'s discrete classifier guidance,
/// truncated to candidates): when a masked chain commits a position, or when a uniform chain's
/// posterior draw changes one.
///
/// Guided, that word is drawn from
///   p(v)^(1/T) * p(c | z with v at q, s)^w,
/// where p is the denoiser's distribution (masked) or the posterior without the current word
/// (uniform, T = 1: the posterior already holds the temperature), and the second factor is the
/// classifier on the sentence as it would read after the step (time s). The candidates are
/// `capacity` words allowed at q (never MASK, nor PAD, START and END where a word must stand):
/// half of highest logit and half of highest first-order guided logit (the proposals, masked
/// chains), or all of highest logit, all scored in one batched classifier pass. The rest of the
/// vocabulary is left out, as top-k sampling leaves it out. Which positions commit or change at
/// a step is not guided: only the word written there.
///
/// Why exact rather than the first-order reweighting: one word decides a control ("Chinese"
/// either stands or not), which is far from the linear regime of a gradient taken at the current
/// word's embedding (docs/DECISIONS.md, "Exact guidance of discrete chains"). The cost is one
/// classifier pass over `capacity` sentences per word written.
final class CommitGuidance {
    let guide: ClassifierGuide
    let capacity: Int
    let length: Int
    let width: Int
    let workspace: Classifier.Workspace
    /// [capacity, L, D]: the candidate sentences' embeddings.
    let sentences: FloatBuffer
    let timesteps: UnsafeMutablePointer<Int32>
    /// [capacity]: each candidate's word, and its log-likelihood of the controls.
    let words: UnsafeMutablePointer<Int32>
    let logits: UnsafeMutablePointer<Float>
    let scores: UnsafeMutablePointer<Float>

    init(guide: ClassifierGuide, capacity: Int, length: Int, width: Int) {
        self.guide = guide
        self.capacity = capacity
        self.length = length
        self.width = width
        workspace = Classifier.Workspace(classifier: guide.classifier, batch: capacity)
        sentences = FloatBuffer(count: capacity * length * width)
        timesteps = .allocate(capacity: capacity); timesteps.initialize(repeating: 0, count: capacity)
        words = .allocate(capacity: capacity); words.initialize(repeating: 0, count: capacity)
        logits = .allocate(capacity: capacity); logits.initialize(repeating: 0, count: capacity)
        scores = .allocate(capacity: capacity); scores.initialize(repeating: 0, count: capacity)
    }

    deinit { timesteps.deallocate(); words.deallocate(); logits.deallocate(); scores.deallocate() }

    /// Picks the word of position q of `sentence` [L] from the logits `row` [V] reweighted by the
    /// controls (see the type's comment), with the uniform `u` (ignored at temperature 0, which
    /// takes the guided argmax). `allowed(j)` says which words may stand at q. Returns the word
    /// and the L2 norm of the change guidance made to the candidates' logits (centred, so a
    /// shift common to every candidate counts for nothing).
    func choose(row: UnsafePointer<Float>, proposals: UnsafePointer<Float>?, vocabularySize v: Int, allowed: (Int) -> Bool,
                sentence: UnsafePointer<Int32>, position q: Int, table: UnsafePointer<Float>, timeIndex: Int,
                temperature: Float, weight: Float, u: Float) -> (word: Int32, change: Float) {
        var k = selectCandidates(row: row, limit: proposals == nil ? capacity : (capacity + 1) / 2, vocabularySize: v,
                                 allowed: allowed)
        if let proposals { k = addProposals(proposals, row: row, from: k, vocabularySize: v, allowed: allowed) }
        precondition(k > 0, "no word may stand at position \(q)")
        if k == 1 { return (words[0], 0) }
        // Every candidate sentence is the current one with its word at q.
        let l = length, d = width, x = sentences.pointer
        Embedding.forward(out: x, table: table, ids: sentence, count: l, width: d)
        for j in 1..<k { (x + j * l * d).update(from: x, count: l * d) }
        for j in 0..<k { (x + (j * l + q) * d).update(from: table + Int(words[j]) * d, count: d) }
        guide.logLikelihoods(UnsafePointer(x), count: k, t: timeIndex, workspace: workspace, timesteps: timesteps,
                             out: scores)
        var meanScore: Float = 0
        for j in 0..<k { meanScore += scores[j] }
        meanScore /= Float(k)
        var change: Float = 0
        for j in 0..<k { let c = weight * (scores[j] - meanScore); change += c * c }
        // Guided log-weights, then the argmax (temperature 0) or a draw from their softmax.
        let invT = temperature > 0 ? 1 / temperature : 1
        var best = 0
        for j in 0..<k {
            logits[j] = logits[j] * invT + weight * scores[j]
            if logits[j] > logits[best] { best = j }
        }
        if temperature <= 0 { return (words[best], change.squareRoot()) }
        let top = logits[best]
        var total: Float = 0
        for j in 0..<k { logits[j] = expf(logits[j] - top); total += logits[j] }
        var acc: Float = 0
        let target = u * total
        for j in 0..<k {
            acc += logits[j]
            if target < acc { return (words[j], change.squareRoot()) }
        }
        return (words[k - 1], change.squareRoot())
    }

    /// The up to `limit` allowed words of highest logit, highest first, into `words` and
    /// `logits`; returns how many.
    func selectCandidates(row: UnsafePointer<Float>, limit: Int, vocabularySize v: Int, allowed: (Int) -> Bool) -> Int {
        var count = 0
        for j in 0..<v where allowed(j) {
            let z = row[j]
            if count == limit && z <= logits[count - 1] { continue }
            var at = count == limit ? count - 1 : count
            while at > 0 && logits[at - 1] < z {
                logits[at] = logits[at - 1]; words[at] = words[at - 1]
                at -= 1
            }
            logits[at] = z; words[at] = Int32(j)
            if count < limit { count += 1 }
        }
        return count
    }

    /// Fills `words` from index `first` up to `capacity` with the allowed words of highest
    /// `proposals` logit not already there (`logits` gets their `row` logits); returns the count.
    func addProposals(_ proposals: UnsafePointer<Float>, row: UnsafePointer<Float>, from first: Int, vocabularySize v: Int,
                      allowed: (Int) -> Bool) -> Int {
        var count = first
        while count < capacity {
            var best = -1
            for j in 0..<v where allowed(j) && (best < 0 || proposals[j] > proposals[best]) {
                var taken = false
                for i in 0..<count where words[i] == Int32(j) { taken = true; break }
                if !taken { best = j }
            }
            guard best >= 0 else { break }
            words[count] = Int32(best); logits[count] = row[best]
            count += 1
        }
        return count
    }
}
