import Foundation

/// Nearest-word rounding against an embedding table, as one matrix product:
///   |x - E_v|^2 = |x|^2 - 2 x . E_v + |E_v|^2   for all rows x and words v at once.
/// Keeps its own buffers (sized for `maxRows` vectors), so rounding allocates nothing except
/// the small top-k lists it returns.
///
/// Ties: words whose embedding rows are identical always get the same distance, so the lowest
/// id among them wins and the margin between them is exactly 0. The product alone cannot
/// promise that: BLAS kernels compute edge columns (the last few words) with other instruction
/// sequences than the body, so two equal rows can come out a few ulps apart. Each duplicate
/// word therefore takes the distance computed for its first copy. Between different rows,
/// distances are accurate to about (d + 2) eps (|x|^2 + 2 sum|x_j e_j| + |e|^2).
public final class Rounder {
    public let vocabularySize: Int
    public let dim: Int
    public let maxRows: Int
    let table: FloatBuffer          // [V, D] copy of the embedding table
    let tableT: FloatBuffer         // [D, V] the same, transposed for the distance product
    let norms: FloatBuffer          // [V]
    let scores: FloatBuffer         // [maxRows, V]
    /// (word, first word with the same embedding row) for every word that repeats an earlier row.
    let duplicates: [(word: Int, original: Int)]
    public let nearest: UnsafeMutablePointer<Int32>
    /// Per row, the squared L2 distance to the nearest word (no roots in the search; snapshots
    /// turn it into the distance itself, `RoundedToken(squaredDistance:squaredMargin:)`).
    public let nearestDistance: FloatBuffer
    /// Per row, the squared gap: second-nearest squared distance minus nearest squared distance.
    public let margin: FloatBuffer
    /// Ids below this are the special tokens PAD, START, END, UNK.
    public static let firstWordID = 4

    public init(embedding: UnsafePointer<Float>, vocabularySize v: Int, dim d: Int, maxRows: Int) {
        vocabularySize = v; dim = d; self.maxRows = maxRows
        table = FloatBuffer(count: v * d)
        table.pointer.update(from: embedding, count: v * d)
        tableT = FloatBuffer(count: d * v)
        for w in 0..<v { for j in 0..<d { tableT[j * v + w] = embedding[w * d + j] } }
        norms = FloatBuffer(count: v)
        for w in 0..<v {
            var s: Float = 0
            for j in 0..<d { let e = embedding[w * d + j]; s += e * e }
            norms[w] = s
        }
        scores = FloatBuffer(count: maxRows * v)
        duplicates = Self.duplicateRows(embedding, count: v, dim: d)
        nearest = .allocate(capacity: maxRows)
        nearest.initialize(repeating: 0, count: maxRows)
        nearestDistance = FloatBuffer(count: maxRows)
        margin = FloatBuffer(count: maxRows)
    }

    deinit { nearest.deallocate() }

    /// Words whose embedding row equals (value for value, so -0 == +0) an earlier word's row.
    static func duplicateRows(_ e: UnsafePointer<Float>, count v: Int, dim d: Int) -> [(word: Int, original: Int)] {
        var firstWithRow = [[UInt32]: Int]()
        var found = [(word: Int, original: Int)]()
        for w in 0..<v {
            let key = (0..<d).map { j -> UInt32 in let x = e[w * d + j]; return x == 0 ? 0 : x.bitPattern }
            if let original = firstWithRow[key] { found.append((w, original)) } else { firstWithRow[key] = w }
        }
        return found
    }

    public func embeddingRow(_ id: Int32) -> UnsafePointer<Float> { UnsafePointer(table.pointer + Int(id) * dim) }

    /// Squared distances of `rows` vectors to every word into `scores`; nearest, its distance
    /// and the margin to the runner-up into `nearest`, `nearestDistance`, `margin`.
    /// Rows flagged in `wordsOnly` skip the special tokens (ids below `firstWordID`): positions
    /// that length control or infilling know to hold a word.
    public func round(_ x: UnsafePointer<Float>, rows: Int, wordsOnly: UnsafePointer<Bool>? = nil) {
        round(x, span: 0..<rows, wordsOnly: wordsOnly)
    }

    /// `round` for the rows `span` of a matrix x (and of `wordsOnly`), with the results at those
    /// same row indices, so several disjoint spans can be rounded one after the other.
    public func round(_ x: UnsafePointer<Float>, span: Range<Int>, wordsOnly: UnsafePointer<Bool>? = nil) {
        precondition(span.lowerBound >= 0 && span.upperBound <= maxRows, "Rounder sized for \(maxRows) rows, asked for \(span)")
        guard !span.isEmpty else { return }
        let v = vocabularySize, d = dim, r0 = span.lowerBound
        // x [rows, D] times E^T [D, V], stored transposed: un-transposed products take BLAS's
        // direct small-matrix path, which is faster at these shapes (docs/PERFORMANCE.md).
        BLAS.gemm(m: span.count, n: v, k: d, alpha: -2, a: x + r0 * d, lda: d, b: tableT.pointer, ldb: v,
                  c: scores.pointer + r0 * v, ldc: v)
        for r in span {
            let row = scores.pointer + r * v
            for (word, original) in duplicates { row[word] = row[original] }
            var xx: Float = 0
            for j in 0..<d { xx += x[r * d + j] * x[r * d + j] }
            let first = (wordsOnly?[r] ?? false) ? Self.firstWordID : 0
            let found = nearestTwo(row: row, plus: xx, from: first)
            nearest[r] = Int32(found.id)
            nearestDistance[r] = found.best
            margin[r] = found.second - found.best
        }
    }

    /// Turns one row of -2 x.E_v into squared distances (in place) and finds the nearest word
    /// at or after `first`, its distance and the runner-up's. Eight words at a time, each lane
    /// keeping its own best two, then merged, instead of a compare-and-branch per word (a small
    /// gain in paired bench runs). Ties go to the lowest id, as a left-to-right scan would.
    @inline(__always)
    func nearestTwo(row: UnsafeMutablePointer<Float>, plus xx: Float, from first: Int) -> (id: Int, best: Float, second: Float) {
        let v = vocabularySize, norms = self.norms.pointer
        let xxv = F8(repeating: xx), zero = F8(repeating: 0), infinity = F8(repeating: .infinity)
        var best1 = infinity, best2 = infinity
        var ids = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7), id1 = SIMD8<Int32>(repeating: 0)
        let eight = SIMD8<Int32>(repeating: 8), firstID = SIMD8<Int32>(repeating: Int32(first))
        var w = 0
        while w + 8 <= v {
            var dist = load8(row + w) + load8(norms + w) + xxv
            dist.replace(with: zero, where: dist .< zero)
            store8(dist, row + w)
            if w < first { dist.replace(with: infinity, where: ids .< firstID) }
            let better = dist .< best1
            var second = best2
            second.replace(with: dist, where: dist .< best2)
            second.replace(with: best1, where: better)
            best2 = second
            best1.replace(with: dist, where: better)
            id1.replace(with: ids, where: better)
            ids &+= eight
            w += 8
        }
        // Merge the lanes: the best lane (lowest id on ties); the runner-up is the best of the
        // other lanes' bests and every lane's second.
        var best = Float.infinity, bestID = Int.max, lane = 0
        for k in 0..<8 where best1[k] < best || (best1[k] == best && Int(id1[k]) < bestID) {
            best = best1[k]; bestID = Int(id1[k]); lane = k
        }
        var second = best2.min()
        for k in 0..<8 where k != lane { second = min(second, best1[k]) }
        if bestID == Int.max { bestID = 0 }
        while w < v {
            let dist = max(row[w] + norms[w] + xx, 0)
            row[w] = dist
            if w >= first {
                if dist < best { second = best; best = dist; bestID = w } else if dist < second { second = dist }
            }
            w += 1
        }
        return (bestID, best, second)
    }

    /// The k nearest words of row r after `round` (ids and squared distances, nearest first).
    public func topK(row r: Int, k: Int) -> [(id: Int32, distance: Float)] {
        let v = vocabularySize, row = scores.pointer + r * v
        var best = [(id: Int32, distance: Float)]()
        best.reserveCapacity(k + 1)
        for w in 0..<v {
            let dist = row[w]
            if best.count < k || dist < best[best.count - 1].distance {
                var i = best.count
                if best.count == k { best.removeLast(); i -= 1 }
                while i > 0 && best[i - 1].distance > dist { i -= 1 }
                best.insert((Int32(w), dist), at: i)
            }
        }
        return best
    }

    /// Replaces every row of x by its nearest word's embedding (the clamping trick);
    /// call after `round` on the same rows.
    public func clamp(_ x: UnsafeMutablePointer<Float>, rows: Int) { clamp(x, span: 0..<rows) }

    /// `clamp` for the rows `span` of x, after `round(x, span:)`.
    public func clamp(_ x: UnsafeMutablePointer<Float>, span: Range<Int>) {
        for r in span { (x + r * dim).update(from: table.pointer + Int(nearest[r]) * dim, count: dim) }
    }
}
