import CCPUFeatures
import Foundation

/// What the CPU offers that decides the BLAS kernel set: its vendor and the vector features the
/// operating system has enabled.
public struct CPUDescription: Sendable, Equatable {
    public enum Vendor: Sendable, Equatable { case intel, amd, other }

    /// Vector features (each counted only when the OS saves its registers).
    public struct Features: OptionSet, Sendable, Hashable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        public static let avx2 = Features(rawValue: UInt32(DN_CPU_AVX2))
        public static let fma = Features(rawValue: UInt32(DN_CPU_FMA))
        public static let avx512f = Features(rawValue: UInt32(DN_CPU_AVX512F))
        public static let avx512bw = Features(rawValue: UInt32(DN_CPU_AVX512BW))
        public static let avx512dq = Features(rawValue: UInt32(DN_CPU_AVX512DQ))
        public static let avx512vl = Features(rawValue: UInt32(DN_CPU_AVX512VL))
        public static let avx512bf16 = Features(rawValue: UInt32(DN_CPU_AVX512BF16))
        /// What OpenBLAS's SkylakeX and Cooperlake kernels need.
        public static let avx512: Features = [.avx2, .fma, .avx512f, .avx512bw, .avx512dq, .avx512vl]
    }

    public var vendor: Vendor
    public var features: Features

    public init(vendor: Vendor, features: Features) {
        self.vendor = vendor
        self.features = features
    }

    /// This machine's CPU (no features and vendor `other` off x86).
    public static let current: CPUDescription = {
        let vendor: Vendor
        switch Int(dn_cpu_vendor()) {
        case DN_VENDOR_INTEL: vendor = .intel
        case DN_VENDOR_AMD: vendor = .amd
        default: vendor = .other
        }
        return CPUDescription(vendor: vendor, features: Features(rawValue: dn_cpu_features()))
    }()
}

/// Which OpenBLAS kernel set to force, from the core the library reports and the CPU's features.
///
/// OpenBLAS picks its kernels by CPU model number. A model newer than the library (Emerald
/// Rapids under 0.3.21) falls back to a generic core such as Prescott (SSE3), several times
/// slower at this program's products than the kernels the CPU can run (docs/PERFORMANCE.md,
/// "BLAS kernel sets"). Deciding by features fixes that for every CPU the library does not know yet.
public enum BLASKernelChoice {
    /// Cores OpenBLAS reports that use no AVX2: the x86 kernel sets from before AVX2 and
    /// "Unknown". On a CPU with AVX2 and FMA enabled they mean the library's detection missed it.
    /// The AMD Bulldozer family (Bulldozer, Piledriver, Steamroller, Excavator) is left out: the
    /// library picks those for exactly those CPUs. Every other name is trusted, including the
    /// ones newer libraries add (0.3.29, Debian 13's, knows SapphireRapids and, for a CPU model
    /// it does not know, picks a real core by its features).
    public static let genericCores: Set<String> = [
        "katmai", "coppermine", "northwood", "prescott", "banias", "atom", "core2", "penryn", "dunnington",
        "nehalem", "athlon", "opteron", "opteron_sse3", "barcelona", "nano", "sandybridge", "bobcat", "unknown",
    ]

    /// The kernel set to force, or nil to keep the library's: SkylakeX on AVX-512 (F, BW, DQ, VL),
    /// Cooperlake when the CPU has AVX-512 BF16 too; Haswell on AVX2 + FMA, Zen on AMD. Only a
    /// generic reported core is replaced: a specific one is the library's informed choice.
    public static func kernelSet(reportedCore: String, cpu: CPUDescription) -> String? {
        guard genericCores.contains(reportedCore.lowercased()) else { return nil }
        if cpu.features.isSuperset(of: .avx512) {
            return cpu.features.contains(.avx512bf16) ? "Cooperlake" : "SkylakeX"
        }
        if cpu.features.isSuperset(of: [.avx2, .fma]) {
            return cpu.vendor == .amd ? "Zen" : "Haswell"
        }
        return nil
    }

    /// The best set this CPU runs (`kernelSet` for a generic report), or nil off x86.
    public static func bestSet(for cpu: CPUDescription) -> String? { kernelSet(reportedCore: "unknown", cpu: cpu) }

    /// A one-line hint when the user's `OPENBLAS_CORETYPE` forces an AVX2 set on a CPU with
    /// AVX-512: the user still wins, but should know what it costs (the 1.6x of the message is
    /// measured in docs/PERFORMANCE.md, "BLAS kernel sets").
    public static func userChoiceHint(userCore: String, cpu: CPUDescription) -> String? {
        guard cpu.features.isSuperset(of: .avx512), let best = bestSet(for: cpu),
              ["haswell", "zen", "sandybridge"].contains(userCore.lowercased()) || genericCores.contains(userCore.lowercased())
        else { return nil }
        return "note: OPENBLAS_CORETYPE=\(userCore) is set; this CPU has AVX-512, and without that variable denoise uses \(best) kernels "
            + "(training about 1.6x faster on a 2-core AMD EPYC)"
    }
}

/// How the kernel set in use came to be chosen.
public enum BLASCoreOrigin: String, Sendable, Equatable {
    case library = "library's own detection"
    case cpuFeatures = "chosen by CPU features"
    case user = "user's OPENBLAS_CORETYPE"
}

/// The start-up decision: keep the kernels OpenBLAS loaded, or run the program again with
/// `OPENBLAS_CORETYPE` set. OpenBLAS reads that variable once, when it is loaded (before `main`),
/// so the only ways to change its kernels are a new process image or loading the library at run
/// time; re-executing keeps the ordinary link and costs one process start.
public enum BLASStartup {
    /// Set together with `OPENBLAS_CORETYPE` on re-execution: the program chose it, and must not
    /// re-execute again (even if the library ignores the variable).
    public static let chosenVariable = "DENOISE_BLAS_CORETYPE_CHOSEN"
    /// For tests only: the process behaves as if the library's own detection had reported this
    /// core and no `OPENBLAS_CORETYPE` were set. Start it with `OPENBLAS_CORETYPE` set to the same
    /// name, so the kernels really in use match, to imitate a machine OpenBLAS does not know.
    public static let imitateVariable = "DENOISE_TEST_IMITATE_BLAS_CORE"

    public enum Action: Equatable, Sendable {
        case keep(BLASCoreOrigin)
        case reexecute(coreType: String)
    }

    /// The decision from the environment, the core the library reports and the CPU. A user's
    /// `OPENBLAS_CORETYPE` always wins; a process the program started itself never re-executes.
    public static func decide(_ environment: [String: String], _ reportedCore: String, _ cpu: CPUDescription) -> Action {
        let userCore = environment["OPENBLAS_CORETYPE"].flatMap { $0.isEmpty ? nil : $0 }
        if let chosen = environment[chosenVariable], !chosen.isEmpty {
            return .keep(userCore == chosen ? .cpuFeatures : .user)
        }
        var reported = reportedCore
        if let imitated = environment[imitateVariable], !imitated.isEmpty {
            reported = imitated
        } else if userCore != nil {
            return .keep(.user)
        }
        guard let better = BLASKernelChoice.kernelSet(reportedCore: reported, cpu: cpu) else { return .keep(.library) }
        return .reexecute(coreType: better)
    }

    /// Carries out the decision for this process: returns when the kernels stay, replaces the
    /// process image otherwise. Call first thing in `main`, before any output or thread.
    public static func chooseKernels() {
        let environment = ProcessInfo.processInfo.environment
        guard case .reexecute(let core) = decide(environment, BLAS.coreType, .current) else { return }
        guard let path = executablePath() else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        setenv(chosenVariable, core, 1)
        execv(path, CommandLine.unsafeArgv)
        // exec failed: carry on with the library's kernels, and say so through the origin.
        unsetenv(chosenVariable)
        if let user = environment["OPENBLAS_CORETYPE"] { setenv("OPENBLAS_CORETYPE", user, 1) } else { unsetenv("OPENBLAS_CORETYPE") }
    }

    /// How the kernel set of this process was chosen.
    public static var origin: BLASCoreOrigin {
        switch decide(ProcessInfo.processInfo.environment, BLAS.coreType, .current) {
        case .keep(let origin): return origin
        case .reexecute: return .library
        }
    }

    /// This program's executable: /proc/self/exe on Linux, the loader's record elsewhere.
    static func executablePath() -> String? {
        if FileManager.default.isExecutableFile(atPath: "/proc/self/exe") { return "/proc/self/exe" }
        return Bundle.main.executablePath
    }
}
