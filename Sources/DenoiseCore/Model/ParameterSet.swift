/// A named tensor inside a flat parameter buffer.
public struct TensorSpec: Sendable, Equatable {
    public var name: String
    public var shape: [Int]
    public var offset: Int
    public var count: Int { shape.reduce(1, *) }
}

/// Parameters as one contiguous buffer with a table of named tensors. One buffer makes the
/// optimizer a single loop, gradients the same layout in a second buffer, and checkpoints a walk
/// over the table. Not `Sendable`: owned by the trainer or by the engine's queue.
public final class ParameterSet {
    public let specs: [TensorSpec]
    public let values: FloatBuffer
    private let byName: [String: Int]

    /// Lays out tensors in the order given.
    public init(layout: [(String, [Int])]) {
        var specs = [TensorSpec]()
        var offset = 0
        for (name, shape) in layout {
            specs.append(TensorSpec(name: name, shape: shape, offset: offset))
            offset += shape.reduce(1, *)
        }
        self.specs = specs
        self.values = FloatBuffer(count: offset)
        var byName = [String: Int]()
        for (i, s) in specs.enumerated() { byName[s.name] = i }
        self.byName = byName
    }

    public var count: Int { values.count }

    public func spec(_ name: String) -> TensorSpec? { byName[name].map { specs[$0] } }

    public func offset(_ name: String) -> Int {
        guard let i = byName[name] else { preconditionFailure("no parameter named \(name)") }
        return specs[i].offset
    }

    /// A buffer with the same layout (gradients, optimizer moments, EMA).
    public func makeSibling() -> FloatBuffer { FloatBuffer(count: count) }

    /// A copy of the values with every matrix [r, c] stored transposed ([c, r], same offset);
    /// other tensors copied as they are. Input gradients multiply by W^T, and a product with a
    /// transposed operand misses BLAS's direct small-matrix path (see `BLAS`), so inference-time
    /// backward passes (guidance) read this instead. A snapshot: later changes to the values
    /// are not seen.
    public func transposedMatrices() -> FloatBuffer {
        let out = makeSibling()
        for s in specs {
            let src = values.pointer + s.offset, dst = out.pointer + s.offset
            if s.shape.count == 2 {
                let r = s.shape[0], c = s.shape[1]
                for i in 0..<r { for j in 0..<c { dst[j * r + i] = src[i * c + j] } }
            } else {
                dst.update(from: src, count: s.count)
            }
        }
        return out
    }

    /// Initialises weights: matrices uniform in +-sqrt(6 / (fanIn + fanOut)) (Glorot), biases
    /// and LayerNorm betas zero, LayerNorm gammas one, embeddings and position tables N(0, std).
    public func initialise(rng: inout RandomSource, embeddingStd: Float = 1, positionStd: Float = 0.02) {
        for s in specs {
            let p = values.pointer + s.offset
            let leaf = s.name.split(separator: ".").last.map(String.init) ?? s.name
            if s.name == "embedding" {
                rng.fillNormal(p, count: s.count, scale: embeddingStd)
            } else if s.name == "position" {
                rng.fillNormal(p, count: s.count, scale: positionStd)
            } else if leaf == "gamma" {
                p.update(repeating: 1, count: s.count)
            } else if s.shape.count == 2 {
                let limit = (6 / Float(s.shape[0] + s.shape[1])).squareRoot()
                for i in 0..<s.count { p[i] = (rng.uniform() * 2 - 1) * limit }
            } else {
                p.update(repeating: 0, count: s.count)
            }
        }
    }
}
