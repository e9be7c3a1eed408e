/// The trace's geometry lines, for plotting the chain elsewhere: one object of kind
/// `"latentBasis"` (the PCA of the embedding table: `mean` [D], `axes` [2][D], `varianceShare`)
/// then one of kind `"latent2d"` per step with every position's coordinates on those axes:
/// `xt` (the latent), `xtScaled` (the latent / √ᾱ), `x0` (the prediction, empty at step 0), each
/// a list of [x, y] pairs, and `alphaBar` (the latent's noise level). A reader skips every line
/// that has a `kind`.
extension Trace {
    public static func latentLines(_ snapshots: [StepSnapshot], projection: EmbeddingProjection) -> [String] {
        let d = projection.dim
        let round = TraceStep.round as (Float) -> Double
        var lines = [json(LatentBasisLine(
            dim: d, mean: projection.mean.map(round),
            axes: [Array(projection.axes[0..<d]).map(round), Array(projection.axes[d..<2 * d]).map(round)],
            varianceShare: TraceStep.round(projection.varianceShare)))]
        func pairs(_ points: [Float]) -> [[Double]] {
            stride(from: 0, to: points.count - 1, by: 2).map { [round(points[$0]), round(points[$0 + 1])] }
        }
        for s in snapshots {
            guard let latent = s.latent else { continue }
            lines.append(json(Latent2DLine(step: s.step, alphaBar: TraceStep.round(latent.alphaBar),
                                           xt: pairs(latent.latentPoints), xtScaled: pairs(latent.scaledPoints),
                                           x0: pairs(latent.predictionPoints))))
        }
        return lines
    }
}

struct LatentBasisLine: Codable {
    var kind = "latentBasis"
    var dim: Int
    var mean: [Double]
    var axes: [[Double]]
    var varianceShare: Double
}

struct Latent2DLine: Codable {
    var kind = "latent2d"
    var step: Int
    var alphaBar: Double
    var xt: [[Double]]
    var xtScaled: [[Double]]
    var x0: [[Double]]
}
