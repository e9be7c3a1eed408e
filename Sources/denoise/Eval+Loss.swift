import DenoiseCore
import Foundation

/// The `loss` part of `denoise eval`: the training loss of the saved weights on training and on
/// held-out sentences.
extension Eval {
    /// Batches of 64 sequences measured on each side. At 40, seeds 1-3 on the bundled model
    /// moved each side's total by up to 0.015 while the gap between the sides was 0.026-0.054.
    static let lossBatches = 40

    func evaluateLoss(_ settings: EvaluationSettings) throws {
        guard parts.loss else { return }
        let m = settings.model
        guard m.denoiser.isTrainable else {
            print("\n== loss: skipped (a model of the \(m.config.architectureKind.rawValue) architecture is not trained here)")
            return
        }
        let examples = try settings.trainingFiles.flatMap { try CorpusReader.read(path: $0) }
        let start = Date()
        guard let r = try HeldOutLoss.measure(model: m, examples: examples, batches: Self.lossBatches, seed: seed) else {
            print("\n== loss: skipped (no held-out sentence of the corpus fits the model)")
            return
        }
        print("\n== loss (the training loss of the saved weights on \(r.sequences) sequences per side: same times, noise")
        print(String(format: "   and length fixing; %d training and %d held-out sentences, %.1f s)", r.trainingSentences,
                     r.heldOutSentences, Date().timeIntervalSince(start)))
        print("              total     mse  round-ce   out-ce")
        for (name, p) in [("training", r.training), ("held out", r.heldOut)] {
            print(String(format: "%-10@  %7.4f  %6.4f  %8.4f  %7.4f", name as NSString, p.total, p.mse, p.roundingCE, p.outputCE))
        }
        print(String(format: "held-out loss / training loss  %.3f", r.heldOut.total / max(r.training.total, 1e-12)))
    }
}
