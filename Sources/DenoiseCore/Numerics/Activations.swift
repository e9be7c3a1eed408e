import Foundation

// Pointwise activations: GELU (tanh approximation, as GPT-2), tanh and SiLU.
// Backward passes accumulate into dinp.

public enum GELU {
    static let k0: Float = 0.7978845608028654  // sqrt(2 / pi)
    static let k1: Float = 0.044715

    public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, count: Int) {
        for i in 0..<count {
            let x = inp[i]
            let u = k0 * (x + k1 * x * x * x)
            out[i] = 0.5 * x * (1 + tanhf(u))
        }
    }

    public static func backward(dinp: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                                dout: UnsafePointer<Float>, count: Int) {
        for i in 0..<count {
            let x = inp[i]
            let u = k0 * (x + k1 * x * x * x)
            let th = tanhf(u)
            let sech2 = 1 - th * th
            let grad = 0.5 * (1 + th) + 0.5 * x * sech2 * k0 * (1 + 3 * k1 * x * x)
            dinp[i] += grad * dout[i]
        }
    }
}

public enum Tanh {
    public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, count: Int) {
        for i in 0..<count { out[i] = tanhf(inp[i]) }
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
