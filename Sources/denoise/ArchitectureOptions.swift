import ArgumentParser
import DenoiseCore

/// The architecture of a new model, shared by `train` and `init`. Width 160 (FFN 640) is the
/// widest that keeps the playground's step and chain under their budgets, and at the same
/// 60-minute training budget it reached a trigram share of 0.838 where width 128 stopped near
/// 0.80 (docs/TRAINING.md, "Time to a fluent model"). Self-conditioning took the 30-minute
/// trigram share from 0.81 to 0.89 at some cost in variety (same section).
struct ArchitectureOptions: ParsableArguments {
    @Option(help: "Sequence length L (training drops sentences longer than L-2 tokens).") var length = 48
    @Option(help: "Embedding dimension d.") var embeddingDim = 16
    @Option(help: "Transformer width H.") var hidden = 160
    @Option(help: "Transformer blocks.") var layers = 4
    @Option(help: "Attention heads.") var heads = 4
    @Option(help: "Feed-forward width.") var ffn = 640
    @Option(help: "Diffusion steps T.") var diffusionSteps = 2000
    @Flag(inversion: .prefixedNo, help: "Self-conditioning: the denoiser also reads its previous prediction of x0 (docs/TRAINING.md).")
    var selfConditioning = true

    func config(vocabSize: Int) -> ModelConfig {
        ModelConfig(vocabSize: vocabSize, sequenceLength: length, embeddingDim: embeddingDim, hiddenSize: hidden,
                    layers: layers, heads: heads, ffnSize: ffn, diffusionSteps: diffusionSteps,
                    selfConditioning: selfConditioning)
    }
}
