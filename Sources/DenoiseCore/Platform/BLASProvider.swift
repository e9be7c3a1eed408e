import CBLAS
import Foundation

/// The parts of the BLAS library that differ between platforms: thread control and what the
/// library says about itself. OpenBLAS on Linux; Accelerate on macOS, which has no kernel sets
/// to choose and no build description, so it reports the CPU it runs on and the system version.
/// `BLAS` and `BLASStartup` reach the library only through this and CBLAS/shim.h.
enum BLASProvider {
#if os(macOS)
    /// Accelerate sets its threading per calling thread, and only from macOS 15 on; on macOS 14
    /// it decides by itself.
    static func setThreads(_ count: Int) {
        if #available(macOS 15.0, *) {
            _ = BLASSetThreading(count <= 1 ? BLAS_THREADING_SINGLE_THREADED : BLAS_THREADING_MULTI_THREADED)
        }
    }

    static var threads: Int {
        if #available(macOS 15.0, *), BLASGetThreading() == BLAS_THREADING_SINGLE_THREADED { return 1 }
        return ProcessInfo.processInfo.activeProcessorCount
    }

    /// The CPU (for example "Apple M2"): Accelerate picks its code paths for it.
    static let coreType: String = CPUFacts.modelName

    /// "Accelerate <macOS version> NEW_LAPACK", in the shape of OpenBLAS's build description
    /// (name, version, details), which `BLAS.library` reads.
    static let configuration: String = {
        let v = ProcessInfo.processInfo.operatingSystemVersion
        return "Accelerate \(v.majorVersion).\(v.minorVersion).\(v.patchVersion) NEW_LAPACK"
    }()
#else
    static func setThreads(_ count: Int) { openblas_set_num_threads(Int32(max(1, count))) }

    static var threads: Int { Int(openblas_get_num_threads()) }

    /// The kernel set OpenBLAS is running (its `openblas_get_corename()`, e.g. "SkylakeX").
    static let coreType: String = openblas_get_corename().map { String(cString: $0) } ?? "unknown"

    /// The library's build description (`openblas_get_config()`), e.g.
    /// "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY SkylakeX MAX_THREADS=64".
    static let configuration: String = openblas_get_config().map { String(cString: $0) } ?? "OpenBLAS"
#endif
}
