import Foundation

/// The reverse sampler of a continuous chain.
public enum ReverseSampler: String, Sendable, Codable, CaseIterable {
    /// Ancestral sampling (Ho et al. 2020): x_{t-1} ~ q(x_{t-1} | x_t, x0-hat), the posterior
    /// mean c1 x0-hat + c2 x_t plus sqrt(beta~_t) z.
    case ddpm
    /// Song et al. 2021's implicit sampler on the same (respaced) schedule, with the denoiser's
    /// x0-hat: eps-hat = (x_t - sqrt(abar_t) x0-hat) / sqrt(1 - abar_t) and
    /// x_{t-1} = sqrt(abar_{t-1}) x0-hat + sqrt(1 - abar_{t-1} - sigma^2) eps-hat + sigma z,
    /// sigma = eta sqrt((1 - abar_{t-1}) / (1 - abar_t)) sqrt(1 - abar_t / abar_{t-1}).
    case ddim

    /// The name the header and reports show.
    public var label: String { rawValue.uppercased() }
}

extension ChainSettings {
    public var samplerKind: ReverseSampler { sampler ?? .ddpm }
    public var etaValue: Float { eta ?? 0 }
    /// Accepted values of DDIM's eta: 0 (deterministic) to 1 (DDPM's posterior variance).
    public static let etaRange: ClosedRange<Float> = 0...1

    /// The sampler as a header shows it: "DDPM", or "DDIM η 0" with its eta.
    public var samplerDescription: String {
        switch samplerKind {
        case .ddpm: return "DDPM"
        case .ddim: return "DDIM η \(Self.trimmed(etaValue))"
        }
    }

    /// A number without trailing zeros ("0", "0.5").
    static func trimmed(_ value: Float) -> String {
        let text = String(format: "%.3f", Double(value))
        guard text.contains(".") else { return text }
        var t = Substring(text)
        while t.hasSuffix("0") { t = t.dropLast() }
        if t.hasSuffix(".") { t = t.dropLast() }
        return String(t)
    }

    /// Checks the sampler's settings: eta in `etaRange`, and eta only with DDIM.
    public func validateSampler() throws {
        guard let eta else { return }
        guard samplerKind == .ddim else {
            throw DenoiseError.invalid("--eta applies to the DDIM sampler only: add --sampler ddim (accepted samplers: ddpm, ddim)")
        }
        guard eta.isFinite, Self.etaRange.contains(eta) else {
            throw DenoiseError.invalid("--eta \(eta) is out of range: accepted 0...1 (0 deterministic DDIM, 1 DDPM-like noise)")
        }
    }
}

extension NoiseSchedule {
    /// DDIM's update at step i written as x_{i-1} = c1 x0-hat + c2 x_i + sigma z: expanding
    /// eps-hat gives c2 = sqrt(1 - abar_{i-1} - sigma^2) / sqrt(1 - abar_i) and
    /// c1 = sqrt(abar_{i-1}) - c2 sqrt(abar_i). At eta = 1, sigma^2 is the posterior variance
    /// beta~_i; at the last step (abar_{i-1} = 1) c1 = 1, c2 = 0, sigma = 0, as in DDPM.
    public func ddim(_ i: Int, eta: Double) -> (c1: Double, c2: Double, sigma: Double) {
        let abar = alphaBars[i], previous = alphaBarPrevious(i)
        let sigma = eta * ((1 - previous) / (1 - abar)).squareRoot() * (1 - abar / previous).squareRoot()
        // Rounding may take 1 - abar_{i-1} - sigma^2 a hair below 0 at eta = 1.
        let c2 = Swift.max(0, 1 - previous - sigma * sigma).squareRoot() / (1 - abar).squareRoot()
        return (previous.squareRoot() - c2 * abar.squareRoot(), c2, sigma)
    }
}

extension ReverseChain {
    /// The coefficients of step i's update x_{t-1} = c1 x0-hat + c2 x_t + sd z, with `draws`
    /// false when the step adds no noise (no draw is made, so the random streams stay as they
    /// are), and the standard deviation guidance weighs its fluency term by.
    struct Update {
        let c1: Float, c2: Float, sd: Float
        let draws: Bool
        let guidanceSigma: Float
    }

    func update(_ i: Int) -> Update {
        let post = schedule.posterior(i)
        let tau = settings.temperature
        // The posterior's standard deviation, scaled by the sampling temperature.
        let posteriorSD = Float(post.variance.squareRoot()) * tau
        switch settings.samplerKind {
        case .ddpm:
            return Update(c1: Float(post.c1), c2: Float(post.c2), sd: posteriorSD, draws: i > 0,
                          guidanceSigma: Swift.max(posteriorSD, 1e-3))
        case .ddim:
            let d = schedule.ddim(i, eta: Double(settings.etaValue))
            let sd = Float(d.sigma) * tau
            // Guidance's fluency term |mu - x|^2 / sigma keeps DDPM's scale: with DDIM's
            // sigma (0 at eta = 0) it would pin x to the mean and switch guidance off.
            return Update(c1: Float(d.c1), c2: Float(d.c2), sd: sd, draws: i > 0 && sd > 0,
                          guidanceSigma: Swift.max(posteriorSD, 1e-3))
        }
    }
}
