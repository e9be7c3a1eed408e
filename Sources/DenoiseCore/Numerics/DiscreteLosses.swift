import Foundation

// The losses of the discrete kinds, forward and backward side by side. Both read raw logits
// [rows, V] from the tied head and write d loss / d logits (which may alias the logits). Rows
// whose weight is 0 (clean positions of a masked sentence, positions fixed for a length) get a
// zero gradient and cost nothing.
//
// Shapes: logits [rows, V]; targets, current [rows] token ids; rowWeights, alphas [rows].

/// Softmax of one row into `out`, leaving class `excluded` at probability 0 (the masked kind's
/// MASK token, which the denoiser must never predict). Returns log of the normaliser, so
/// log p_k = x_k - logNormaliser. `out` may alias `x`.
@inline(__always)
func softmaxRow(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, classes v: Int, excluded: Int) -> Float {
    var m = -Float.infinity
    for i in 0..<v where i != excluded && x[i] > m { m = x[i] }
    let mm = F8(repeating: m)
    var acc = F8(), i = 0
    // Every class but the excluded one is at most m, so clamping at 0 only touches that one.
    while i + 8 <= v { let e = exp8(clamp8(load8(x + i) - mm, -87, 0)); store8(e, out + i); acc += e; i += 8 }
    var sum = sum8(acc)
    while i < v { let e = exp1(Swift.min(x[i] - m, 0)); out[i] = e; sum += e; i += 1 }
    if excluded >= 0 && excluded < v { sum -= out[excluded]; out[excluded] = 0 }
    let inv = 1 / sum
    i = 0
    let iv = F8(repeating: inv)
    while i + 8 <= v { store8(load8(out + i) * iv, out + i); i += 8 }
    while i < v { out[i] *= inv; i += 1 }
    return logf(sum) + m
}

/// The masked kind's loss (MDLM's continuous-time ELBO with the SUBS parameterisation): the
/// cross-entropy of the prediction at every masked position, weighted by
/// -alpha'(t) / (1 - alpha(t)) of its sentence's time; clean positions carry no loss, and MASK is
/// never predicted.
public enum MaskedDiffusionLoss {
    /// Returns scale * sum_r w_r * (-log p_r[y_r]), p_r the softmax of row r without class
    /// `excluded` (-1: none). Writes dlogits_r = scale * w_r * (p_r - onehot(y_r)).
    @discardableResult
    public static func forwardBackward(logits: UnsafePointer<Float>, targets: UnsafePointer<Int32>,
                                       rowWeights: UnsafePointer<Float>, rows: Int, classes v: Int, excluded: Int,
                                       scale: Float, dlogits: UnsafeMutablePointer<Float>) -> Float {
        var total: Double = 0
        for r in 0..<rows {
            let x = logits + r * v, g = dlogits + r * v, w = rowWeights[r]
            guard w != 0 else { g.update(repeating: 0, count: v); continue }
            let target = Int(targets[r])
            let targetLogit = x[target]  // read before g (which may alias x) is overwritten
            let logZ = softmaxRow(x, g, classes: v, excluded: excluded)
            total += Double(w * (logZ - targetLogit))
            let k = scale * w
            var i = 0
            let kv = F8(repeating: k)
            while i + 8 <= v { store8(load8(g + i) * kv, g + i); i += 8 }
            while i < v { g[i] *= k; i += 1 }
            g[target] -= k
        }
        return scale * Float(total)
    }
}

/// The uniform kind's loss: UDLM's continuous-time ELBO (Schiff et al. 2024, eq. 18). With N
/// classes, the clean token y, the current token i, alpha = alpha(t), the model's probabilities
/// p and
///
///   xbar_j = N alpha [j = y] + (1 - alpha),   A_j = N alpha p_j + (1 - alpha),
///
/// the loss of a position is
///
///   alpha' / (N alpha) * [ N / xbar_i - N / A_i - sum_{j != i} (xbar_j / xbar_i) log(A_i xbar_j / (A_j xbar_i)) ],
///
/// which is zero when p is the one-hot of y and equals the limit of
/// KL(q(z_s | z_t, x) || p_theta(z_s | z_t)) / (t - s) as s -> t (a unit test checks both).
public enum UniformDiffusionLoss {
    /// sum_j log(scale * p_j + shift) in doubles, as the log of products of 16 factors: one
    /// logarithm per 16 classes instead of one per class. Each factor is at least `shift`
    /// (1 - alpha = t, and training draws t >= 0.001), so a product stays above 1e-48, far from
    /// a double's underflow.
    static func sumOfLogs(_ p: UnsafePointer<Float>, count v: Int, scale: Double, shift: Double) -> Double {
        var total: Double = 0, j = 0
        while j < v {
            var product: Double = 1
            let end = Swift.min(v, j + 16)
            while j < end { product *= scale * Double(p[j]) + shift; j += 1 }
            total += Foundation.log(product)
        }
        return total
    }

    /// Returns scale * sum_r w_r * loss_r with the loss above (alpha' = `alphaDerivative`,
    /// alpha = alphas[r]); writes dlogits_r = scale * w_r * d loss_r / d logits_r. `probabilities`
    /// [V] is scratch. dlogits may alias logits.
    @discardableResult
    public static func forwardBackward(logits: UnsafePointer<Float>, targets: UnsafePointer<Int32>,
                                       current: UnsafePointer<Int32>, alphas: UnsafePointer<Float>, alphaDerivative: Float,
                                       rowWeights: UnsafePointer<Float>, rows: Int, classes v: Int, scale: Float,
                                       probabilities p: UnsafeMutablePointer<Float>,
                                       dlogits: UnsafeMutablePointer<Float>) -> Float {
        var total: Double = 0
        let n = Double(v)
        for r in 0..<rows {
            let g = dlogits + r * v, w = rowWeights[r]
            guard w != 0 else { g.update(repeating: 0, count: v); continue }
            _ = softmaxRow(logits + r * v, p, classes: v, excluded: -1)
            let y = Int(targets[r]), i = Int(current[r])
            let alpha = Double(alphas[r]), off = 1 - alpha, na = n * alpha
            // xbar takes two values, na + off at y and off elsewhere, so the sum over j != i
            // splits into closed forms and one sum of log A_j over every class:
            //   sum = [ (N - xbar_i) log(A_i / xbar_i) + sum_{j != i} xbar_j log xbar_j
            //           - off * (sum_j log A_j - log A_i) - [y != i] na log A_y ] / xbar_i.
            let xbarI = i == y ? na + off : off, aI = na * Double(p[i]) + off
            func xLogX(_ x: Double) -> Double { x > 0 ? x * Foundation.log(x) : 0 }
            let others = Double(v - 1)
            let xLogXSum = i == y ? others * xLogX(off) : (others - 1) * xLogX(off) + xLogX(na + off)
            let logAY = i == y ? 0 : Foundation.log(na * Double(p[y]) + off)
            let sum = ((n - xbarI) * Foundation.log(aI / xbarI) + xLogXSum
                       - off * (sumOfLogs(p, count: v, scale: na, shift: off) - Foundation.log(aI))
                       - (i == y ? 0 : na * logAY)) / xbarI
            let bracket = n / xbarI - n / aI - sum
            total += Double(w) * Double(alphaDerivative) / na * bracket
            // d loss / d p_k = alpha' * d bracket / d A_k (since dA_k/dp_k = N alpha), with
            // d bracket / d A_i = N / A_i^2 - (N - xbar_i) / (xbar_i A_i) (the xbar_j sum to N) and
            // d bracket / d A_j = xbar_j / (xbar_i A_j); then the softmax's Jacobian:
            // d / d logit_k = p_k (g_k - sum_m p_m g_m). In floats, eight classes at a time.
            let k = Double(scale * w) * Double(alphaDerivative)
            let kOff = F8(repeating: Float(k * off / xbarI)), naF = F8(repeating: Float(na)), offF = F8(repeating: Float(off))
            var j = 0
            while j + 8 <= v { store8(kOff / (naF * load8(p + j) + offF), g + j); j += 8 }
            while j < v { g[j] = Float(k * off / xbarI) / (Float(na) * p[j] + Float(off)); j += 1 }
            if y != i { g[y] = Float(k * (na + off) / (xbarI * (na * Double(p[y]) + off))) }
            g[i] = Float(k * (n / (aI * aI) - (n - xbarI) / (xbarI * aI)))
            var acc = F8()
            j = 0
            while j + 8 <= v { acc += load8(p + j) * load8(g + j); j += 8 }
            var mean = sum8(acc)
            while j < v { mean += p[j] * g[j]; j += 1 }
            let m8 = F8(repeating: mean)
            j = 0
            while j + 8 <= v { store8(load8(p + j) * (load8(g + j) - m8), g + j); j += 8 }
            while j < v { g[j] = p[j] * (g[j] - mean); j += 1 }
        }
        return scale * Float(total)
    }
}
