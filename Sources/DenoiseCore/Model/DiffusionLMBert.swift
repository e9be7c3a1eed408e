import Foundation

/// The reference implementation's denoiser (Diffusion-LM's `TransformerNetModel2` with a
/// BERT encoder), for inference on weights converted by tools/convert_diffusion_lm.py.
///
/// Shapes, for B sequences of length L, latent width D, hidden H, FFN width F, time features C
/// and time MLP width T:
///   time(t) [B, H]    = Wt2 SiLU(Wt1 sinusoid_C(t') + bt1) + bt2,   t' = t * 1000 / steps when
///                       the model was trained with rescaled timesteps, else t
///   h0      [B, L, H] = LN_embed(W2 tanh(W1 x + b1) + b2 + position[l] + time(t_b))
///   layer   a = LN_att(h + proj(attention(qkv(h))));  h <- LN_ffn(a + fc2(GELU_erf(fc1(a))))
/// The output projection to x0-hat (Linear, tanh, Linear) is the one `Denoiser` applies to
/// every architecture's trunk.
/// BERT is post-LayerNorm (each residual sum is normalised), unlike the native trunk. Weight
/// matrices are stored input-major [in, out] like every Denoise layer; q, k and v are fused into
/// one [H, 3H] matrix in that order, heads contiguous inside each, as BERT splits them.
struct DiffusionLMBert: Sendable {
    struct Layer: Sendable {
        var qkvWeight, qkvBias, projWeight, projBias, lnAttGamma, lnAttBeta: Int
        var fc1Weight, fc1Bias, fc2Weight, fc2Bias, lnFfnGamma, lnFfnBeta: Int
    }

    struct Shape: Sendable {
        var inputDim, length, hidden, layers, heads, ffn, timeChannels, timeHidden: Int
        init(_ c: ModelConfig) {
            inputDim = c.embeddingDim; length = c.sequenceLength; hidden = c.hiddenSize; layers = c.layers
            heads = c.heads; ffn = c.ffnSize
            timeChannels = c.timeEmbeddingChannels ?? 0; timeHidden = c.timeHiddenSize ?? 0
        }
    }

    let shape: Shape
    let epsilon: Float
    let timeScale: Float
    /// The sinusoid's frequencies, 10000^(-i / (C/2)).
    let frequencies: [Float]
    let inW1, inB1, inW2, inB2, position, embedGamma, embedBeta: Int
    let timeW1, timeB1, timeW2, timeB2: Int
    let layers: [Layer]

    static func layout(_ c: ModelConfig) -> [(String, [Int])] {
        let s = Shape(c), h = s.hidden
        var out: [(String, [Int])] = [
            ("time.w1", [s.timeChannels, s.timeHidden]), ("time.b1", [s.timeHidden]),
            ("time.w2", [s.timeHidden, h]), ("time.b2", [h]),
            ("in.w1", [s.inputDim, h]), ("in.b1", [h]), ("in.w2", [h, h]), ("in.b2", [h]),
            ("position", [s.length, h]), ("embed_ln.gamma", [h]), ("embed_ln.beta", [h]),
        ]
        for i in 0..<s.layers {
            let b = "layers.\(i)."
            out += [
                (b + "qkv.w", [h, 3 * h]), (b + "qkv.b", [3 * h]), (b + "proj.w", [h, h]), (b + "proj.b", [h]),
                (b + "ln_att.gamma", [h]), (b + "ln_att.beta", [h]),
                (b + "fc1.w", [h, s.ffn]), (b + "fc1.b", [s.ffn]), (b + "fc2.w", [s.ffn, h]), (b + "fc2.b", [h]),
                (b + "ln_ffn.gamma", [h]), (b + "ln_ffn.beta", [h]),
            ]
        }
        return out
    }

    init(config c: ModelConfig, params: ParameterSet) {
        shape = Shape(c)
        epsilon = Float(c.layerNormEps ?? 1e-12)
        timeScale = c.rescaleTimesteps == false ? 1 : 1000 / Float(c.diffusionSteps)
        frequencies = TransformerBody.sinusoidFrequencies(half: shape.timeChannels / 2)
        func o(_ n: String) -> Int { params.offset(n) }
        timeW1 = o("time.w1"); timeB1 = o("time.b1"); timeW2 = o("time.w2"); timeB2 = o("time.b2")
        inW1 = o("in.w1"); inB1 = o("in.b1"); inW2 = o("in.w2"); inB2 = o("in.b2")
        position = o("position"); embedGamma = o("embed_ln.gamma"); embedBeta = o("embed_ln.beta")
        layers = (0..<shape.layers).map { i in
            let b = "layers.\(i)."
            return Layer(qkvWeight: o(b + "qkv.w"), qkvBias: o(b + "qkv.b"), projWeight: o(b + "proj.w"),
                         projBias: o(b + "proj.b"), lnAttGamma: o(b + "ln_att.gamma"), lnAttBeta: o(b + "ln_att.beta"),
                         fc1Weight: o(b + "fc1.w"), fc1Bias: o(b + "fc1.b"), fc2Weight: o(b + "fc2.w"),
                         fc2Bias: o(b + "fc2.b"), lnFfnGamma: o(b + "ln_ffn.gamma"), lnFfnBeta: o(b + "ln_ffn.beta"))
        }
    }

    /// Buffers for up to `batch` sequences. Inference keeps no per-layer activations, so one
    /// set is reused by every layer.
    final class Activations {
        let batch: Int
        let timeFeatures, timePre, timeAct, timeEmbedding: FloatBuffer
        let hidden, inAct, qkv, att, attOut, mid, fc, scratch: FloatBuffer

        init(shape s: Shape, batch: Int) {
            self.batch = batch
            let n = batch * s.length, h = s.hidden
            timeFeatures = FloatBuffer(count: batch * s.timeChannels)
            timePre = FloatBuffer(count: batch * s.timeHidden); timeAct = FloatBuffer(count: batch * s.timeHidden)
            timeEmbedding = FloatBuffer(count: batch * h)
            hidden = FloatBuffer(count: n * h); inAct = FloatBuffer(count: n * h); qkv = FloatBuffer(count: n * 3 * h)
            att = FloatBuffer(count: batch * s.heads * s.length * s.length)
            attOut = FloatBuffer(count: n * h); mid = FloatBuffer(count: n * h)
            fc = FloatBuffer(count: n * s.ffn); scratch = FloatBuffer(count: n * h)
        }
    }

    /// Runs the network up to its last encoder layer on `batch` latents x [B, L, D] at time
    /// indices `timesteps` [B]; the result [B, L, H] is in `acts.hidden`.
    func forward(params w: UnsafePointer<Float>, x: UnsafePointer<Float>, timesteps: UnsafePointer<Int32>,
                 batch: Int, acts a: Activations) {
        precondition(batch <= a.batch, "activations allocated for \(a.batch) sequences, asked for \(batch)")
        let s = shape, h = s.hidden, l = s.length, n = batch * l, c = s.timeChannels
        for b in 0..<batch {
            TransformerBody.sinusoid(Float(timesteps[b]) * timeScale, frequencies: frequencies, into: a.timeFeatures.pointer + b * c)
        }
        Linear.forward(out: a.timePre.pointer, inp: a.timeFeatures.pointer, weight: w + timeW1, bias: w + timeB1,
                       rows: batch, inDim: c, outDim: s.timeHidden)
        SiLU.forward(out: a.timeAct.pointer, inp: a.timePre.pointer, count: batch * s.timeHidden)
        Linear.forward(out: a.timeEmbedding.pointer, inp: a.timeAct.pointer, weight: w + timeW2, bias: w + timeB2,
                       rows: batch, inDim: s.timeHidden, outDim: h)

        let hid = a.hidden.pointer, mid = a.mid.pointer, scratch = a.scratch.pointer
        Linear.forward(out: a.inAct.pointer, inp: x, weight: w + inW1, bias: w + inB1, rows: n, inDim: s.inputDim, outDim: h)
        Tanh.forward(out: a.inAct.pointer, inp: a.inAct.pointer, count: n * h)
        Linear.forward(out: scratch, inp: a.inAct.pointer, weight: w + inW2, bias: w + inB2, rows: n, inDim: h, outDim: h)
        for b in 0..<batch {
            addRows(scratch + b * l * h, a.timeEmbedding.pointer + b * h, rows: l, width: h)
            add(scratch + b * l * h, w + position, count: l * h)
        }
        LayerNorm.forward(out: hid, mean: nil, rstd: nil, inp: scratch, gamma: w + embedGamma, beta: w + embedBeta,
                          rows: n, channels: h, epsilon: epsilon)

        for layer in layers {
            Linear.forward(out: a.qkv.pointer, inp: hid, weight: w + layer.qkvWeight, bias: w + layer.qkvBias,
                           rows: n, inDim: h, outDim: 3 * h)
            Attention.forward(out: a.attOut.pointer, att: a.att.pointer, qkv: a.qkv.pointer, batch: batch, length: l,
                              channels: h, heads: s.heads)
            Linear.forward(out: scratch, inp: a.attOut.pointer, weight: w + layer.projWeight, bias: w + layer.projBias,
                           rows: n, inDim: h, outDim: h)
            add(scratch, UnsafePointer(hid), count: n * h)
            LayerNorm.forward(out: mid, mean: nil, rstd: nil, inp: scratch, gamma: w + layer.lnAttGamma,
                              beta: w + layer.lnAttBeta, rows: n, channels: h, epsilon: epsilon)
            Linear.forward(out: a.fc.pointer, inp: mid, weight: w + layer.fc1Weight, bias: w + layer.fc1Bias,
                           rows: n, inDim: h, outDim: s.ffn)
            ExactGELU.forward(out: a.fc.pointer, inp: a.fc.pointer, count: n * s.ffn)
            Linear.forward(out: scratch, inp: a.fc.pointer, weight: w + layer.fc2Weight, bias: w + layer.fc2Bias,
                           rows: n, inDim: s.ffn, outDim: h)
            add(scratch, UnsafePointer(mid), count: n * h)
            LayerNorm.forward(out: hid, mean: nil, rstd: nil, inp: scratch, gamma: w + layer.lnFfnGamma,
                              beta: w + layer.lnFfnBeta, rows: n, channels: h, epsilon: epsilon)
        }
    }

    /// y += x elementwise (8 lanes at a time).
    private func add(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count { store8(load8(y + i) + load8(x + i), y + i); i += 8 }
        while i < count { y[i] += x[i]; i += 1 }
    }

    /// Multiply-add FLOPs (2 per multiply-add) of the matrix products up to the trunk's output.
    func trunkFlops(batch: Int) -> Double {
        let s = shape, n = Double(batch * s.length), h = Double(s.hidden), f = Double(s.ffn)
        let d = Double(s.inputDim), l = Double(s.length)
        let perLayer = 2 * n * (h * 3 * h + h * h + 2 * h * f) + 2 * 2 * Double(batch) * l * l * h
        let io = 2 * n * (d * h + h * h)
            + 2 * Double(batch) * (Double(s.timeChannels * s.timeHidden) + Double(s.timeHidden) * h)
        return Double(s.layers) * perLayer + io
    }
}
