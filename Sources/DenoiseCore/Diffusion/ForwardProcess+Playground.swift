import Foundation

extension ForwardProcess {
    /// Step 0 of the walk: the clean sentence x_0 (alphaBar 1, no noise), rounded. Like the
    /// reverse chain's step 0 it has no prediction (`x0` is empty).
    public func initialSnapshot() -> StepSnapshot {
        rounder.round(x0.pointer, rows: length)
        let xt = tokens()
        let candidates = (0..<length).map { p in
            rounder.topK(row: p, k: candidateCount).map { Candidate(text: model.vocabulary.word($0.id), squaredDistance: $0.distance) }
        }
        let clean = UnsafePointer(x0.pointer)
        let sample = model.projection.map { projection in
            LatentSample(alphaBar: 1, latentPoints: projection.project(rows: length, clean),
                         scaledPoints: projection.project(rows: length, clean), predictionPoints: [], prediction: [],
                         wordsOnly: Array(repeating: false, count: length))
        }
        return StepSnapshot(step: 0, totalSteps: totalSteps, t: 0, alphaBar: 1, sigma: 0, snrDB: .infinity, xt: xt, x0: [],
                            candidates: candidates, changed: [], scores: [:], fieldGuesses: [], guidanceNorm: 0,
                            clamped: false, latent: sample)
    }

    /// The latent x_t of step k (0: the clean x_0), [L, D]: the walk's one noise draw at step k's
    /// noise level, so it equals the `latent` the walk held right after step k.
    public func latent(atStep k: Int) -> [Float] {
        precondition(k >= 0 && k <= totalSteps, "step \(k) outside 0...\(totalSteps)")
        guard k > 0 else { return x0.array }
        var out = [Float](repeating: 0, count: latent.count)
        out.withUnsafeMutableBufferPointer {
            Self.noised(x0.pointer, noise: noise.pointer, alphaBar: schedule.alphaBars[k - 1], count: latent.count,
                        into: $0.baseAddress!)
        }
        return out
    }

    /// The 2-D geometry of the current x_t (at `alphaBar`) and of the prediction rows [L, D],
    /// as the reverse chain attaches to its snapshots; nil without a projection.
    func latentSample(alphaBar: Double, prediction: UnsafePointer<Float>) -> LatentSample? {
        guard let projection = model.projection else { return nil }
        let x = UnsafePointer(latent.pointer)
        let rows = Array(UnsafeBufferPointer(start: prediction, count: length * model.config.embeddingDim))
        return LatentSample(alphaBar: alphaBar, latentPoints: projection.project(rows: length, x),
                            scaledPoints: projection.project(rows: length, x, scale: Float(1 / max(alphaBar, 1e-12).squareRoot())),
                            predictionPoints: projection.project(rows: length, prediction), prediction: rows,
                            wordsOnly: Array(repeating: false, count: length))
    }
}
