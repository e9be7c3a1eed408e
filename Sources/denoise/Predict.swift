import ArgumentParser
import DenoiseCore
import Foundation

/// One denoiser call on latents from a file: for checking a model against another
/// implementation (an imported checkpoint against the reference PyTorch code).
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the denoiser once on latents from a .npy file and write x̂0 as .npy.",
        discussion: """
            IN.npy holds float32 latents x_t of shape [L, d] or [B, L, d] (NumPy '<f4', C order); \
            OUT.npy receives the prediction x̂0 with the same shape. T is the model's own diffusion \
            step, 0 <= T < the model's T (config.json diffusionSteps), before any rescaling: a \
            model that sees t * 1000 / T gets that rescaling applied inside, as in sampling. A \
            self-conditioned model also reads a previous prediction: --previous PREV.npy of the same \
            shape, or zeros (as at a chain's first step).

            Masked and uniform models read tokens instead: --tokens IN.npy holds word ids as float32 \
            whole numbers, shape [L] or [B, L] (MASK is the last id of a masked model's vocabulary), \
            and OUT.npy receives the tied head's logits, shape [L, V] or [B, L, V].
            """)
    @OptionGroup var model: ModelOption
    @Option(help: "Input latents x_t: float32 .npy of shape [L, d] or [B, L, d] (continuous models).") var latent: String?
    @Option(help: "Input tokens z_t: word ids as float32 .npy of shape [L] or [B, L] (masked and uniform models).") var tokens: String?
    @Option(name: .customLong("t"), help: "Diffusion step, the model's own index in 0..<T.") var timestep: Int
    @Option(help: "Output file for x̂0 (.npy, same shape as the input).") var out: String
    @Option(help: "Self-conditioned models: the previous prediction x̂0 (.npy, same shape as the input); default zeros.")
    var previous: String?

    func run() throws {
        try reportingErrors {
            let (denoiser, _) = try ModelFolder(path: model.path).loadDenoiser()
            let steps = denoiser.config.diffusionSteps, kind = denoiser.config.modelKind
            guard (0..<steps).contains(timestep) else {
                throw DenoiseError.invalid("--t \(timestep) is outside this model's steps (accepted: 0...\(steps - 1))")
            }
            if kind.isDiscrete {
                guard let tokens, latent == nil, previous == nil else {
                    throw DenoiseError.invalid("this model is \(kind.rawValue): give --tokens IN.npy (--latent and --previous are for continuous models)")
                }
                let (shape, values) = try Npy.read(path: tokens)
                let (ids, batch) = try denoiser.tokenBatch(shape: shape, values: values, file: tokens)
                let logits = BLAS.withThreads(denoiser.inferenceThreads) {
                    denoiser.predictLogits(tokens: ids, batch: batch, timestep: timestep)
                }
                try Npy.write(path: out, shape: shape + [denoiser.config.vocabSize], values: logits)
                return
            }
            guard let latent, tokens == nil else {
                throw DenoiseError.invalid("this model is continuous: give --latent IN.npy (--tokens is for masked and uniform models)")
            }
            let (shape, values) = try Npy.read(path: latent)
            let batch = try denoiser.latentBatch(shape: shape, file: latent)
            var previousValues: [Float]? = nil
            if let previous {
                guard denoiser.config.selfConditioning else {
                    throw DenoiseError.invalid("--previous is for self-conditioned models; this one reads x_t alone (leave it out)")
                }
                let (previousShape, read) = try Npy.read(path: previous)
                guard previousShape == shape else {
                    throw DenoiseError.corrupt(file: previous, "shape \(previousShape) differs from the latents' \(shape) (accepted: the same shape)")
                }
                previousValues = read
            }
            let prediction = BLAS.withThreads(denoiser.inferenceThreads) {
                denoiser.predict(latents: values, batch: batch, timestep: timestep, previous: previousValues)
            }
            try Npy.write(path: out, shape: shape, values: prediction)
        }
    }
}
