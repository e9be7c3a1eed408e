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
            """)
    @OptionGroup var model: ModelOption
    @Option(help: "Input latents x_t: float32 .npy of shape [L, d] or [B, L, d].") var latent: String
    @Option(name: .customLong("t"), help: "Diffusion step, the model's own index in 0..<T.") var timestep: Int
    @Option(help: "Output file for x̂0 (.npy, same shape as the input).") var out: String
    @Option(help: "Self-conditioned models: the previous prediction x̂0 (.npy, same shape as the input); default zeros.")
    var previous: String?

    func run() throws {
        try reportingErrors {
            let (denoiser, _) = try ModelFolder(path: model.path).loadDenoiser()
            let steps = denoiser.config.diffusionSteps
            guard (0..<steps).contains(timestep) else {
                throw DenoiseError.invalid("--t \(timestep) is outside this model's steps (accepted: 0...\(steps - 1))")
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
