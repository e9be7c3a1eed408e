import DenoiseCore

/// Finite-difference gradient checking for the kernels' backward passes.
///
/// The loss is a fixed random projection of a kernel's output, sum_i r_i * out_i, so every
/// output element matters and its gradient with respect to the output is just r. Central
/// differences in Float are noisy, so errors are relative to max(|analytic|, |numeric|, floor)
/// with a floor at 1% of the largest gradient checked.
struct GradientCheck {
    var epsilon: Float = 1e-3

    /// Worst relative error over the checked coordinates of `values`.
    func worstError(values: UnsafeMutablePointer<Float>, analytic: [Float], indices: [Int], loss: () -> Double) -> Float {
        var numeric = [Float]()
        for i in indices {
            let saved = values[i]
            values[i] = saved + epsilon
            let up = loss()
            values[i] = saved - epsilon
            let down = loss()
            values[i] = saved
            numeric.append(Float((up - down) / Double(2 * epsilon)))
        }
        let checked = indices.map { analytic[$0] }
        let floor = max(checked.map(abs).max() ?? 0, numeric.map(abs).max() ?? 0) * 0.01 + 1e-6
        var worst: Float = 0
        for (k, a) in checked.enumerated() {
            let n = numeric[k]
            worst = max(worst, abs(a - n) / max(abs(a), abs(n), floor))
        }
        return worst
    }

    /// Up to `limit` indices spread over 0..<count.
    static func sample(_ count: Int, limit: Int = 40) -> [Int] {
        if count <= limit { return Array(0..<count) }
        return (0..<limit).map { $0 * count / limit }
    }
}

/// Deterministic test data.
func randomArray(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
    var rng = RandomSource(seed: seed)
    return (0..<count).map { _ in rng.normal() * scale }
}

func dot(_ a: UnsafePointer<Float>, _ b: [Float]) -> Double {
    var s: Double = 0
    for i in 0..<b.count { s += Double(a[i]) * Double(b[i]) }
    return s
}
