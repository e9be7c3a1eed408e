import Foundation

// Losses. Each returns the scalar loss and writes (accumulates) the gradient scaled by `weight`.

public enum MeanSquaredError {
    /// loss = weight * mean((pred - target)^2) over `count` elements.
    /// Accumulates d loss / d pred into dpred and, when given, d loss / d target into dtarget.
    @discardableResult
    public static func forwardBackward(
        pred: UnsafePointer<Float>, target: UnsafePointer<Float>, count: Int, weight: Float = 1,
        dpred: UnsafeMutablePointer<Float>?, dtarget: UnsafeMutablePointer<Float>?
    ) -> Float {
        var sum: Double = 0
        let g = 2 * weight / Float(count)
        for i in 0..<count {
            let diff = pred[i] - target[i]
            sum += Double(diff * diff)
            dpred?[i] += g * diff
            dtarget?[i] -= g * diff
        }
        return weight * Float(sum / Double(count))
    }
}

/// Cross-entropy of a softmax over logits against integer targets, averaged over rows.
public enum CrossEntropy {
    /// `dlogits` (may alias `logits`) receives
    /// weight * (p - onehot) / rows. Returns weight * mean(-log p[target]).
    @discardableResult
    public static func forwardBackward(
        logits: UnsafePointer<Float>, targets: UnsafePointer<Int32>, rows: Int, classes v: Int,
        weight: Float = 1, dlogits: UnsafeMutablePointer<Float>
    ) -> Float {
        var total: Double = 0
        let scale = weight / Float(rows)
        for r in 0..<rows {
            let x = logits + r * v, g = dlogits + r * v
            let target = Int(targets[r])
            let targetLogit = x[target]  // read before g (which may alias x) is overwritten
            var m = -Float.infinity
            for i in 0..<v where x[i] > m { m = x[i] }
            var sum: Float = 0, i = 0
            var acc = F8()
            while i + 8 <= v { let e = exp8(load8(x + i) - m); store8(e, g + i); acc += e; i += 8 }
            sum = sum8(acc)
            while i < v { let e = exp1(x[i] - m); g[i] = e; sum += e; i += 1 }
            total += Double(logf(sum) + m - targetLogit)
            let inv = scale / sum
            for i in 0..<v { g[i] *= inv }
            g[target] -= scale
        }
        return weight * Float(total / Double(rows))
    }
}
