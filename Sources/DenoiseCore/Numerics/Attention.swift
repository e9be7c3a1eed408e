import Foundation

// Multi-head self-attention without a mask (the denoiser sees the whole sequence).
//
// Shapes, for B sequences of length T, C channels, NH heads of size HS = C / NH:
//   qkv  [B, T, 3C]   fused projections: q in [0, C), k in [C, 2C), v in [2C, 3C)
//   att  [B, NH, T, T] softmax(q k^T / sqrt(HS)), kept for the backward pass
//   out  [B, T, C]    heads concatenated
// Each (sequence, head) pair is two GEMMs on strided views into the fused buffer, so the work
// goes through BLAS rather than scalar loops.

public enum Attention {
    /// `queries` (one sequence only) computes the output rows of those positions alone, each
    /// still attending to every position; the other rows of `out` and `att` are left untouched.
    public static func forward(
        out: UnsafeMutablePointer<Float>, att: UnsafeMutablePointer<Float>,
        qkv: UnsafePointer<Float>, batch: Int, length t: Int, channels c: Int, heads nh: Int,
        queries: Range<Int>? = nil
    ) {
        precondition(queries == nil || batch == 1, "queries selects rows of one sequence")
        let hs = c / nh
        let scale = 1 / Float(hs).squareRoot()
        let rows = queries ?? 0..<t, r0 = rows.lowerBound, m = rows.count
        for b in 0..<batch {
            let base = qkv + b * t * 3 * c
            for h in 0..<nh {
                let q = base + h * hs, k = base + c + h * hs, v = base + 2 * c + h * hs
                let a = att + (b * nh + h) * t * t + r0 * t
                BLAS.gemm(transB: true, m: m, n: t, k: hs, alpha: scale,
                          a: q + r0 * 3 * c, lda: 3 * c, b: k, ldb: 3 * c, c: a, ldc: t)
                Softmax.forward(out: a, inp: a, rows: m, columns: t)
                BLAS.gemm(m: m, n: hs, k: t, a: a, lda: t, b: v, ldb: 3 * c,
                          c: out + (b * t + r0) * c + h * hs, ldc: c)
            }
        }
    }

    /// `scratch` holds T*T floats. Accumulates into dqkv.
    public static func backward(
        dqkv: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
        dout: UnsafePointer<Float>, qkv: UnsafePointer<Float>, att: UnsafePointer<Float>,
        batch: Int, length t: Int, channels c: Int, heads nh: Int
    ) {
        let hs = c / nh
        let scale = 1 / Float(hs).squareRoot()
        for b in 0..<batch {
            let base = qkv + b * t * 3 * c
            let dbase = dqkv + b * t * 3 * c
            for h in 0..<nh {
                let q = base + h * hs, k = base + c + h * hs, v = base + 2 * c + h * hs
                let dq = dbase + h * hs, dk = dbase + c + h * hs, dv = dbase + 2 * c + h * hs
                let a = att + (b * nh + h) * t * t
                let dy = dout + b * t * c + h * hs
                // datt = dy v^T ; dv += att^T dy
                BLAS.gemm(transB: true, m: t, n: t, k: hs, a: dy, lda: c, b: v, ldb: 3 * c,
                          c: scratch, ldc: t)
                BLAS.gemm(transA: true, m: t, n: hs, k: t, a: a, lda: t, b: dy, ldb: c,
                          beta: 1, c: dv, ldc: 3 * c)
                // Softmax backward in place: dpre = att * (datt - rowsum(att * datt)).
                for i in 0..<t {
                    let ar = a + i * t, dr = scratch + i * t
                    var dot: Float = 0
                    for j in 0..<t { dot += ar[j] * dr[j] }
                    for j in 0..<t { dr[j] = ar[j] * (dr[j] - dot) }
                }
                // dq += scale * dpre k ; dk += scale * dpre^T q
                BLAS.gemm(m: t, n: hs, k: t, alpha: scale, a: scratch, lda: t, b: k, ldb: 3 * c,
                          beta: 1, c: dq, ldc: 3 * c)
                BLAS.gemm(transA: true, m: t, n: hs, k: t, alpha: scale, a: scratch, lda: t,
                          b: q, ldb: 3 * c, beta: 1, c: dk, ldc: 3 * c)
            }
        }
    }
}
