import Foundation

// Pointwise activations: GELU (tanh approximation, as GPT-2), exact GELU (erf, as BERT), tanh
// and SiLU.
// Backward passes accumulate into dinp.
//
// tanh goes through one expf: tanh(u) = 2 sigmoid(2u) - 1. libm's tanhf (via expm1f) is the
// single largest cost of a training iteration in a profile (docs/PERFORMANCE.md); expf is
// several times cheaper and its error (a few ulp near 0) is far below what training notices.

/// tanh(u) = 1 - 2 / (exp(2u) + 1), saturating cleanly for large |u| (same exp as the SIMD path).
@inline(__always)
func fastTanh(_ u: Float) -> Float {
    let e = exp1(min(max(2 * u, -40), 40))
    return 1 - 2 / (e + 1)
}

public enum GELU {
    static let k0: Float = 0.7978845608028654  // sqrt(2 / pi)
    static let k1: Float = 0.044715

    // gelu(x) = 0.5 x (1 + tanh(u)) = x * sigmoid(2u),  u = k0 (x + k1 x^3)
    // d/dx    = s + 2 x s (1 - s) k0 (1 + 3 k1 x^2),     s = sigmoid(2u)

    public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, count: Int) {
        var i = 0
        // -2u = x (-2 k0 - 2 k0 k1 x^2): one FMA and two products before the exponential.
        let c0 = F8(repeating: -2 * k0), c2 = F8(repeating: -2 * k0 * k1)
        while i + 8 <= count {
            let x = load8(inp + i)
            let s: F8 = 1 / (1 + exp8(x * fma8(x * x, c2, c0)))
            store8(x * s, out + i)
            i += 8
        }
        while i < count {
            let x = inp[i], u = k0 * (x + k1 * x * x * x)
            out[i] = x / (1 + exp1(-2 * u))
            i += 1
        }
    }

    public static func backward(dinp: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                                dout: UnsafePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count {
            let x = load8(inp + i)
            let x3: F8 = x * x * x
            let u: F8 = k0 * (x + k1 * x3)
            let s: F8 = 1 / (1 + exp8(-2 * u))
            let x2: F8 = x * x
            let poly: F8 = k0 * (1 + (3 * k1) * x2)
            let ss: F8 = s * (1 - s)
            let grad: F8 = s + 2 * x * ss * poly
            store8(load8(dinp + i) + grad * load8(dout + i), dinp + i)
            i += 8
        }
        while i < count {
            let x = inp[i], u = k0 * (x + k1 * x * x * x)
            let s = 1 / (1 + exp1(-2 * u))
            dinp[i] += (s + 2 * x * s * (1 - s) * k0 * (1 + 3 * k1 * x * x)) * dout[i]
            i += 1
        }
    }
}

public enum Tanh {
    public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count {
            let e = exp8(clamp8(2 * load8(inp + i), -40, 40))
            store8(1 - 2 / (e + 1), out + i)
            i += 8
        }
        while i < count { out[i] = fastTanh(inp[i]); i += 1 }
    }

    /// Uses the forward output: d tanh(x) / dx = 1 - tanh(x)^2.
    public static func backward(dinp: UnsafeMutablePointer<Float>, out: UnsafePointer<Float>,
                                dout: UnsafePointer<Float>, count: Int) {
        for i in 0..<count { dinp[i] += (1 - out[i] * out[i]) * dout[i] }
    }
}

public enum SiLU {
    public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, count: Int) {
        for i in 0..<count { let x = inp[i]; out[i] = x / (1 + expf(-x)) }
    }

    public static func backward(dinp: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                                dout: UnsafePointer<Float>, count: Int) {
        for i in 0..<count {
            let x = inp[i]
            let s = 1 / (1 + expf(-x))
            dinp[i] += dout[i] * s * (1 + x * (1 - s))
        }
    }
}

/// The exact GELU of BERT, x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)), for the reference
/// architecture (inference only). erf uses Abramowitz & Stegun 7.1.26 (absolute error below
/// 1.5e-7) on the vector exponential: libm's erff per element is a large share of a BERT-base
/// step (docs/PERFORMANCE.md).
public enum ExactGELU {
    static let p: Float = 0.3275911
    static let a1: Float = 0.254829592, a2: Float = -0.284496736, a3: Float = 1.421413741
    static let a4: Float = -1.453152027, a5: Float = 1.061405429
    static let invSqrt2: Float = 0.7071067811865476

    public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, count: Int) {
        var i = 0
        let one = F8(repeating: 1), half = F8(repeating: 0.5)
        while i + 8 <= count {
            let x = load8(inp + i)
            let z = x * invSqrt2
            let az = z.replacing(with: -z, where: z .< 0)
            let t = one / fma8(F8(repeating: p), az, one)
            var poly = fma8(F8(repeating: a5), t, F8(repeating: a4))
            poly = fma8(poly, t, F8(repeating: a3))
            poly = fma8(poly, t, F8(repeating: a2))
            poly = fma8(poly, t, F8(repeating: a1))
            // erf(|z|) = 1 - poly t exp(-z^2), clamped so exp never underflows to a denormal.
            let e = exp8(clamp8(-(az * az), -80, 0))
            let erfAbs = one - poly * t * e
            let erf = erfAbs.replacing(with: -erfAbs, where: z .< 0)
            store8(half * x * (one + erf), out + i)
            i += 8
        }
        while i < count { out[i] = scalar(inp[i]); i += 1 }
    }

    static func scalar(_ x: Float) -> Float {
        let z = x * invSqrt2, az = abs(z)
        let t = 1 / (1 + p * az)
        let poly = (((a5 * t + a4) * t + a3) * t + a2) * t + a1
        let erfAbs = 1 - poly * t * exp1(max(-(az * az), -80))
        return 0.5 * x * (1 + (z < 0 ? -erfAbs : erfAbs))
    }
}
