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
        if !transA && !transB, let width = directColumnChunk(m: m, n: n, k: k) {
            // Column blocks of B and C: each block is a product the library runs unpacked.
            var j = 0
            while j < n {
                let w = min(width, n - j)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(w), Int32(k),
                            alpha, a, Int32(lda), b + j, Int32(ldb), beta, c + j, Int32(ldc))
                j += w
            }
            return
        }
        cblas_sgemm(
            CblasRowMajor,
            transA ? CblasTrans : CblasNoTrans,
            transB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k),
            alpha, a, Int32(lda), b, Int32(ldb),
            beta, c, Int32(ldc))
    }

    /// OpenBLAS's AVX-512 targets (SkylakeX, Cooperlake, Sapphire Rapids) run products with
    /// M*N*K up to 100^3 through a direct kernel that reads A and B in place; bigger ones first
    /// copy both into packed panels. At batch 1 the rows are few (L = 48) and the weights are
    /// the big operand, so packing them is pure overhead: splitting B into column blocks under
    /// that size keeps every block on the direct path, about a fifth faster for the model's
    /// products. The Haswell kernels have no such path and the split only slows them, so it
    /// is used only where the library reports one of those targets (figures in
    /// docs/PERFORMANCE-NOTES.md).
    static let directKernelLimit = 1_000_000
    static let hasDirectSmallKernel: Bool = {
        ["skylakex", "cooperlake", "sapphirerapids"].contains(coreName.lowercased())
    }()

    /// The kernel set OpenBLAS chose for this CPU (or was told to use by OPENBLAS_CORETYPE),
    /// e.g. "Haswell" or "SkylakeX": results are bit-identical only under the same one.
    public static var coreName: String {
        openblas_get_corename().map { String(cString: $0) } ?? "unknown"
    }

    /// Width of the column blocks that keep each block of an un-transposed product on the
    /// direct path, or nil when the product should go to BLAS whole (already small enough,
    /// too many rows for blocks of at least 32 columns: narrower blocks are slower than one
    /// packed product, or no direct path in this library).
    static func directColumnChunk(m: Int, n: Int, k: Int) -> Int? {
        guard m * n * k > directKernelLimit, hasDirectSmallKernel else { return nil }
        let width = directKernelLimit / (m * k) / 16 * 16
        return width >= 32 ? width : nil
    }

    /// Sets the number of threads OpenBLAS may use. Inference runs single-threaded (batch 1 is
    /// too small to split, and the UI thread needs the other core); training uses every core.
    public static func setThreads(_ count: Int) {
        openblas_set_num_threads(Int32(max(1, count)))
    }

    public static var threads: Int { Int(openblas_get_num_threads()) }
}
