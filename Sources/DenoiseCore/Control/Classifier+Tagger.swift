import Foundation

/// The classifier's tagger: per position, per tagged field, a softmax over "outside" and
/// "word j of value v". A value's score is its best run of adjacent positions,
///
///   log p_span(v) = max_s sum_j log q(s + j, word j of v),
///
/// so "Bibimbap Rest Beefeater" or "Rest Travellers" cannot score as Travellers Rest Beefeater:
/// a pooled sentence vector sees the parts of a name wherever they stand, a span sees them only
/// together and in order (what `MentionJudge` asks of the text). Guidance then pushes the
/// positions of that run towards the missing words.
///
///   tag logits [B * L, T] = h [B * L, H] W_tag + b_tag, softmax within each field's block
public struct TagLayout: Sendable, Equatable {
    /// Per field: the offset of its block in a position's row of T tags, or nil (not tagged).
    public let blockOffsets: [Int?]
    /// Per field: block width (1 + the tagged words of all its values; 0 when not tagged).
    public let blockWidths: [Int]
    /// Per field, per value: the offset of word 0 of the value inside the field's block (after
    /// "outside" at 0), and the number of words (0: not tagged).
    public let valueStarts: [[Int]], spanLengths: [[Int]]
    /// Tags per position, all fields together.
    public let total: Int

    public init(_ config: Classifier.Config) {
        // A field's lengths count only when they match its values (anything else: untagged).
        let lengths = config.fields.indices.map { k -> [Int] in
            let given = config.spanLengths.flatMap { k < $0.count ? $0[k] : nil }
            return given?.count == config.fields[k].values.count ? given!.map { max(0, $0) }
                : [Int](repeating: 0, count: config.fields[k].values.count)
        }
        var offsets = [Int?](), widths = [Int](), starts = [[Int]](), total = 0
        for spans in lengths {
            var next = 1, valueStart = [Int]()
            for n in spans { valueStart.append(next); next += n }
            starts.append(valueStart)
            if next > 1 { offsets.append(total); widths.append(next); total += next } else { offsets.append(nil); widths.append(0) }
        }
        blockOffsets = offsets; blockWidths = widths; valueStarts = starts; spanLengths = lengths
        self.total = total
    }

    /// Column of "word j of value v of field k" in a position's row of tags.
    @inline(__always) public func column(field k: Int, value v: Int, word j: Int) -> Int {
        blockOffsets[k]! + valueStarts[k][v] + j
    }

    public func isTagged(field k: Int, value v: Int) -> Bool { spanLengths[k][v] > 0 }
}

/// The best-scoring run of positions for one value.
public struct SpanScore: Sendable, Equatable {
    public var start: Int
    public var length: Int
    /// sum_j log q(start + j, word j): log of the probability that the value stands there.
    public var logProbability: Float
    public var probability: Float { expf(logProbability) }
}

extension Classifier {
    func forwardTags(batch: Int, workspace ws: Workspace) {
        let w = UnsafePointer(params.values.pointer), h = config.hiddenSize, rows = batch * sequenceLength, t = tags.total
        let q = ws.tagProbabilities.pointer
        Linear.forward(out: q, inp: ws.trunk.output.pointer, weight: w + tagWeight, bias: w + tagBias, rows: rows, inDim: h, outDim: t)
        for k in fields.indices {
            guard let off = tags.blockOffsets[k] else { continue }
            for r in 0..<rows { Softmax.forward(out: q + r * t + off, inp: q + r * t + off, rows: 1, columns: tags.blockWidths[k]) }
        }
    }

    /// From `ws.dTagLogits` into `ws.dTrunk` (accumulated) and the tag head's gradients.
    func backwardTags(batch: Int, workspace ws: Workspace, weightGradients: Bool, transposed: UnsafePointer<Float>?) {
        let w = UnsafePointer(params.values.pointer), g = ws.grads.pointer
        Linear.backward(dinp: ws.dTrunk.pointer, dweight: weightGradients ? g + tagWeight : nil,
                        dbias: weightGradients ? g + tagBias : nil, dout: ws.dTagLogits.pointer,
                        inp: ws.trunk.output.pointer, weight: w + tagWeight, weightT: transposed.map { $0 + tagWeight },
                        rows: batch * sequenceLength, inDim: config.hiddenSize, outDim: tags.total)
    }

    /// The run of positions of sequence b where value v of field k most probably stands, after
    /// `forward`; nil when the value is not tagged.
    public func bestSpan(field k: Int, value v: Int, sequence b: Int, workspace ws: Workspace) -> SpanScore? {
        let n = tags.spanLengths[k][v], l = sequenceLength, t = tags.total
        guard n > 0, n <= l else { return nil }
        let q = UnsafePointer(ws.tagProbabilities.pointer) + b * l * t, first = tags.column(field: k, value: v, word: 0)
        var best = SpanScore(start: 0, length: n, logProbability: -.infinity)
        for s in 0...(l - n) {
            var sum: Float = 0
            for j in 0..<n { sum += logf(max(q[(s + j) * t + first + j], 1e-30)) }
            if sum > best.logProbability { best = SpanScore(start: s, length: n, logProbability: sum) }
        }
        return best
    }

    /// Adds the gradient of -weight * log p_span (the span `span` of value v of field k in
    /// sequence b) w.r.t. the tag logits to `ws.dTagLogits`: at each of its positions, the
    /// field block's probabilities minus the one-hot of the word that belongs there.
    public func addSpanGradient(field k: Int, value v: Int, sequence b: Int, span: SpanScore, weight: Float, workspace ws: Workspace) {
        let l = sequenceLength, t = tags.total, off = tags.blockOffsets[k]!, width = tags.blockWidths[k]
        let q = UnsafePointer(ws.tagProbabilities.pointer), d = ws.dTagLogits.pointer
        for j in 0..<span.length {
            let row = (b * l + span.start + j) * t
            for i in 0..<width { d[row + off + i] += weight * q[row + off + i] }
            d[row + tags.column(field: k, value: v, word: j)] -= weight
        }
    }
}
