/// The word embedding table projected to two dimensions with PCA, for the playground's map:
/// the two axes of largest variance of the table (computed once, with LAPACK), every word's
/// coordinates on them, and how much of the table's variance they keep.
///
/// Coordinates are centred: a vector x maps to ((x - mean) . axis0, (x - mean) . axis1).
public struct EmbeddingProjection: Sendable {
    public let dim: Int
    public let vocabularySize: Int
    /// The embedding table, [V, D] row-major (the rounding plane measures distances in it).
    public let table: [Float]
    /// Mean embedding, [D].
    public let mean: [Float]
    /// The two principal axes, [2, D] row-major, unit length and orthogonal. Each axis's sign
    /// is chosen so its largest-magnitude component is positive, so the map does not mirror
    /// from one LAPACK build to another.
    public let axes: [Float]
    /// Every word's centred coordinates, [V, 2].
    public let points: [Float]
    /// Eigenvalues of the table's covariance, largest first (population covariance, divided by V).
    public let variances: [Float]

    /// Share of the table's total variance the two axes keep (0...1).
    public var varianceShare: Double {
        let total = variances.reduce(0, +)
        return total > 0 ? Double(variances[0] + (variances.count > 1 ? variances[1] : 0)) / Double(total) : 0
    }

    /// nil when the table is empty or LAPACK fails.
    public init?(table: [Float], vocabularySize v: Int, dim d: Int) {
        guard v > 0, d >= 2, table.count == v * d else { return nil }
        var mean = [Float](repeating: 0, count: d)
        for w in 0..<v { for j in 0..<d { mean[j] += table[w * d + j] } }
        for j in 0..<d { mean[j] /= Float(v) }
        var centred = table
        for w in 0..<v { for j in 0..<d { centred[w * d + j] -= mean[j] } }
        var covariance = [Float](repeating: 0, count: d * d)
        centred.withUnsafeBufferPointer { c in
            covariance.withUnsafeMutableBufferPointer { out in
                BLAS.gemm(transA: true, m: d, n: d, k: v, alpha: 1 / Float(v), a: c.baseAddress!, lda: d,
                          b: c.baseAddress!, ldb: d, c: out.baseAddress!, ldc: d)
            }
        }
        // Exactly symmetric, whatever order the kernel summed in.
        for i in 0..<d { for j in i + 1..<d { covariance[j * d + i] = covariance[i * d + j] } }
        guard let eigen = LAPACK.symmetricEigen(covariance, n: d) else { return nil }
        var axes = [Float]()
        for k in [d - 1, d - 2] {
            var axis = Array(eigen.vectors[k * d..<(k + 1) * d])
            let largest = axis.max { abs($0) < abs($1) } ?? 1
            if largest < 0 { axis = axis.map { -$0 } }
            axes += axis
        }
        var points = [Float](repeating: 0, count: v * 2)
        for w in 0..<v {
            for a in 0..<2 {
                var s: Float = 0
                for j in 0..<d { s += centred[w * d + j] * axes[a * d + j] }
                points[w * 2 + a] = s
            }
        }
        self.dim = d; self.vocabularySize = v; self.table = table; self.mean = mean
        self.axes = axes; self.points = points
        self.variances = eigen.values.reversed().map { max($0, 0) }
    }

    /// Centred coordinates of the vector at `x` (D floats) scaled by `scale` first.
    public func project(_ x: UnsafePointer<Float>, scale: Float = 1) -> (Float, Float) {
        var a: Float = 0, b: Float = 0
        for j in 0..<dim {
            let centred = x[j] * scale - mean[j]
            a += centred * axes[j]
            b += centred * axes[dim + j]
        }
        return (a, b)
    }

    /// Centred coordinates of `rows` vectors of D floats, [rows, 2], each scaled by `scale`.
    public func project(rows: Int, _ x: UnsafePointer<Float>, scale: Float = 1) -> [Float] {
        var out = [Float](repeating: 0, count: rows * 2)
        for r in 0..<rows {
            let (a, b) = project(x + r * dim, scale: scale)
            out[2 * r] = a; out[2 * r + 1] = b
        }
        return out
    }
}
