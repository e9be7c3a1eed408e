import CBLAS

/// The LAPACK routines Denoise uses: OpenBLAS's on Linux, Accelerate's on macOS (see CBLAS/shim.h).
public enum LAPACK {
    /// Eigenvalues (ascending) and orthonormal eigenvectors of the symmetric n x n matrix `a`
    /// (row-major; symmetric, so its storage order does not matter), by `ssyevd`. Eigenvector
    /// j is `vectors[j*n ..< (j+1)*n]`. nil when LAPACK reports a failure.
    public static func symmetricEigen(_ a: [Float], n: Int) -> (values: [Float], vectors: [Float])? {
        precondition(a.count == n * n, "symmetricEigen: \(a.count) values for a \(n)x\(n) matrix")
        guard n > 0 else { return ([], []) }
        // Column-major storage of a symmetric matrix is the same array; on return column j
        // (contiguous in memory) is the j-th eigenvector, which is the row layout promised above.
        var matrix = a
        var values = [Float](repeating: 0, count: n)
        let size = Int32(n)
        var workQuery: Float = 0, iworkQuery: Int32 = 0
        guard dn_ssyevd(CChar(UInt8(ascii: "V")), CChar(UInt8(ascii: "U")), size, &matrix, size, &values,
                        &workQuery, -1, &iworkQuery, -1) == 0 else { return nil }
        let lwork = Int32(workQuery), liwork = iworkQuery
        var work = [Float](repeating: 0, count: Int(lwork))
        var iwork = [Int32](repeating: 0, count: Int(liwork))
        guard dn_ssyevd(CChar(UInt8(ascii: "V")), CChar(UInt8(ascii: "U")), size, &matrix, size, &values,
                        &work, lwork, &iwork, liwork) == 0 else { return nil }
        return (values, matrix)
    }
}
