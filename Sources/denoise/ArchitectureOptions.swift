import ArgumentParser
import DenoiseCore

/// The architecture of a new model, shared by `train` and `init`. Width 160 (FFN 640) is the
/// widest that keeps the playground's step and chain under their budgets, and in the same
/// training time it writes more fluent text than width 128, which levels off early
/// (docs/DECISIONS.md, "Width 160"). Self-conditioning makes a model of the same training time
/// much more fluent at some cost in variety (docs/DECISIONS.md, "Self-conditioning: on by default").
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
