// Layer normalisation over the last dimension C, for N rows:
//   y = (x - mean) * rstd * gamma + beta,  rstd = 1 / sqrt(var + eps)
// The forward pass keeps mean and rstd per row for the backward pass.

public enum LayerNorm {
    public static let epsilon: Float = 1e-5

    public static func forward(
        out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>?,
        rstd: UnsafeMutablePointer<Float>?,
        inp: UnsafePointer<Float>, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
        rows: Int, channels c: Int, epsilon: Float = LayerNorm.epsilon
    ) {
        let invC = 1 / Float(c)
        let wide = c % 8 == 0
        for r in 0..<rows {
            let x = inp + r * c
            let y = out + r * c
            var m: Float = 0, v: Float = 0
            if wide {
                // Two accumulators, 16 channels a step (and a last 8 when C is not a multiple of
                // 16): one chain of dependent adds per row was latency-bound.
                let tail = c - c % 16
                var a0 = F8(), a1 = F8()
                for i in stride(from: 0, to: tail, by: 16) { a0 += load8(x + i); a1 += load8(x + i + 8) }
                if tail < c { a0 += load8(x + tail) }
                m = sum8(a0 + a1) * invC
                let mv = F8(repeating: m)
                a0 = F8(); a1 = F8()
                for i in stride(from: 0, to: tail, by: 16) {
                    let d0 = load8(x + i) - mv, d1 = load8(x + i + 8) - mv
                    a0 = fma8(d0, d0, a0); a1 = fma8(d1, d1, a1)
                }
                if tail < c { let d = load8(x + tail) - mv; a0 = fma8(d, d, a0) }
                v = sum8(a0 + a1) * invC
            } else {
                for i in 0..<c { m += x[i] }
                m *= invC
                for i in 0..<c { let d = x[i] - m; v += d * d }
                v *= invC
            }
            let s = 1 / (v + epsilon).squareRoot()
            for i in 0..<c { y[i] = (x[i] - m) * s * gamma[i] + beta[i] }
            mean?[r] = m
            rstd?[r] = s
        }
    }

    public static func backward(
        dinp: UnsafeMutablePointer<Float>, dgamma: UnsafeMutablePointer<Float>,
        dbeta: UnsafeMutablePointer<Float>,
        dout: UnsafePointer<Float>, inp: UnsafePointer<Float>, gamma: UnsafePointer<Float>,
        mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
        rows: Int, channels c: Int
    ) {
        let invC = 1 / Float(c)
        for r in 0..<rows {
            let x = inp + r * c, dy = dout + r * c, dx = dinp + r * c
            let m = mean[r], s = rstd[r]
            // Two reductions: mean of dxhat, and mean of dxhat * xhat.
            var sumD: Float = 0, sumDX: Float = 0
            if c % 8 == 0 {
                var accD = F8(), accDX = F8()
                for i in stride(from: 0, to: c, by: 8) {
                    let xhat = (load8(x + i) - m) * s
                    let dxhat = load8(dy + i) * load8(gamma + i)
                    accD += dxhat
                    accDX += dxhat * xhat
                }
                sumD = sum8(accD); sumDX = sum8(accDX)
            } else {
                for i in 0..<c {
                    let xhat = (x[i] - m) * s
                    let dxhat = dy[i] * gamma[i]
                    sumD += dxhat
                    sumDX += dxhat * xhat
                }
            }
            sumD *= invC
            sumDX *= invC
            for i in 0..<c {
                let xhat = (x[i] - m) * s
                let dxhat = dy[i] * gamma[i]
                dbeta[i] += dy[i]
                dgamma[i] += dy[i] * xhat
                dx[i] += (dxhat - sumD - xhat * sumDX) * s
            }
        }
    }
}
