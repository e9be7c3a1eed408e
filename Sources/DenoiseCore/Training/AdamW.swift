import Foundation

/// AdamW over one flat parameter buffer, with an exponential moving average of the weights
/// (the EMA copy is what gets saved and sampled from).
public final class AdamW {
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8
    public var weightDecay: Float
    public let m: FloatBuffer
    public let v: FloatBuffer
    /// Number of updates taken so far (for bias correction).
    public var updates: Int = 0

    public init(count: Int, weightDecay: Float = 0) {
        m = FloatBuffer(count: count)
        v = FloatBuffer(count: count)
        self.weightDecay = weightDecay
    }

    public func update(params p: UnsafeMutablePointer<Float>, grads g: UnsafePointer<Float>, count: Int, learningRate lr: Float) {
        updates += 1
        let c1 = 1 - powf(beta1, Float(updates)), c2 = 1 - powf(beta2, Float(updates))
        let mp = m.pointer, vp = v.pointer
        let b1 = beta1, b2 = beta2, eps = epsilon, wd = weightDecay
        for i in 0..<count {
            let gi = g[i]
            mp[i] = b1 * mp[i] + (1 - b1) * gi
            vp[i] = b2 * vp[i] + (1 - b2) * gi * gi
            let mhat = mp[i] / c1, vhat = vp[i] / c2
            p[i] -= lr * (mhat / (vhat.squareRoot() + eps) + wd * p[i])
        }
    }

    /// ema <- decay * ema + (1 - decay) * params.
    public static func updateEMA(_ ema: UnsafeMutablePointer<Float>, params: UnsafePointer<Float>, count: Int, decay: Float) {
        for i in 0..<count { ema[i] = decay * ema[i] + (1 - decay) * params[i] }
    }
}
