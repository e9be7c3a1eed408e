/// The uniform kind's reverse transition (UDLM; Schiff et al. 2024): the posterior
/// q(z_s | z_t, x) of the forward process q(z_t | x) = alpha_t x + (1 - alpha_t) / N, with the
/// denoiser's distribution x_theta put in the place of the clean one-hot x:
///
///   p(z_s = j | z_t = i)  ∝  [alpha_{t|s} [i = j] + (1 - alpha_{t|s}) / N] * [alpha_s x_j + (1 - alpha_s) / N],
///
/// alpha_{t|s} = alpha_t / alpha_s. The first factor is q(z_t = i | z_s = j), the second
/// q(z_s = j | x); the normaliser is alpha_t x_i + (1 - alpha_t) / N. Every token may be drawn,
/// including one other than the current token where the current one is already right, which is
/// why a uniform chain's words can change after they appear.
public enum UniformPosterior {
    /// Writes p(z_s = j | z_t = current) for j in 0..<classes into `out` (rows sum to 1).
    public static func probabilities(current i: Int, prediction x: UnsafePointer<Float>, classes n: Int,
                                     alphaT: Double, alphaS: Double, out: UnsafeMutablePointer<Float>) {
        let ats = alphaT / alphaS, inv = 1 / Double(n)
        let stay = Float(ats + (1 - ats) * inv), move = Float((1 - ats) * inv)
        let a = Float(alphaS), b = Float((1 - alphaS) * inv)
        var sum: Float = 0
        for j in 0..<n {
            let v = (j == i ? stay : move) * (a * x[j] + b)
            out[j] = v
            sum += v
        }
        let scale = 1 / sum
        for j in 0..<n { out[j] *= scale }
    }
}
