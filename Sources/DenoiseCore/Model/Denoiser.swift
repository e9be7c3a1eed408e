import Foundation

/// The Diffusion-LM denoiser f(x_t, t) -> x0-hat, with its embedding table and rounding head.
///
///   embedding  [V, D]  E: word vectors; also the tied rounding head's weight
///   head.bias  [V]     logits(x) = x . E_v + b_v
///   trunk      over x_t (D -> H): the network `config.architecture` names; with
///              self-conditioning over [x_t, x0-hat_prev] (2D -> H), the previous prediction
///              given by the caller (zeros when there is none)
///   out        [B, L, D] = W2 tanh(W1 trunk + b1) + b2
public final class Denoiser {
    /// The trunk of each architecture (the embedding, head and output projection are shared).
    enum Network: Sendable {
        case native(TransformerBody)
        case diffusionLMBert(DiffusionLMBert)
    }

    public let config: ModelConfig
    public let params: ParameterSet
    let network: Network
    let embedding, headBias, outW1, outB1, outW2, outB2: Int

    public static func layout(_ c: ModelConfig) -> [(String, [Int])] {
        let trunk: [(String, [Int])]
        switch c.architectureKind {
        case .native: trunk = TransformerBody.layout(c.body)
        case .diffusionLMBert: trunk = DiffusionLMBert.layout(c)
        }
        return [("embedding", [c.vocabSize, c.embeddingDim]), ("head.bias", [c.vocabSize])]
            + trunk
            + [("out.w1", [c.hiddenSize, c.hiddenSize]), ("out.b1", [c.hiddenSize]),
               ("out.w2", [c.hiddenSize, c.embeddingDim]), ("out.b2", [c.embeddingDim])]
    }

    /// A model with all-zero parameters (to be loaded or initialised).
    public init(config: ModelConfig) {
        self.config = config
        params = ParameterSet(layout: Self.layout(config))
        switch config.architectureKind {
        case .native:
            network = .native(TransformerBody(shape: config.body, params: params, diffusionSteps: config.diffusionSteps))
        case .diffusionLMBert:
            network = .diffusionLMBert(DiffusionLMBert(config: config, params: params))
        }
        embedding = params.offset("embedding"); headBias = params.offset("head.bias")
        outW1 = params.offset("out.w1"); outB1 = params.offset("out.b1")
        outW2 = params.offset("out.w2"); outB2 = params.offset("out.b2")
    }

    /// A randomly initialised model.
    public convenience init(config: ModelConfig, seed: UInt64) {
        self.init(config: config)
        var rng = RandomSource(seed: seed)
        params.initialise(rng: &rng)
    }

    public var parameterCount: Int { params.count }
    /// Whether Denoise can train this architecture (the imported reference one is inference only).
    public var isTrainable: Bool { config.architectureKind == .native }

    /// A model whose reverse step takes a noticeable time on a CPU (over 0.5 GFLOP a step, such
    /// as an imported BERT-base at about 11 GFLOP); the bundled model is about 0.1.
    public var isLarge: Bool { forwardFlops(batch: 1) > 500e6 }

    /// BLAS threads for sampling: one for small models, whose step is a few milliseconds (a
    /// second thread costs more in hand-offs than it saves, and the playground's UI keeps a
    /// core), every core for large ones.
    public var inferenceThreads: Int { isLarge ? ProcessInfo.processInfo.activeProcessorCount : 1 }
    public var embeddingOffset: Int { embedding }
    public var headBiasOffset: Int { headBias }

    /// Buffers for up to `batch` sequences; allocate once, reuse for every call.
    public final class Workspace {
        public let batch: Int
        let trunk: TransformerBody.Activations?
        let reference: DiffusionLMBert.Activations?
        let outPre, outAct: FloatBuffer
        public let output: FloatBuffer          // [B, L, D]: x0-hat
        let dOutAct, dOutPre, dTrunk: FloatBuffer
        /// Self-conditioning only: the trunk's input [B, L, 2D] = [x_t, x0-hat_prev] per row,
        /// and its gradient.
        let pairedInput, dPairedInput: FloatBuffer?

        public init(config c: ModelConfig, batch: Int) {
            self.batch = batch
            let n = batch * c.sequenceLength
            switch c.architectureKind {
            case .native: trunk = .init(shape: c.body, batch: batch); reference = nil
            case .diffusionLMBert: trunk = nil; reference = .init(shape: .init(c), batch: batch)
            }
            outPre = FloatBuffer(count: n * c.hiddenSize); outAct = FloatBuffer(count: n * c.hiddenSize)
            output = FloatBuffer(count: n * c.embeddingDim)
            dOutAct = FloatBuffer(count: n * c.hiddenSize); dOutPre = FloatBuffer(count: n * c.hiddenSize)
            dTrunk = FloatBuffer(count: n * c.hiddenSize)
            pairedInput = c.selfConditioning ? FloatBuffer(count: n * 2 * c.embeddingDim) : nil
            dPairedInput = c.selfConditioning ? FloatBuffer(count: n * 2 * c.embeddingDim) : nil
        }
    }

    /// x0-hat for `batch` latents x [B, L, D] at original time indices `timesteps` [B];
    /// the result lands in `ws.output`. `weights` is `params.values` or a buffer of the same
    /// layout (the EMA weights). `selfCondition` [B, L, D] is the previous prediction a
    /// self-conditioned model reads beside x_t (nil: zeros, as at a chain's first step); other
    /// models ignore it.
    ///
    /// `outputRows` (one sequence only) computes x0-hat for those positions alone; the other rows
    /// of `ws.output` keep stale values (see `TransformerBody.forward`). The reference
    /// architecture computes every row and then projects only those.
    public func forward(weights w: UnsafePointer<Float>, x: UnsafePointer<Float>, timesteps: UnsafePointer<Int32>,
                        batch: Int, workspace ws: Workspace, outputRows: Range<Int>? = nil,
                        selfCondition: UnsafePointer<Float>? = nil) {
        switch network {
        case .native(let body):
            let input = pairInput(x, selfCondition, rows: batch * config.sequenceLength, workspace: ws)
            body.forward(params: w, x: input, timesteps: timesteps, batch: batch, acts: ws.trunk!, outputRows: outputRows)
        case .diffusionLMBert(let bert):
            bert.forward(params: w, x: x, timesteps: timesteps, batch: batch, acts: ws.reference!)
        }
        head(weights: w, workspace: ws, rows: outputRows ?? 0..<(batch * config.sequenceLength))
    }

    /// After a `forward` with `outputRows`, computes x0-hat for more rows of that sequence; the
    /// rows already computed keep their bits (see `TransformerBody.forwardMoreRows`). The
    /// reference architecture's trunk already holds every row.
    public func forwardMoreRows(weights w: UnsafePointer<Float>, workspace ws: Workspace, rows: Range<Int>) {
        guard !rows.isEmpty else { return }
        if case .native(let body) = network { body.forwardMoreRows(params: w, acts: ws.trunk!, rows: rows) }
        head(weights: w, workspace: ws, rows: rows)
    }

    /// The trunk's input: x itself, or with self-conditioning each row of x followed by the same
    /// row of the previous prediction (zeros without one) in `ws.pairedInput`.
    private func pairInput(_ x: UnsafePointer<Float>, _ previous: UnsafePointer<Float>?, rows: Int,
                           workspace ws: Workspace) -> UnsafePointer<Float> {
        guard let paired = ws.pairedInput?.pointer else { return x }
        let d = config.embeddingDim
        for r in 0..<rows {
            let row = paired + r * 2 * d
            row.update(from: x + r * d, count: d)
            if let previous { (row + d).update(from: previous + r * d, count: d) } else { (row + d).update(repeating: 0, count: d) }
        }
        return UnsafePointer(paired)
    }

    /// The output head on the trunk's rows `rows`.
    private func head(weights w: UnsafePointer<Float>, workspace ws: Workspace, rows: Range<Int>) {
        let c = config, h = c.hiddenSize, n = rows.count
        let trunkOutput: UnsafeMutablePointer<Float>
        switch network {
        case .native: trunkOutput = ws.trunk!.output.pointer
        case .diffusionLMBert: trunkOutput = ws.reference!.hidden.pointer
        }
        let hidden = rows.lowerBound * h, out = rows.lowerBound * c.embeddingDim
        Linear.forward(out: ws.outPre.pointer + hidden, inp: trunkOutput + hidden, weight: w + outW1,
                       bias: w + outB1, rows: n, inDim: h, outDim: h)
        Tanh.forward(out: ws.outAct.pointer + hidden, inp: ws.outPre.pointer + hidden, count: n * h)
        Linear.forward(out: ws.output.pointer + out, inp: ws.outAct.pointer + hidden, weight: w + outW2, bias: w + outB2,
                       rows: n, inDim: h, outDim: c.embeddingDim)
    }

    /// Back-propagates d loss / d output after `forward`; accumulates parameter gradients into
    /// `grads` and the latent's gradient into `dx` (when given). Native architecture only
    /// (`isTrainable`). The previous prediction of a self-conditioned model is an input like t,
    /// not a function of the weights: no gradient flows into it (it is computed without one).
    public func backward(weights w: UnsafePointer<Float>, grads g: UnsafeMutablePointer<Float>,
                         dOutput: UnsafePointer<Float>, x: UnsafePointer<Float>, batch: Int,
                         workspace ws: Workspace, dx: UnsafeMutablePointer<Float>?) {
        guard case .native(let body) = network, let trunk = ws.trunk else {
            preconditionFailure("the \(config.architectureKind.rawValue) architecture has no backward pass (inference only)")
        }
        let c = config, n = batch * c.sequenceLength, h = c.hiddenSize
        ws.dOutAct.pointer.update(repeating: 0, count: n * h)
        Linear.backward(dinp: ws.dOutAct.pointer, dweight: g + outW2, dbias: g + outB2, dout: dOutput,
                        inp: ws.outAct.pointer, weight: w + outW2, rows: n, inDim: h, outDim: c.embeddingDim)
        ws.dOutPre.pointer.update(repeating: 0, count: n * h)
        Tanh.backward(dinp: ws.dOutPre.pointer, out: ws.outAct.pointer, dout: ws.dOutAct.pointer, count: n * h)
        ws.dTrunk.pointer.update(repeating: 0, count: n * h)
        Linear.backward(dinp: ws.dTrunk.pointer, dweight: g + outW1, dbias: g + outB1, dout: ws.dOutPre.pointer,
                        inp: trunk.output.pointer, weight: w + outW1, rows: n, inDim: h, outDim: h)
        guard let paired = ws.pairedInput, let dPaired = ws.dPairedInput else {
            body.backward(params: w, grads: g, dOutput: ws.dTrunk.pointer, x: x, batch: batch, acts: trunk, dx: dx)
            return
        }
        // The trunk read [x_t, x0-hat_prev]: its input gradient's first D columns are x_t's.
        if dx != nil { dPaired.zero() }
        body.backward(params: w, grads: g, dOutput: ws.dTrunk.pointer, x: paired.pointer, batch: batch, acts: trunk,
                      dx: dx == nil ? nil : dPaired.pointer)
        guard let dx else { return }
        let d = c.embeddingDim
        for r in 0..<n {
            let from = dPaired.pointer + r * 2 * d, to = dx + r * d
            for j in 0..<d { to[j] += from[j] }
        }
    }
}

extension Denoiser {
    /// Multiply-add FLOPs (2 per multiply-add) of one forward pass over `batch` sequences: the
    /// matrix products only, which is what "useful model FLOPs" counts.
    public func forwardFlops(batch: Int) -> Double {
        let c = config, n = Double(batch * c.sequenceLength), h = Double(c.hiddenSize), f = Double(c.ffnSize)
        let d = Double(c.embeddingDim), l = Double(c.sequenceLength), dIn = Double(c.body.inputDim)
        if case .diffusionLMBert(let bert) = network { return bert.trunkFlops(batch: batch) + 2 * n * (h * h + h * d) }
        let perBlock = 2 * n * (h * 3 * h + h * h + 2 * h * f) + 2 * 2 * Double(batch) * l * l * h
        let io = 2 * n * (dIn * h + h * h) + 2 * n * (h * h + h * d) + 2 * Double(batch) * 2 * h * h
        return Double(c.layers) * perBlock + io
    }

    /// FLOPs of one training iteration: forward, backward (twice the forward), and the two
    /// tied-head products (logits, and their two gradients) for both cross-entropy terms.
    public func trainFlops(batch: Int, outputCrossEntropy: Bool = true) -> Double {
        let n = Double(batch * config.sequenceLength)
        let head = 3 * 2 * n * Double(config.vocabSize * config.embeddingDim)
        return 3 * forwardFlops(batch: batch) + head * (outputCrossEntropy ? 2 : 1)
    }
}
