import Foundation

/// Nearest-word rounding against an embedding table, as one matrix product:
///   |x - E_v|^2 = |x|^2 - 2 x . E_v + |E_v|^2   for all rows x and words v at once.
/// Keeps its own buffers (sized for `maxRows` vectors), so rounding allocates nothing except
/// the small top-k lists it returns.
public final class Rounder {
    public let vocabularySize: Int
    public let dim: Int
    public let maxRows: Int
    let table: FloatBuffer          // [V, D] copy of the embedding table
    let norms: FloatBuffer          // [V]
    let scores: FloatBuffer         // [maxRows, V]
    public let nearest: UnsafeMutablePointer<Int32>
    public let nearestDistance: FloatBuffer
    public let margin: FloatBuffer
    /// Ids below this are the special tokens PAD, START, END, UNK.
    public static let firstWordID = 4

    public init(embedding: UnsafePointer<Float>, vocabularySize v: Int, dim d: Int, maxRows: Int) {
        vocabularySize = v; dim = d; self.maxRows = maxRows
        table = FloatBuffer(count: v * d)
        table.pointer.update(from: embedding, count: v * d)
        norms = FloatBuffer(count: v)
        for w in 0..<v {
            var s: Float = 0
            for j in 0..<d { let e = embedding[w * d + j]; s += e * e }
            norms[w] = s
        }
        scores = FloatBuffer(count: maxRows * v)
        nearest = .allocate(capacity: maxRows)
        nearest.initialize(repeating: 0, count: maxRows)
        nearestDistance = FloatBuffer(count: maxRows)
        margin = FloatBuffer(count: maxRows)
    }

    deinit { nearest.deallocate() }

    public func embeddingRow(_ id: Int32) -> UnsafePointer<Float> { UnsafePointer(table.pointer + Int(id) * dim) }

    /// Squared distances of `rows` vectors to every word into `scores`; nearest, its distance
    /// and the margin to the runner-up into `nearest`, `nearestDistance`, `margin`.
    /// Rows flagged in `wordsOnly` skip the special tokens (ids below `firstWordID`): positions
    /// that length control or infilling know to hold a word.
    public func round(_ x: UnsafePointer<Float>, rows: Int, wordsOnly: UnsafePointer<Bool>? = nil) {
        precondition(rows <= maxRows, "Rounder sized for \(maxRows) rows, asked for \(rows)")
        let v = vocabularySize, d = dim
        BLAS.gemm(transB: true, m: rows, n: v, k: d, alpha: -2, a: x, lda: d, b: table.pointer, ldb: d,
                  c: scores.pointer, ldc: v)
        for r in 0..<rows {
            var xx: Float = 0
            for j in 0..<d { xx += x[r * d + j] * x[r * d + j] }
            let row = scores.pointer + r * v
            var best = Float.infinity, second = Float.infinity, bestID = 0
            let first = (wordsOnly?[r] ?? false) ? Self.firstWordID : 0
            for w in 0..<v {
                let dist = max(row[w] + norms[w] + xx, 0)
                row[w] = dist
                guard w >= first else { continue }
                if dist < best { second = best; best = dist; bestID = w } else if dist < second { second = dist }
            }
            nearest[r] = Int32(bestID)
            nearestDistance[r] = best
            margin[r] = second - best
        }
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
    public func clamp(_ x: UnsafeMutablePointer<Float>, rows: Int) {
        for r in 0..<rows { (x + r * dim).update(from: table.pointer + Int(nearest[r]) * dim, count: dim) }
    }
}
