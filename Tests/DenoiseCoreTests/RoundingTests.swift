import Testing
@testable import DenoiseCore

/// Nearest-word rounding against a brute-force scan: nearest id (lowest on ties), distance,
/// margin, the special tokens skipped for word-only rows, top-k order and clamping.
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

    func bruteForce(_ x: UnsafePointer<Float>, _ e: UnsafePointer<Float>, v: Int, d: Int, first: Int)
        -> (id: Int, best: Float, second: Float, all: [Float]) {
        var all = [Float](), best = Float.infinity, second = Float.infinity, id = 0
        for w in 0..<v {
            var s: Float = 0
            for j in 0..<d { let diff = x[j] - e[w * d + j]; s += diff * diff }
            all.append(s)
            guard w >= first else { continue }
            if s < best { second = best; best = s; id = w } else if s < second { second = s }
        }
        return (id, best, second, all)
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
            #expect(Int(rounder.nearest[r]) == expected.id, "row \(r)")
            #expect(abs(rounder.nearestDistance[r] - expected.best) < 1e-3, "row \(r)")
            #expect(abs(rounder.margin[r] - (expected.second - expected.best)) < 1e-3, "row \(r)")
            let top = rounder.topK(row: r, k: 5)
            let sorted = expected.all.enumerated().sorted { $0.element != $1.element ? $0.element < $1.element : $0.offset < $1.offset }
            #expect(top.map(\.id) == sorted.prefix(min(5, v)).map { Int32($0.offset) }, "row \(r)")
        }
        // The duplicated words tie: the lower id wins and the margin is zero.
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
