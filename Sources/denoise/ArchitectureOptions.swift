import ArgumentParser
import DenoiseCore

/// The architecture of a new model, shared by `train` and `init`. Width 160 (FFN 640) is the
/// widest that keeps the playground's step and chain under their budgets, and in the same
/// training time it writes more fluent text than width 128, which levels off early
/// (docs/DECISIONS.md, "Width 160"). Self-conditioning makes a model of the same training time
/// much more fluent at some cost in variety (docs/DECISIONS.md, "Self-conditioning: on by default").
/// Masked and uniform models default to a wider embedding (docs/DECISIONS.md, "Discrete kinds").
struct ArchitectureOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Model kind: continuous (Gaussian noise on embeddings), masked (tokens become MASK) or uniform (tokens become random words).",
                               valueName: "continuous|masked|uniform"))
    var kind = "continuous"
    @Option(help: "Sequence length L (training drops sentences longer than L-2 tokens).") var length = 48
    @Option(help: "Embedding dimension d (default: 16 for continuous models, 64 for masked and uniform).") var embeddingDim: Int?
    @Option(help: "Transformer width H.") var hidden = 160
    @Option(help: "Transformer blocks.") var layers = 4
    @Option(help: "Attention heads.") var heads = 4
    @Option(help: "Feed-forward width.") var ffn = 640
    @Option(help: "Diffusion steps T.") var diffusionSteps = 2000
    @Flag(inversion: .prefixedNo,
          help: "Self-conditioning: the denoiser also reads its previous prediction of x0 (continuous models; on by default for them).")
    var selfConditioning: Bool?

    /// The kind named by --kind, or one line naming the accepted ones.
    func modelKind() throws -> ModelKind {
        guard let k = ModelKind(rawValue: kind) else {
            throw DenoiseError.invalid("--kind \(kind) is not a model kind (accepted: \(ModelKind.accepted))")
        }
        return k
    }

    func config(vocabSize: Int) throws -> ModelConfig {
        let k = try modelKind()
        if k.isDiscrete && selfConditioning == true {
            throw DenoiseError.invalid("--self-conditioning is for continuous models, not \(k.rawValue) ones (accepted with --kind continuous)")
        }
        return ModelConfig(vocabSize: vocabSize, sequenceLength: length, embeddingDim: embeddingDim ?? (k.isDiscrete ? 64 : 16),
                           hiddenSize: hidden, layers: layers, heads: heads, ffnSize: ffn, diffusionSteps: diffusionSteps,
                           schedule: k.scheduleName, selfConditioning: k.isDiscrete ? false : (selfConditioning ?? true), kind: k)
    }
}
