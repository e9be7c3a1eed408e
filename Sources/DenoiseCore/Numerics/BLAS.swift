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
    /// that size keeps every block on the direct path, which is faster for the model's
    /// products. The Haswell kernels have no such path and the split only slows them, so it
    /// is used only where the library reports one of those targets (figures in
    /// docs/PERFORMANCE.md, "What each technique measured").
    static let directKernelLimit = 1_000_000
    /// Decided from the kernel set actually loaded (after any re-execution with
    /// `OPENBLAS_CORETYPE`), not from the CPU: a SkylakeX-capable CPU on Prescott kernels has no
    /// direct path.
    static let hasDirectSmallKernel = ["skylakex", "cooperlake", "sapphirerapids"].contains(coreType.lowercased())

    /// Width of the column blocks that keep each block of an un-transposed product on the
    /// direct path, or nil when the product should go to BLAS whole (already small enough,
    /// too many rows for blocks of at least 32 columns: narrower blocks are slower than one
    /// packed product, or no direct path in this library).
    static func directColumnChunk(m: Int, n: Int, k: Int) -> Int? {
        guard m * n * k > directKernelLimit, hasDirectSmallKernel else { return nil }
        let width = directKernelLimit / (m * k) / 16 * 16
        return width >= 32 ? width : nil
    }

    /// Runs `body` with the BLAS library using `count` threads (at least 1), and gives back the
    /// count it had before when `body` returns or throws. This is the one place that sets the
    /// count (through `BLASProvider`). The library keeps one count for the whole process, so
    /// scopes nest on one thread at a time: a command's main thread, or the queue the playground
    /// engine runs on, never workers that run side by side (those run inside a scope their caller
    /// opened). Inference runs single-threaded (batch 1 is too small to split, and the UI thread
    /// needs the other core); the trainer's data-parallel workers each run single-threaded BLAS too.
    public static func withThreads<T>(_ count: Int, _ body: () throws -> T) rethrows -> T {
        try scoped(count, get: { threads }, set: { BLASProvider.setThreads($0) }, body)
    }

    /// The scope of `withThreads` over any count: set it (at least 1), run, set the old one back.
    static func scoped<T>(_ count: Int, get: () -> Int, set: (Int) -> Void, _ body: () throws -> T) rethrows -> T {
        let previous = get()
        set(max(1, count))
        defer { set(max(1, previous)) }
        return try body()
    }

    /// The number of threads the BLAS library may use now.
    public static var threads: Int { BLASProvider.threads }

    /// The kernel set OpenBLAS is running (its `openblas_get_corename()`, e.g. "SkylakeX"); the
    /// CPU's name under Accelerate.
    public static let coreType: String = BLASProvider.coreType

    /// The library's build description (`openblas_get_config()`), e.g.
    /// "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY SkylakeX MAX_THREADS=64", or
    /// "Accelerate 14.5.0 NEW_LAPACK" on macOS.
    public static let configuration: String = BLASProvider.configuration

    /// The library's name and version, from `configuration`.
    public static var library: (name: String, version: String) {
        let words = configuration.split(separator: " ").map(String.init)
        return (words.first ?? "OpenBLAS", words.count > 1 ? words[1] : "unknown")
    }

    /// One line for `info` and `bench`: library, version, kernel set and how it was chosen.
    public static var summary: String {
        "\(library.name) \(library.version), kernels \(coreType) (\(BLASStartup.origin.rawValue))"
    }

    /// The hint of `BLASKernelChoice.userChoiceHint` for this process, if any.
    public static var kernelHint: String? {
        BLASStartup.origin == .user ? BLASKernelChoice.userChoiceHint(userCore: coreType, cpu: .current) : nil
    }

    /// The same as JSON fields for `bench --format json`.
    public static var summaryFields: [String: String] {
        ["blasLibrary": library.name, "blasVersion": library.version, "blasCoreType": coreType,
         "blasCoreChosenBy": BLASStartup.origin.rawValue, "blasConfig": configuration]
    }
}
