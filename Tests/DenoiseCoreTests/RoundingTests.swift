import Testing
@testable import DenoiseCore

/// Nearest-word rounding against a brute-force scan: nearest id (lowest on ties), distance,
/// margin within float-error bounds, exact ties between identical rows, the special tokens skipped for word-only rows, top-k order and clamping.
@Suite struct RoundingTests {
    /// A table of `v` words in `d` dimensions with two exact duplicates (ties) and a vocabulary
    /// size that is not a multiple of eight (the vector loop's tail).
    func table(v: Int, d: Int, seed: UInt64) -> FloatBuffer {
        var rng = RandomSource(seed: seed)
        let e = FloatBuffer(count: v * d)
        for i in 0..<e.count { e.pointer[i] = rng.normal() }
        (e.pointer + 9 * d).update(from: e.pointer + 5 * d, count: d)       // word 9 == word 5
        (e.pointer + (v - 1) * d).update(from: e.pointer + 20 * d, count: d) // last == word 20
        return e
    }

    /// gamma_n = n u / (1 - n u), u = 2^-24: the classic bound on the relative error of an
    /// n-term float sum of products (Higham, Accuracy and Stability, 3.1).
    static func gamma(_ n: Int) -> Float { let u = Float.ulpOfOne / 2; return Float(n) * u / (1 - Float(n) * u) }

    /// The scan, in the plain order, with each word's error bound. The rounder computes
    /// |x|^2 - 2 x.e + |e|^2: three d-term sums (each off by at most gamma_d times the sum of
    /// the absolute terms, whatever order or FMA use the kernel picks) and two additions, so its
    /// distance is within gamma_(d+2) (|x|^2 + 2 sum|x_j e_j| + |e|^2) of the exact one. The scan's
    /// own sum of squared differences is within gamma_(d+1) of the exact distance. Their sum bounds
    /// how far the two computations may disagree.
    func bruteForce(_ x: UnsafePointer<Float>, _ e: UnsafePointer<Float>, v: Int, d: Int, first: Int)
        -> (id: Int, best: Float, second: Float, all: [Float], bound: [Float]) {
        var all = [Float](), bound = [Float](), best = Float.infinity, second = Float.infinity, id = 0
        for w in 0..<v {
            var s: Float = 0, magnitude: Float = 0
            for j in 0..<d {
                let diff = x[j] - e[w * d + j]
                s += diff * diff
                magnitude += x[j] * x[j] + 2 * abs(x[j] * e[w * d + j]) + e[w * d + j] * e[w * d + j]
            }
            all.append(s)
            bound.append(Self.gamma(d + 2) * magnitude + Self.gamma(d + 1) * s)
            guard w >= first else { continue }
            if s < best { second = best; best = s; id = w } else if s < second { second = s }
        }
        return (id, best, second, all, bound)
    }

    @Test(arguments: [(v: 1025, d: 16), (v: 37, d: 5), (v: 23, d: 3)])
    func roundingMatchesABruteForceScan(v: Int, d: Int) {
        let e = table(v: v, d: d, seed: 4)
        let rows = 12
        let x = FloatBuffer(count: rows * d)
        var rng = RandomSource(seed: 8)
        for i in 0..<x.count { x.pointer[i] = rng.normal() }
        // Rows exactly on a duplicated word, and on a special token, to exercise ties and skipping.
        (x.pointer + 0 * d).update(from: e.pointer + 9 * d, count: d)
        (x.pointer + 1 * d).update(from: e.pointer + (v - 1) * d, count: d)
        (x.pointer + 2 * d).update(from: e.pointer + 1 * d, count: d)
        let wordsOnly = UnsafeMutablePointer<Bool>.allocate(capacity: rows)
        defer { wordsOnly.deallocate() }
        for r in 0..<rows { wordsOnly[r] = r % 2 == 0 }
        let rounder = Rounder(embedding: e.pointer, vocabularySize: v, dim: d, maxRows: rows)
        rounder.round(x.pointer, rows: rows, wordsOnly: wordsOnly)
        for r in 0..<rows {
            let expected = bruteForce(x.pointer + r * d, e.pointer, v: v, d: d, first: wordsOnly[r] ? Rounder.firstWordID : 0)
            let found = Int(rounder.nearest[r])
            // The nearest word is the scan's, or one the bounds cannot tell apart from it.
            #expect(found == expected.id || expected.all[found] - expected.best <= expected.bound[found] + expected.bound[expected.id],
                    "row \(r): \(found) against \(expected.id)")
            #expect(abs(rounder.nearestDistance[r] - expected.all[found]) <= expected.bound[found], "row \(r)")
            // The margin is a difference of two distances, each within its bound.
            let runnerUpBound = expected.bound.enumerated().filter { $0.offset != found }.map(\.element).max() ?? 0
            #expect(abs(rounder.margin[r] - (expected.second - expected.best)) <= 2 * expected.bound[found] + 2 * runnerUpBound,
                    "row \(r)")
            // Top-k: rank by rank, the word's exact distance matches the scan's within the bounds.
            let top = rounder.topK(row: r, k: 5)
            let sorted = expected.all.enumerated().sorted { $0.element != $1.element ? $0.element < $1.element : $0.offset < $1.offset }
            #expect(top.count == min(5, v), "row \(r)")
            for (rank, word) in top.enumerated() {
                let want = sorted[rank]
                #expect(abs(expected.all[Int(word.id)] - want.element) <= expected.bound[Int(word.id)] + expected.bound[want.offset],
                        "row \(r) rank \(rank)")
            }
        }
        // The duplicated words tie whatever the kernel: the lower id wins and the margin is zero.
        #expect(rounder.nearest[0] == 5 && rounder.margin[0] == 0)
        #expect(rounder.nearest[1] == 20 && rounder.margin[1] == 0)
        // A word-only row never rounds to a special token, even sitting on one.
        #expect(rounder.nearest[2] >= Int32(Rounder.firstWordID))
        rounder.clamp(x.pointer, rows: rows)
        for r in 0..<rows {
            #expect(Array(UnsafeBufferPointer(start: x.pointer + r * d, count: d))
                    == Array(UnsafeBufferPointer(start: e.pointer + Int(rounder.nearest[r]) * d, count: d)))
        }
    }
}
