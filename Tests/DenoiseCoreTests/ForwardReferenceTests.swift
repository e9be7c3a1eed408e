import Foundation
import Testing
@testable import DenoiseCore

/// Forward kernels against plain double-precision references: the gradient checks compare a
/// kernel with itself, so a forward pass that is fast but wrong would pass them.
@Suite struct ForwardReferenceTests {
    /// Largest |a - b| / max(|b|, floor) over the arrays.
    func worstRelative(_ a: [Float], _ b: [Double], floor: Double = 1e-3) -> Double {
        zip(a, b).map { abs(Double($0) - $1) / max(abs($1), floor) }.max() ?? 0
    }

    @Test func exponentialMatchesLibm() {
        let xs = stride(from: -80.0, through: 80.0, by: 0.37).map { Float($0) } + [0, -1e-8, 1e-8, 88, -87]
        var worst = 0.0
        for x in xs { worst = max(worst, abs(Double(exp1(x)) - exp(Double(x))) / exp(Double(x))) }
        #expect(worst < 1e-6, "exp8 worst relative error \(worst)")
    }

    @Test func geluMatchesTheTanhFormula() {
        let n = 203  // 25 eight-lane blocks and a tail
        let x = randomArray(n, seed: 21, scale: 4)
        let inp = FloatBuffer(x), out = FloatBuffer(count: n)
        GELU.forward(out: out.pointer, inp: inp.pointer, count: n)
        let reference = x.map { v -> Double in
            let d = Double(v)
            return 0.5 * d * (1 + tanh(0.7978845608028654 * (d + 0.044715 * d * d * d)))
        }
        let e = worstRelative(out.array, reference)
        #expect(e < 2e-6, "GELU worst relative error \(e)")
    }

    @Test func softmaxMatchesReference() {
        let rows = 5, c = 48
        let x = randomArray(rows * c, seed: 22, scale: 6)
        let inp = FloatBuffer(x), out = FloatBuffer(count: rows * c)
        Softmax.forward(out: out.pointer, inp: inp.pointer, rows: rows, columns: c)
        var reference = [Double]()
        for r in 0..<rows {
            let row = x[(r * c)..<((r + 1) * c)].map(Double.init)
            let m = row.max()!, e = row.map { exp($0 - m) }, s = e.reduce(0, +)
            reference += e.map { $0 / s }
        }
        let e = worstRelative(out.array, reference, floor: 1e-6)
        #expect(e < 2e-6, "softmax worst relative error \(e)")
    }

    @Test(arguments: [8, 12, 24, 128]) func layerNormMatchesReference(c: Int) {
        let rows = 6
        let x = randomArray(rows * c, seed: 23, scale: 3).map { $0 + 5 }  // an offset, as residuals have
        let gamma = randomArray(c, seed: 24), beta = randomArray(c, seed: 25)
        let inp = FloatBuffer(x), g = FloatBuffer(gamma), bt = FloatBuffer(beta), out = FloatBuffer(count: rows * c)
        LayerNorm.forward(out: out.pointer, mean: nil, rstd: nil, inp: inp.pointer,
                          gamma: g.pointer, beta: bt.pointer, rows: rows, channels: c)
        var reference = [Double]()
        for r in 0..<rows {
            let row = x[(r * c)..<((r + 1) * c)].map(Double.init)
            let m = row.reduce(0, +) / Double(c)
            let v = row.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(c)
            let s = 1 / (v + Double(LayerNorm.epsilon)).squareRoot()
            reference += row.enumerated().map { ($0.element - m) * s * Double(gamma[$0.offset]) + Double(beta[$0.offset]) }
        }
        // Absolute: float32 centring of values near 5 costs about 5e-7 wherever the output is.
        let e = zip(out.array, reference).map { abs(Double($0) - $1) }.max() ?? 0
        #expect(e < 5e-6, "layer norm worst absolute error \(e)")
    }

    /// Shapes of a batch-1 step (which BLAS.gemm may split into column blocks) and a larger one,
    /// with alpha and beta, against a naive triple loop.
    @Test(arguments: [(48, 384, 128), (48, 128, 512), (48, 1025, 16), (26, 512, 128), (480, 512, 128), (3, 5, 7)])
    func gemmMatchesNaiveProduct(shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        let a = randomArray(m * k, seed: 26), b = randomArray(k * n, seed: 27), c0 = randomArray(m * n, seed: 28)
        let aBuffer = FloatBuffer(a), bBuffer = FloatBuffer(b), c = FloatBuffer(c0)
        BLAS.gemm(m: m, n: n, k: k, alpha: -2, a: aBuffer.pointer, lda: k, b: bBuffer.pointer, ldb: n,
                  beta: 0.5, c: c.pointer, ldc: n)
        var reference = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k { s += Double(a[i * k + p]) * Double(b[p * n + j]) }
                reference[i * n + j] = -2 * s + 0.5 * Double(c0[i * n + j])
            }
        }
        let worst = zip(c.array, reference).map { abs(Double($0) - $1) }.max() ?? 0
        #expect(worst < 1e-4 * Double(k), "gemm \(m)x\(n)x\(k) worst absolute error \(worst)")
    }
}
