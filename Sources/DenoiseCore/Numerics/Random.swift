import Foundation

/// xoshiro256** with Box-Muller normals: small, fast, and a plain value.
///
/// Its whole state is four words plus a cached normal, so a chain can store it with each step
/// and replay bit for bit; the same seed always gives the same stream on every machine.
public struct RandomSource: Sendable, Equatable, Codable {
    var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64
    var spareNormal: Float?

    public init(seed: UInt64) {
        // SplitMix64 spreads a small seed over the four state words.
        var z = seed
        var words = [UInt64](repeating: 0, count: 4)
        for i in 0..<4 {
            z &+= 0x9E37_79B9_7F4A_7C15
            var x = z
            x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
            x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
            words[i] = x ^ (x >> 31)
        }
        (s0, s1, s2, s3) = (words[0], words[1], words[2], words[3])
        spareNormal = nil
    }

    @inline(__always)
    static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    public mutating func next() -> UInt64 {
        let result = Self.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = Self.rotl(s3, 45)
        return result
    }

    /// Uniform in [0, 1) with 24 bits of precision.
    public mutating func uniform() -> Float { Float(next() >> 40) * (1.0 / 16_777_216.0) }

    /// Uniform integer in 0..<bound (bound > 0), by Lemire's multiply-shift.
    public mutating func int(below bound: Int) -> Int {
        Int(next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// Standard normal by Box-Muller; the second value of each pair is kept for the next call.
    public mutating func normal() -> Float {
        if let s = spareNormal { spareNormal = nil; return s }
        var u1 = uniform()
        while u1 <= 1e-12 { u1 = uniform() }
        let u2 = uniform()
        let r = (-2 * logf(u1)).squareRoot()
        let theta = 2 * Float.pi * u2
        spareNormal = r * sinf(theta)
        return r * cosf(theta)
    }

    public mutating func fillNormal(_ p: UnsafeMutablePointer<Float>, count: Int, scale: Float = 1) {
        for i in 0..<count { p[i] = normal() * scale }
    }
}
