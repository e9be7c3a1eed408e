/// The geometry of one step, for the playground's map and rounding plane: the latent and the
/// prediction of every position of sequence 0, as 2-D coordinates on the embedding table's
/// principal axes (`EmbeddingProjection`) plus the raw prediction rows (the rounding plane
/// needs them in full: d = 16 floats a position).
public struct LatentSample: Sendable, Codable, Equatable {
    /// ᾱ of the latent this step produced (the noise level of `latentPoints`): 1 at the last step.
    public var alphaBar: Double
    /// The latent x_t the step produced, one (x, y) pair per position, [L, 2].
    public var latentPoints: [Float]
    /// The same latent divided by √ᾱ (rescaled to the embeddings' scale), [L, 2].
    public var scaledPoints: [Float]
    /// The prediction x0-hat (before clamping), [L, 2]; empty at step 0.
    public var predictionPoints: [Float]
    /// The prediction's rows, [L, D]; empty at step 0.
    public var prediction: [Float]
    /// Positions that round to words only (length control and infilling skip the special tokens).
    public var wordsOnly: [Bool]

    public init(alphaBar: Double, latentPoints: [Float], scaledPoints: [Float], predictionPoints: [Float],
                prediction: [Float], wordsOnly: [Bool]) {
        self.alphaBar = alphaBar; self.latentPoints = latentPoints; self.scaledPoints = scaledPoints
        self.predictionPoints = predictionPoints; self.prediction = prediction; self.wordsOnly = wordsOnly
    }

    /// Number of positions.
    public var count: Int { latentPoints.count / 2 }

    /// Position p's point: the latent (scaled to the embeddings' scale or not) or the prediction.
    public func point(_ p: Int, prediction usePrediction: Bool, scaled: Bool) -> (x: Float, y: Float)? {
        let points = usePrediction ? predictionPoints : (scaled ? scaledPoints : latentPoints)
        guard 2 * p + 1 < points.count else { return nil }
        return (points[2 * p], points[2 * p + 1])
    }

    /// Position p's prediction row (D floats), nil at step 0.
    public func predictionRow(_ p: Int, dim: Int) -> ArraySlice<Float>? {
        guard dim > 0, (p + 1) * dim <= prediction.count else { return nil }
        return prediction[p * dim..<(p + 1) * dim]
    }
}
