/// The three ways Denoise corrupts text, one per model kind (`config.json`'s `kind`).
///
/// - `continuous`: Gaussian noise on learned word embeddings (Diffusion-LM); the denoiser
///   predicts x0 and rounding maps vectors back to words.
/// - `masked`: each token is replaced by MASK with probability 1 - alpha(t) (absorbing-state
///   diffusion: MDLM, LLaDA); a token, once committed, stays.
/// - `uniform`: each token is replaced by a uniformly drawn vocabulary token with probability
///   1 - alpha(t) (D3PM-uniform, UDLM); a token may change again after it appears.
///
/// The discrete kinds share the transformer, the embedding table and the trainer with the
/// continuous one: their denoiser reads the embeddings of the corrupted tokens and its output,
/// through the tied head, is a distribution over the vocabulary at every position.
public enum ModelKind: String, Sendable, Codable, CaseIterable {
    case continuous, masked, uniform

    /// A model folder whose config has no `kind` is continuous (every model made before kinds).
    public init?(configValue: String?) {
        guard let configValue else { self = .continuous; return }
        self.init(rawValue: configValue)
    }

    public var isDiscrete: Bool { self != .continuous }

    /// The noise schedule each kind is trained and sampled with.
    public var scheduleName: String { isDiscrete ? DiscreteSchedule.name : "sqrt" }

    /// "continuous, masked, uniform", for error messages.
    public static var accepted: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
