import Foundation

/// What the program reports about the machine (`denoise bench`): the CPU's name and the
/// process's peak memory. Linux reads /proc; macOS asks sysctl and reports ru_maxrss in bytes
/// where Linux reports kilobytes.
public enum CPUFacts {
    /// The CPU's marketing name ("AMD EPYC 9B14", "Apple M2"), or "unknown CPU".
    public static let modelName: String = {
#if os(macOS)
        return sysctlString("machdep.cpu.brand_string") ?? "unknown CPU"
#else
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        // x86 names the CPU in "model name"; arm64 kernels often give no name at all.
        let name = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingCharacters(in: .whitespaces) }
        return name.flatMap { $0.isEmpty ? nil : $0 } ?? "unknown CPU"
#endif
    }()

    /// Peak resident memory of this process, in MiB.
    public static func peakResidentMB() -> Double {
        var usage = rusage()
#if os(macOS)
        getrusage(RUSAGE_SELF, &usage)
        return Double(usage.ru_maxrss) / (1024 * 1024)
#else
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_maxrss) / 1024
#endif
    }

#if os(macOS)
    static func sysctlString(_ name: String) -> String? {
        var size = 0
        guard sysctlbyname(name, nil, &size, nil, 0) == 0, size > 0 else { return nil }
        var bytes = [CChar](repeating: 0, count: size)
        guard sysctlbyname(name, &bytes, &size, nil, 0) == 0 else { return nil }
        return String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
#endif
}
