import Foundation

/// The noise schedule of the discrete kinds: MDLM's log-linear schedule, alpha(t) = 1 - t for
/// continuous time t in [0, 1], where alpha(t) is the probability that a token is still clean.
///
/// Why log-linear: its total "noise" -log alpha(t) grows as -log(1 - t), so the expected number
/// of corrupted tokens grows linearly in t; with K evenly spaced sampling steps each step
/// corrupts (or, in reverse, restores) the same expected number of tokens, which is what a class
/// watching a masked chain expects and what LLaDA's samplers assume. MDLM reports it as its best
/// schedule; it also gives the masked ELBO its simplest weight, -alpha'(t) / (1 - alpha(t)) = 1 / t.
///
/// The network sees time as an index in 0..<T (the config's `diffusionSteps`), as the continuous
/// denoiser does: index(t) = min(T - 1, floor(t T)).
public struct DiscreteSchedule: Sendable, Equatable {
    public static let name = "loglinear"
    /// Times below this are not drawn in training (the masked weight 1/t is unbounded at 0).
    public static let minimumTime = 1e-3

    public let diffusionSteps: Int
    public init(diffusionSteps: Int) { self.diffusionSteps = diffusionSteps }

    /// alpha(t) = 1 - t: the probability that a token is still clean at time t.
    public func alpha(_ t: Double) -> Double { 1 - t }
    /// d alpha / dt.
    public func alphaDerivative(_ t: Double) -> Double { -1 }

    /// The masked ELBO's weight -alpha'(t) / (1 - alpha(t)) (MDLM, eq. 10).
    public func maskedWeight(_ t: Double) -> Double { -alphaDerivative(t) / (1 - alpha(t)) }

    /// The time index the network is told for time t.
    public func index(_ t: Double) -> Int32 { Int32(Swift.min(diffusionSteps - 1, Swift.max(0, Int(t * Double(diffusionSteps))))) }

    /// The K + 1 times a K-step reverse chain visits, from 1 down to 0: step k (1...K) goes from
    /// times[k - 1] to times[k].
    public static func times(steps: Int) -> [Double] { (0...steps).map { 1 - Double($0) / Double(steps) } }
}
