import CBLAS

/// Thin, row-major wrappers over CBLAS. Every matrix product in Denoise goes through here.
///
/// Shapes are given as in maths: `C[m, n] = alpha * op(A)[m, k] * op(B)[k, n] + beta * C`.
/// Leading dimensions are row strides in elements (row-major), so a sub-block of a wider
/// matrix (one attention head inside the fused QKV buffer) is passed with the wide stride.
public enum BLAS {
    @inline(__always)
    public static func gemm(
        transA: Bool = false, transB: Bool = false,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor,
            transA ? CblasTrans : CblasNoTrans,
            transB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k),
            alpha, a, Int32(lda), b, Int32(ldb),
            beta, c, Int32(ldc))
    }

    /// Sets the number of threads OpenBLAS may use. Inference runs single-threaded (batch 1 is
    /// too small to split, and the UI thread needs the other core); training uses every core.
    public static func setThreads(_ count: Int) {
        openblas_set_num_threads(Int32(max(1, count)))
    }

    public static var threads: Int { Int(openblas_get_num_threads()) }
}
