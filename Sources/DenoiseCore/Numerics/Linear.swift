// Linear layer: out[N, outDim] = inp[N, inDim] @ W[inDim, outDim] + b[outDim].
// W is stored input-major (row i holds the weights from input i), so the forward pass is one
// plain GEMM and the weight gradient is inp^T @ dout. Backward passes accumulate (+=) into
// their gradient buffers, as in llm.c; the trainer zeroes them once per iteration.

public enum Linear {
    public static func forward(
        out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        rows: Int, inDim: Int, outDim: Int
    ) {
        BLAS.gemm(m: rows, n: outDim, k: inDim, a: inp, lda: inDim, b: weight, ldb: outDim, c: out, ldc: outDim)
        // Bias after the product (beta = 0): cheaper than pre-filling C and asking BLAS to scale it.
        if let bias { addRows(out, bias, rows: rows, width: outDim) }
    }

    /// `dinp` may be nil when the input needs no gradient (the first layer fed by data), and
    /// `dweight` when only the input gradient is wanted (guidance). `weightT`, when given, is
    /// W stored transposed [outDim, inDim]: the input gradient is then a plain product, which
    /// BLAS runs faster at small sizes (see `ParameterSet.transposedMatrices`).
    public static func backward(
        dinp: UnsafeMutablePointer<Float>?, dweight: UnsafeMutablePointer<Float>?,
        dbias: UnsafeMutablePointer<Float>?,
        dout: UnsafePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        weightT: UnsafePointer<Float>? = nil,
        rows: Int, inDim: Int, outDim: Int
    ) {
        if let dinp, let weightT {
            BLAS.gemm(m: rows, n: inDim, k: outDim, a: dout, lda: outDim, b: weightT, ldb: inDim,
                      beta: 1, c: dinp, ldc: inDim)
        } else if let dinp {
            BLAS.gemm(transB: true, m: rows, n: inDim, k: outDim,
                      a: dout, lda: outDim, b: weight, ldb: outDim,
                      beta: 1, c: dinp, ldc: inDim)
        }
        if let dweight {
            BLAS.gemm(transA: true, m: inDim, n: outDim, k: rows,
                      a: inp, lda: inDim, b: dout, ldb: outDim,
                      beta: 1, c: dweight, ldc: outDim)
        }
        if let dbias {
            for r in 0..<rows {
                let row = dout + r * outDim
                for j in 0..<outDim { dbias[j] += row[j] }
            }
        }
    }
}

/// x[r, :] += v for every row r (8 lanes at a time).
@inline(__always)
func addRows(_ x: UnsafeMutablePointer<Float>, _ v: UnsafePointer<Float>, rows: Int, width: Int) {
    for r in 0..<rows {
        let row = x + r * width
        var j = 0
        while j + 8 <= width { store8(load8(row + j) + load8(v + j), row + j); j += 8 }
        while j < width { row[j] += v[j]; j += 1 }
    }
}
