import Foundation

/// A short name for a file's exact bytes: 64-bit FNV-1a, written `fnv1a64:` and 16 hex digits.
/// It tells two weight files apart (any changed byte changes it); it is not a cryptographic hash
/// and does not guard against deliberate collisions.
public enum Fingerprint {
    static let offsetBasis: UInt64 = 0xCBF2_9CE4_8422_2325
    static let prime: UInt64 = 0x0000_0100_0000_01B3

    /// The fingerprint of `data`.
    public static func of(_ data: Data) -> String {
        var hash = offsetBasis
        data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            for byte in bytes {
                hash ^= UInt64(byte)
                hash = hash &* prime
            }
        }
        let hex = String(hash, radix: 16)
        return "fnv1a64:" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The fingerprint of the file at `path`, nil when it cannot be read.
    public static func ofFile(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map(of)
    }
}
