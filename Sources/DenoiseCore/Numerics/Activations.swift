import Foundation

// Pointwise activations: GELU (tanh approximation, as GPT-2), tanh and SiLU.
// Backward passes accumulate into dinp.
//
// tanh goes through one expf: tanh(u) = 2 sigmoid(2u) - 1. libm's tanhf (via expm1f) was the
// single largest cost of a training iteration when profiled; expf is several times cheaper and
// its error (a few ulp near 0) is far below what training notices.

/// tanh(u) = 1 - 2 / (exp(2u) + 1), saturating cleanly for large |u|.
@inline(__always)
public func fastTanh(_ u: Float) -> Float {
    let e = expf(min(max(2 * u, -40), 40))
    return 1 - 2 / (e + 1)
}

public enum GELU {
    static let k0: Float = 0.7978845608028654  // sqrt(2 / pi)
    static let k1: Float = 0.044715

    public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, count: Int) {
        for i in 0..<count {
            let x = inp[i]
            let u = k0 * (x + k1 * x * x * x)
            out[i] = 0.5 * x * (1 + fastTanh(u))
        }
    }

    public static func backward(dinp: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                                dout: UnsafePointer<Float>, count: Int) {
        for i in 0..<count {
            let x = inp[i]
            let u = k0 * (x + k1 * x * x * x)
            let th = fastTanh(u)
            let sech2 = 1 - th * th
            let grad = 0.5 * (1 + th) + 0.5 * x * sech2 * k0 * (1 + 3 * k1 * x * x)
            dinp[i] += grad * dout[i]
        }
    }
}

public enum Tanh {
    public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, count: Int) {
        for i in 0..<count { out[i] = fastTanh(inp[i]) }
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
