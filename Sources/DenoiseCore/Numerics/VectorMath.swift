import CFusedMath
import Foundation

// Eight-wide SIMD helpers for the elementwise kernels. Swift does not vectorise float
// reductions (it must keep their order) nor loops that call libm's expf, and those loops were a
// third of a training iteration when profiled; these keep them in AVX registers.

typealias F8 = SIMD8<Float>

@inline(__always) func load8(_ p: UnsafePointer<Float>) -> F8 { UnsafeRawPointer(p).loadUnaligned(as: F8.self) }
@inline(__always) func load8(_ p: UnsafeMutablePointer<Float>) -> F8 { UnsafeRawPointer(p).loadUnaligned(as: F8.self) }
@inline(__always) func store8(_ v: F8, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: F8.self) }

/// e^x for eight lanes: Cephes' range reduction x = n ln2 + r and a degree-6 polynomial for
/// e^r, then 2^n assembled in the exponent bits. Relative error about 2e-7 on [-87, 88].
@inline(__always)
func exp8(_ v: F8) -> F8 {
    let x = clamp8(v, -87, 88)
    // Round x log2(e) to an integer by adding 1.5 * 2^23: the sum's low mantissa bits then hold
    // n in two's complement (the stdlib's generic SIMD rounding and Int32 conversion were the
    // hottest code in a profile).
    let magic = F8(repeating: 12_582_912)
    let shifted = fma8(x, F8(repeating: 1.442_695_040_888_963_4), magic)
    let n = shifted - magic
    let r = fma8(n, F8(repeating: 2.121_944_4e-4), fma8(n, F8(repeating: -0.693_359_375), x))
    var p = F8(repeating: 1.987_569_15e-4)
    p = fma8(p, r, F8(repeating: 1.398_199_950_7e-3))
    p = fma8(p, r, F8(repeating: 8.333_451_907_3e-3))
    p = fma8(p, r, F8(repeating: 4.166_579_589_4e-2))
    p = fma8(p, r, F8(repeating: 1.666_666_545_9e-1))
    p = fma8(p, r, F8(repeating: 5.000_000_120_1e-1))
    let y = fma8(p * r, r, r + 1)
    let integer = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
    let bits = (integer &+ 127) &<< 23
    return y * unsafeBitCast(bits, to: F8.self)
}

/// Scalar e^x with the same polynomial (for loop tails), so results do not depend on alignment.
@inline(__always)
func exp1(_ x: Float) -> Float { exp8(F8(repeating: x))[0] }

/// a * b + c, fused where the build targets a CPU with FMA (see CFusedMath).
@inline(__always) func fma8(_ a: F8, _ b: F8, _ c: F8) -> F8 { denoise_fma8(a, b, c) }

@inline(__always) func sum8(_ v: F8) -> Float { v.sum() }

/// Lane-wise maximum, and the largest lane: written per lane like `clamp8`, because the
/// stdlib's `pointwiseMax` and `max()` stay out-of-line generic calls (docs/PERFORMANCE.md).
@inline(__always)
func max8(_ a: F8, _ b: F8) -> F8 {
    var r = a
    for i in 0..<8 { r[i] = Swift.max(a[i], b[i]) }
    return r
}

@inline(__always)
func maxLane(_ v: F8) -> Float {
    let m4 = max8(v, F8(v[4], v[5], v[6], v[7], v[0], v[1], v[2], v[3]))
    return Swift.max(Swift.max(m4[0], m4[1]), Swift.max(m4[2], m4[3]))
}

/// Lane-wise clamp written as scalar min/max, which LLVM turns into vminps/vmaxps; the
/// stdlib's `clamped` stayed an out-of-line generic call.
@inline(__always)
func clamp8(_ v: F8, _ lo: Float, _ hi: Float) -> F8 {
    var r = v
    for i in 0..<8 { r[i] = Swift.min(Swift.max(v[i], lo), hi) }
    return r
}
