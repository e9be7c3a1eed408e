import ArgumentParser
import DenoiseCore

/// The architecture of a new model, shared by `train` and `init`.
struct ArchitectureOptions: ParsableArguments {
    @Option(help: "Sequence length L (training drops sentences longer than L-2 tokens).") var length = 48
    @Option(help: "Embedding dimension d.") var embeddingDim = 16
    @Option(help: "Transformer width H.") var hidden = 128
    @Option(help: "Transformer blocks.") var layers = 4
    @Option(help: "Attention heads.") var heads = 4
    @Option(help: "Feed-forward width.") var ffn = 512
    @Option(help: "Diffusion steps T.") var diffusionSteps = 2000

    func config(vocabSize: Int) -> ModelConfig {
        ModelConfig(vocabSize: vocabSize, sequenceLength: length, embeddingDim: embeddingDim, hiddenSize: hidden,
                    layers: layers, heads: heads, ffnSize: ffn, diffusionSteps: diffusionSteps)
    }
}
