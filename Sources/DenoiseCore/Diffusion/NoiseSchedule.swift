import Foundation

/// The "sqrt" noise schedule of Diffusion-LM, computed in Double, and its respacing to K steps.
///
///   abar(s) = 1 - sqrt(s + 1e-4),  s in [0, 1]
///   beta_i  = min(1 - abar((i+1)/T) / abar(i/T), 0.999),  alphaBar_i = prod_{k<=i} (1 - beta_k)
///
/// A respaced schedule keeps K of the T indices (evenly spread, first and last kept) and rebuilds
/// its betas from the kept alpha-bars, so each step jumps straight between kept noise levels; the
/// network is still told the original index (`timesteps`).
public struct NoiseSchedule: Sendable, Equatable {
    /// Original time index of each step, ascending (timesteps[0] == 0, last == T - 1).
    public let timesteps: [Int]
    public let betas: [Double]
    public let alphaBars: [Double]

    public var count: Int { timesteps.count }

    /// The full T-step sqrt schedule.
    public init(sqrtSteps t: Int) {
        precondition(t >= 2, "a schedule needs at least 2 steps")
        func abar(_ s: Double) -> Double { 1 - (s + 1e-4).squareRoot() }
        var betas = [Double](), alphaBars = [Double]()
        var product = 1.0
        for i in 0..<t {
            let beta = min(1 - abar(Double(i + 1) / Double(t)) / abar(Double(i) / Double(t)), 0.999)
            product *= 1 - beta
            betas.append(beta)
            alphaBars.append(product)
        }
        self.timesteps = Array(0..<t)
        self.betas = betas
        self.alphaBars = alphaBars
    }

    init(timesteps: [Int], alphaBars: [Double]) {
        var betas = [Double]()
        var previous = 1.0
        for a in alphaBars {
            betas.append(1 - a / previous)
            previous = a
        }
        self.timesteps = timesteps
        self.betas = betas
        self.alphaBars = alphaBars
    }

    /// K evenly spread indices of this schedule (first and last kept), betas rebuilt.
    public func respaced(to k: Int) -> NoiseSchedule {
        precondition(k >= 1 && k <= count, "respacing needs 1...\(count) steps")
        if k == count { return self }
        var kept = [Int]()
        if k == 1 {
            kept = [count - 1]
        } else {
            let stride = Double(count - 1) / Double(k - 1)
            for j in 0..<k { kept.append(Int((Double(j) * stride).rounded())) }
        }
        return NoiseSchedule(timesteps: kept.map { timesteps[$0] }, alphaBars: kept.map { alphaBars[$0] })
    }

    /// alpha-bar of the step before i (1 before the first step: clean data).
    public func alphaBarPrevious(_ i: Int) -> Double { i == 0 ? 1 : alphaBars[i - 1] }

    /// Posterior q(x_{i-1} | x_i, x_0) = N(c1 x_0 + c2 x_i, variance).
    public func posterior(_ i: Int) -> (c1: Double, c2: Double, variance: Double) {
        let beta = betas[i], abar = alphaBars[i], abarPrev = alphaBarPrevious(i)
        let c1 = beta * abarPrev.squareRoot() / (1 - abar)
        let c2 = (1 - abarPrev) * (1 - beta).squareRoot() / (1 - abar)
        let variance = beta * (1 - abarPrev) / (1 - abar)
        return (c1, c2, variance)
    }

    /// Signal-to-noise ratio of step i in decibels: 10 log10(abar / (1 - abar)).
    public func snrDB(_ i: Int) -> Double {
        let a = alphaBars[i]
        return 10 * log10(a / (1 - a))
    }
}
