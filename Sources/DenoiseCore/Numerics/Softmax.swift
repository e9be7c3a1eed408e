import Foundation

// Row-wise softmax over the last dimension, numerically stable (max subtracted).

public enum Softmax {
    public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                               rows: Int, columns c: Int) {
        for r in 0..<rows {
            let x = inp + r * c, y = out + r * c
            var i = 0
            var maxes = F8(repeating: -.infinity)
            while i + 8 <= c { maxes = max8(maxes, load8(x + i)); i += 8 }
            var m = maxLane(maxes)
            while i < c { m = max(m, x[i]); i += 1 }
            let mv = F8(repeating: m)
            var acc = F8()
            i = 0
            while i + 8 <= c { let e = exp8(load8(x + i) - mv); store8(e, y + i); acc += e; i += 8 }
            var sum = sum8(acc)
            while i < c { let e = exp1(x[i] - m); y[i] = e; sum += e; i += 1 }
            let inv = 1 / sum, invv = F8(repeating: inv)
            i = 0
            while i + 8 <= c { store8(load8(y + i) * invv, y + i); i += 8 }
            while i < c { y[i] *= inv; i += 1 }
        }
    }

    /// dx_i = y_i * (dy_i - sum_j y_j dy_j), accumulated into dinp.
    public static func backward(dinp: UnsafeMutablePointer<Float>, out: UnsafePointer<Float>,
                                dout: UnsafePointer<Float>, rows: Int, columns c: Int) {
        for r in 0..<rows {
            let y = out + r * c, dy = dout + r * c, dx = dinp + r * c
            var dot: Float = 0
            for i in 0..<c { dot += y[i] * dy[i] }
            for i in 0..<c { dx[i] += y[i] * (dy[i] - dot) }
        }
    }
}
