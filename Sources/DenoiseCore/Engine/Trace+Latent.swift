/// The trace's geometry lines, for plotting the chain elsewhere: one object of kind
/// `"latentBasis"` (the PCA of the embedding table: `mean` [D], `axes` [2][D], `varianceShare`)
/// then one of kind `"latent2d"` per step with every position's coordinates on those axes:
/// `xt` (the latent), `xtScaled` (the latent / √ᾱ), `x0` (the prediction, empty at step 0), each
/// a list of [x, y] pairs, and `alphaBar` (the latent's noise level). A reader that does not
/// know a `kind` skips the line.
extension Trace {
    public static func latentLines(_ snapshots: [StepSnapshot], projection: EmbeddingProjection) -> [String] {
        let d = projection.dim
        var lines = [json([
            "kind": "latentBasis", "dim": d, "mean": projection.mean.map { round($0) },
            "axes": [Array(projection.axes[0..<d]).map { round($0) }, Array(projection.axes[d..<2 * d]).map { round($0) }],
            "varianceShare": round(projection.varianceShare),
        ] as [String: Any])]
        for s in snapshots {
            guard let latent = s.latent else { continue }
            func pairs(_ points: [Float]) -> [[Double]] {
                stride(from: 0, to: points.count - 1, by: 2).map { [round(points[$0]), round(points[$0 + 1])] }
            }
            lines.append(json([
                "kind": "latent2d", "step": s.step, "alphaBar": round(latent.alphaBar),
                "xt": pairs(latent.latentPoints), "xtScaled": pairs(latent.scaledPoints), "x0": pairs(latent.predictionPoints),
            ] as [String: Any]))
        }
        return lines
    }

    /// True for the lines of an object kind this reader does not turn into a step.
    static func isExtraLine(_ object: [String: Any]) -> Bool { object["kind"] is String }
}
