import Foundation

/// The shared trunk of the denoiser and the classifier: a small pre-LayerNorm transformer
/// encoder over a sequence of low-dimensional vectors, conditioned on the diffusion time.
///
/// Shapes, for B sequences of length L, input width D, hidden H, FFN width F:
///   x       [B, L, D]  input latents
///   h0      [B, L, H]  = W2 tanh(W1 x + b1) + b2 + position[l] + time(t_b)
///   time(t) [B, H]     = Wt2 SiLU(Wt1 sinusoid(t) + bt1) + bt2
///   block   h <- h + proj(attention(LN1(h)));  h <- h + fc2(GELU(fc1(LN2(h))))
///   out     [B, L, H]  = LN_final(h_N)
/// Parameters are read through offsets into a flat buffer, so the same trunk runs on the live
/// weights or on their EMA copy.
public struct TransformerBody: Sendable {
    public struct Shape: Sendable, Equatable {
        public var inputDim, length, hidden, layers, heads, ffn: Int
    }

    struct Block: Sendable {
        var ln1Gamma, ln1Beta, qkvWeight, qkvBias, projWeight, projBias: Int
        var ln2Gamma, ln2Beta, fc1Weight, fc1Bias, fc2Weight, fc2Bias: Int
    }

    public let shape: Shape
    let inW1, inB1, inW2, inB2, position, timeW1, timeB1, timeW2, timeB2, finalGamma, finalBeta: Int
    let blocks: [Block]
    /// Time indices are scaled to 0..<1000 before the sinusoid, whatever T is.
    let timeScale: Float
    /// The sinusoid's frequencies, 10000^(-i / (H/2)), computed once rather than every step.
    let frequencies: [Float]

    public static func layout(_ s: Shape, prefix p: String = "") -> [(String, [Int])] {
        let h = s.hidden
        var out: [(String, [Int])] = [
            ("\(p)in.w1", [s.inputDim, h]), ("\(p)in.b1", [h]), ("\(p)in.w2", [h, h]), ("\(p)in.b2", [h]),
            ("\(p)position", [s.length, h]),
            ("\(p)time.w1", [h, h]), ("\(p)time.b1", [h]), ("\(p)time.w2", [h, h]), ("\(p)time.b2", [h]),
        ]
        for i in 0..<s.layers {
            let b = "\(p)blocks.\(i)."
            out += [
                (b + "ln1.gamma", [h]), (b + "ln1.beta", [h]),
                (b + "qkv.w", [h, 3 * h]), (b + "qkv.b", [3 * h]),
                (b + "proj.w", [h, h]), (b + "proj.b", [h]),
                (b + "ln2.gamma", [h]), (b + "ln2.beta", [h]),
                (b + "fc1.w", [h, s.ffn]), (b + "fc1.b", [s.ffn]),
                (b + "fc2.w", [s.ffn, h]), (b + "fc2.b", [h]),
            ]
        }
        out += [("\(p)final.gamma", [h]), ("\(p)final.beta", [h])]
        return out
    }

    public init(shape: Shape, params: ParameterSet, prefix p: String = "", diffusionSteps: Int) {
        self.shape = shape
        func o(_ n: String) -> Int { params.offset(p + n) }
        inW1 = o("in.w1"); inB1 = o("in.b1"); inW2 = o("in.w2"); inB2 = o("in.b2")
        position = o("position")
        timeW1 = o("time.w1"); timeB1 = o("time.b1"); timeW2 = o("time.w2"); timeB2 = o("time.b2")
        finalGamma = o("final.gamma"); finalBeta = o("final.beta")
        blocks = (0..<shape.layers).map { i in
            let b = "blocks.\(i)."
            return Block(ln1Gamma: o(b + "ln1.gamma"), ln1Beta: o(b + "ln1.beta"),
                         qkvWeight: o(b + "qkv.w"), qkvBias: o(b + "qkv.b"),
                         projWeight: o(b + "proj.w"), projBias: o(b + "proj.b"),
                         ln2Gamma: o(b + "ln2.gamma"), ln2Beta: o(b + "ln2.beta"),
                         fc1Weight: o(b + "fc1.w"), fc1Bias: o(b + "fc1.b"),
                         fc2Weight: o(b + "fc2.w"), fc2Bias: o(b + "fc2.b"))
        }
        timeScale = 1000 / Float(diffusionSteps)
        frequencies = Self.sinusoidFrequencies(half: shape.hidden / 2)
    }

    /// Activations for up to `batch` sequences, allocated once and reused every call.
    public final class Activations {
        public let batch: Int
        let timeFeatures, timePre, timeAct, timeEmbedding: FloatBuffer
        let inPre, inAct: FloatBuffer
        let residual: FloatBuffer          // (layers + 1) x [B, L, H]
        let ln1, ln1Mean, ln1Rstd, qkv, att, attOut, mid, ln2, ln2Mean, ln2Rstd, fcPre, fcAct: FloatBuffer
        public let output: FloatBuffer     // [B, L, H]
        let finalMean, finalRstd: FloatBuffer
        // Backward scratch.
        let dResidual, dMid, dLN, dAttOut, dQKV, dFcAct, dFcPre, attScratch, dInAct, dInPre: FloatBuffer
        let dTimeEmbedding, dTimeAct, dTimePre: FloatBuffer

        public init(shape s: Shape, batch: Int) {
            self.batch = batch
            let n = batch * s.length, h = s.hidden, layers = s.layers
            timeFeatures = FloatBuffer(count: batch * h); timePre = FloatBuffer(count: batch * h)
            timeAct = FloatBuffer(count: batch * h); timeEmbedding = FloatBuffer(count: batch * h)
            inPre = FloatBuffer(count: n * h); inAct = FloatBuffer(count: n * h)
            residual = FloatBuffer(count: (layers + 1) * n * h)
            ln1 = FloatBuffer(count: layers * n * h); ln1Mean = FloatBuffer(count: layers * n)
            ln1Rstd = FloatBuffer(count: layers * n); qkv = FloatBuffer(count: layers * n * 3 * h)
            att = FloatBuffer(count: layers * batch * s.heads * s.length * s.length)
            attOut = FloatBuffer(count: layers * n * h); mid = FloatBuffer(count: layers * n * h)
            ln2 = FloatBuffer(count: layers * n * h); ln2Mean = FloatBuffer(count: layers * n)
            ln2Rstd = FloatBuffer(count: layers * n)
            fcPre = FloatBuffer(count: layers * n * s.ffn); fcAct = FloatBuffer(count: layers * n * s.ffn)
            output = FloatBuffer(count: n * h)
            finalMean = FloatBuffer(count: n); finalRstd = FloatBuffer(count: n)
            dResidual = FloatBuffer(count: n * h); dMid = FloatBuffer(count: n * h)
            dLN = FloatBuffer(count: n * h); dAttOut = FloatBuffer(count: n * h)
            dQKV = FloatBuffer(count: n * 3 * h); dFcAct = FloatBuffer(count: n * s.ffn)
            dFcPre = FloatBuffer(count: n * s.ffn); attScratch = FloatBuffer(count: s.length * s.length)
            dInAct = FloatBuffer(count: n * h); dInPre = FloatBuffer(count: n * h)
            dTimeEmbedding = FloatBuffer(count: batch * h); dTimeAct = FloatBuffer(count: batch * h)
            dTimePre = FloatBuffer(count: batch * h)
        }
    }

    /// Sinusoidal features of t (cosines then sines), as in improved DDPM.
    func sinusoid(_ t: Int32, into out: UnsafeMutablePointer<Float>) {
        Self.sinusoid(Float(t) * timeScale, frequencies: frequencies, into: out)
    }

    /// The frequencies 10000^(-i / half), i < half, of a sinusoid of 2 * half channels.
    static func sinusoidFrequencies(half: Int) -> [Float] {
        (0..<half).map { expf(-logf(10_000) * Float($0) / Float(half)) }
    }

    /// cos(t f_i) for every frequency, then sin(t f_i): improved DDPM's `timestep_embedding`.
    static func sinusoid(_ t: Float, frequencies: [Float], into out: UnsafeMutablePointer<Float>) {
        let half = frequencies.count
        for i in 0..<half {
            out[i] = cosf(t * frequencies[i])
            out[half + i] = sinf(t * frequencies[i])
        }
    }

    /// Runs the trunk on `batch` sequences; the result is in `acts.output`.
    ///
    /// `outputRows` (one sequence only) asks for the output of those positions alone: the last
    /// block then runs its queries, projection and FFN on those rows (keys and values still come
    /// from every row), and the other rows of `acts.output` are left as they were. The reverse
    /// chain uses it for positions whose prediction it overwrites anyway (length control's END
    /// and PAD tail), which are nearly half the rows at a typical length. Not for training: the
    /// backward pass needs every row.
    public func forward(params w: UnsafePointer<Float>, x: UnsafePointer<Float>, timesteps: UnsafePointer<Int32>,
                        batch: Int, acts a: Activations, outputRows: Range<Int>? = nil) {
        precondition(batch <= a.batch, "activations allocated for \(a.batch) sequences, asked for \(batch)")
        precondition(outputRows == nil || (batch == 1 && outputRows!.clamped(to: 0..<shape.length) == outputRows!),
                     "outputRows needs one sequence and positions inside 0..<\(shape.length)")
        let s = shape, h = s.hidden, l = s.length, n = batch * l
        for b in 0..<batch { sinusoid(timesteps[b], into: a.timeFeatures.pointer + b * h) }
        Linear.forward(out: a.timePre.pointer, inp: a.timeFeatures.pointer, weight: w + timeW1, bias: w + timeB1,
                       rows: batch, inDim: h, outDim: h)
        SiLU.forward(out: a.timeAct.pointer, inp: a.timePre.pointer, count: batch * h)
        Linear.forward(out: a.timeEmbedding.pointer, inp: a.timeAct.pointer, weight: w + timeW2, bias: w + timeB2,
                       rows: batch, inDim: h, outDim: h)

        let res0 = a.residual.pointer
        Linear.forward(out: a.inPre.pointer, inp: x, weight: w + inW1, bias: w + inB1, rows: n, inDim: s.inputDim, outDim: h)
        Tanh.forward(out: a.inAct.pointer, inp: a.inPre.pointer, count: n * h)
        Linear.forward(out: res0, inp: a.inAct.pointer, weight: w + inW2, bias: w + inB2, rows: n, inDim: h, outDim: h)
        for b in 0..<batch {
            let te = a.timeEmbedding.pointer + b * h
            for p in 0..<l {
                let row = res0 + (b * l + p) * h, pos = w + position + p * h
                for j in 0..<h { row[j] += pos[j] + te[j] }
            }
        }

        for i in blocks.indices {
            let resIn = a.residual.pointer + i * n * h
            let ln1 = a.ln1.pointer + i * n * h, qkv = a.qkv.pointer + i * n * 3 * h
            LayerNorm.forward(out: ln1, mean: a.ln1Mean.pointer + i * n, rstd: a.ln1Rstd.pointer + i * n,
                              inp: resIn, gamma: w + blocks[i].ln1Gamma, beta: w + blocks[i].ln1Beta, rows: n, channels: h)
            Linear.forward(out: qkv, inp: ln1, weight: w + blocks[i].qkvWeight, bias: w + blocks[i].qkvBias,
                           rows: n, inDim: h, outDim: 3 * h)
            // From the attention on, only the requested rows matter: all of them but in the
            // last block when `outputRows` is given.
            blockRows(i, params: w, batch: batch, acts: a, rows: i == s.layers - 1 ? (outputRows ?? 0..<n) : 0..<n)
        }
        finalNormRows(params: w, batch: batch, acts: a, rows: outputRows ?? 0..<n)
    }

    /// After a `forward` with `outputRows`, computes the output of more rows of the same
    /// sequence (the last block from its attention on, and the final norm), leaving the rows
    /// already computed as they are. Row for row, a forward with `outputRows: a` followed by
    /// this with `rows: b` gives the same bits for `a` as the forward alone: the rows a chain
    /// uses do not depend on which other rows a snapshot wants to show.
    public func forwardMoreRows(params w: UnsafePointer<Float>, acts a: Activations, rows: Range<Int>) {
        precondition(rows.clamped(to: 0..<shape.length) == rows, "rows must lie inside 0..<\(shape.length)")
        guard !rows.isEmpty else { return }
        blockRows(shape.layers - 1, params: w, batch: 1, acts: a, rows: rows)
        finalNormRows(params: w, batch: 1, acts: a, rows: rows)
    }

    /// Block i from its attention to its output, for the query rows `rows` (its qkv is done).
    private func blockRows(_ i: Int, params w: UnsafePointer<Float>, batch: Int, acts a: Activations, rows span: Range<Int>) {
        let s = shape, h = s.hidden, l = s.length, n = batch * l, f = s.ffn, blk = blocks[i]
        let resIn = a.residual.pointer + i * n * h, resOut = a.residual.pointer + (i + 1) * n * h
        let qkv = a.qkv.pointer + i * n * 3 * h
        let att = a.att.pointer + i * batch * s.heads * l * l
        let attOut = a.attOut.pointer + i * n * h, mid = a.mid.pointer + i * n * h
        let ln2 = a.ln2.pointer + i * n * h
        let fcPre = a.fcPre.pointer + i * n * f, fcAct = a.fcAct.pointer + i * n * f
        let r0 = span.lowerBound, m = span.count, at = r0 * h
        Attention.forward(out: attOut, att: att, qkv: qkv, batch: batch, length: l, channels: h, heads: s.heads,
                          queries: span.count == n ? nil : span)
        Linear.forward(out: mid + at, inp: attOut + at, weight: w + blk.projWeight, bias: w + blk.projBias,
                       rows: m, inDim: h, outDim: h)
        for j in at..<(at + m * h) { mid[j] += resIn[j] }
        LayerNorm.forward(out: ln2 + at, mean: a.ln2Mean.pointer + i * n + r0, rstd: a.ln2Rstd.pointer + i * n + r0,
                          inp: mid + at, gamma: w + blk.ln2Gamma, beta: w + blk.ln2Beta, rows: m, channels: h)
        Linear.forward(out: fcPre + r0 * f, inp: ln2 + at, weight: w + blk.fc1Weight, bias: w + blk.fc1Bias,
                       rows: m, inDim: h, outDim: f)
        GELU.forward(out: fcAct + r0 * f, inp: fcPre + r0 * f, count: m * f)
        Linear.forward(out: resOut + at, inp: fcAct + r0 * f, weight: w + blk.fc2Weight, bias: w + blk.fc2Bias,
                       rows: m, inDim: f, outDim: h)
        for j in at..<(at + m * h) { resOut[j] += mid[j] }
    }

    /// The final LayerNorm of the rows `rows` into `acts.output`.
    private func finalNormRows(params w: UnsafePointer<Float>, batch: Int, acts a: Activations, rows span: Range<Int>) {
        let s = shape, h = s.hidden, n = batch * s.length, at = span.lowerBound * h
        LayerNorm.forward(out: a.output.pointer + at, mean: a.finalMean.pointer + span.lowerBound,
                          rstd: a.finalRstd.pointer + span.lowerBound,
                          inp: a.residual.pointer + s.layers * n * h + at, gamma: w + finalGamma, beta: w + finalBeta,
                          rows: span.count, channels: h)
    }

    /// Back-propagates `dOutput` (gradient of the loss w.r.t. `acts.output`) after a `forward`
    /// with the same arguments. Accumulates weight gradients into `grads` (same layout as the
    /// parameters) and the input gradient into `dx` when given.
    /// `transposed` (a `ParameterSet.transposedMatrices()` copy of `params`) speeds up the
    /// input-gradient products.
    public func backward(params w: UnsafePointer<Float>, grads g: UnsafeMutablePointer<Float>,
                         dOutput: UnsafePointer<Float>, x: UnsafePointer<Float>, batch: Int,
                         acts a: Activations, dx: UnsafeMutablePointer<Float>?, weightGradients: Bool = true,
                         transposed: UnsafePointer<Float>? = nil) {
        // Without weight gradients (guidance wants only dx) the weight GEMMs are skipped; the
        // cheap bias and LayerNorm gradients still land in `grads`.
        func wg(_ offset: Int) -> UnsafeMutablePointer<Float>? { weightGradients ? g + offset : nil }
        func wt(_ offset: Int) -> UnsafePointer<Float>? { transposed.map { $0 + offset } }
        let s = shape, h = s.hidden, l = s.length, n = batch * l, f = s.ffn
        let dres = a.dResidual.pointer, dmid = a.dMid.pointer, dln = a.dLN.pointer
        dres.update(repeating: 0, count: n * h)
        LayerNorm.backward(dinp: dres, dgamma: g + finalGamma, dbeta: g + finalBeta, dout: dOutput,
                           inp: a.residual.pointer + s.layers * n * h, gamma: w + finalGamma,
                           mean: a.finalMean.pointer, rstd: a.finalRstd.pointer, rows: n, channels: h)
        for i in stride(from: s.layers - 1, through: 0, by: -1) {
            let blk = blocks[i]
            let resIn = a.residual.pointer + i * n * h
            let ln1 = a.ln1.pointer + i * n * h, qkv = a.qkv.pointer + i * n * 3 * h
            let att = a.att.pointer + i * batch * s.heads * l * l
            let attOut = a.attOut.pointer + i * n * h, mid = a.mid.pointer + i * n * h
            let ln2 = a.ln2.pointer + i * n * h
            let fcPre = a.fcPre.pointer + i * n * f, fcAct = a.fcAct.pointer + i * n * f
            // resOut = mid + fc2(GELU(fc1(LN2(mid))))
            dmid.update(from: dres, count: n * h)
            a.dFcAct.pointer.update(repeating: 0, count: n * f)
            Linear.backward(dinp: a.dFcAct.pointer, dweight: wg(blk.fc2Weight), dbias: g + blk.fc2Bias,
                            dout: dres, inp: fcAct, weight: w + blk.fc2Weight,
                            weightT: wt(blk.fc2Weight), rows: n, inDim: f, outDim: h)
            a.dFcPre.pointer.update(repeating: 0, count: n * f)
            GELU.backward(dinp: a.dFcPre.pointer, inp: fcPre, dout: a.dFcAct.pointer, count: n * f)
            dln.update(repeating: 0, count: n * h)
            Linear.backward(dinp: dln, dweight: wg(blk.fc1Weight), dbias: g + blk.fc1Bias,
                            dout: a.dFcPre.pointer, inp: ln2, weight: w + blk.fc1Weight,
                            weightT: wt(blk.fc1Weight), rows: n, inDim: h, outDim: f)
            LayerNorm.backward(dinp: dmid, dgamma: g + blk.ln2Gamma, dbeta: g + blk.ln2Beta, dout: dln,
                               inp: mid, gamma: w + blk.ln2Gamma, mean: a.ln2Mean.pointer + i * n,
                               rstd: a.ln2Rstd.pointer + i * n, rows: n, channels: h)
            // mid = resIn + proj(attention(qkv(LN1(resIn))))
            dres.update(from: dmid, count: n * h)
            a.dAttOut.pointer.update(repeating: 0, count: n * h)
            Linear.backward(dinp: a.dAttOut.pointer, dweight: wg(blk.projWeight), dbias: g + blk.projBias,
                            dout: dmid, inp: attOut, weight: w + blk.projWeight,
                            weightT: wt(blk.projWeight), rows: n, inDim: h, outDim: h)
            a.dQKV.pointer.update(repeating: 0, count: n * 3 * h)
            Attention.backward(dqkv: a.dQKV.pointer, scratch: a.attScratch.pointer, dout: a.dAttOut.pointer,
                               qkv: qkv, att: att, batch: batch, length: l, channels: h, heads: s.heads)
            dln.update(repeating: 0, count: n * h)
            Linear.backward(dinp: dln, dweight: wg(blk.qkvWeight), dbias: g + blk.qkvBias,
                            dout: a.dQKV.pointer, inp: ln1, weight: w + blk.qkvWeight,
                            weightT: wt(blk.qkvWeight), rows: n, inDim: h, outDim: 3 * h)
            LayerNorm.backward(dinp: dres, dgamma: g + blk.ln1Gamma, dbeta: g + blk.ln1Beta, dout: dln,
                               inp: resIn, gamma: w + blk.ln1Gamma, mean: a.ln1Mean.pointer + i * n,
                               rstd: a.ln1Rstd.pointer + i * n, rows: n, channels: h)
        }
        // h0 = in.w2 tanh(in.w1 x + b1) + b2 + position + time
        let dte = a.dTimeEmbedding.pointer
        dte.update(repeating: 0, count: batch * h)
        for b in 0..<batch {
            for p in 0..<l {
                let row = dres + (b * l + p) * h, dpos = g + position + p * h, dt = dte + b * h
                for j in 0..<h { dpos[j] += row[j]; dt[j] += row[j] }
            }
        }
        a.dInAct.pointer.update(repeating: 0, count: n * h)
        Linear.backward(dinp: a.dInAct.pointer, dweight: wg(inW2), dbias: g + inB2, dout: dres,
                        inp: a.inAct.pointer, weight: w + inW2, weightT: wt(inW2), rows: n, inDim: h, outDim: h)
        a.dInPre.pointer.update(repeating: 0, count: n * h)
        Tanh.backward(dinp: a.dInPre.pointer, out: a.inAct.pointer, dout: a.dInAct.pointer, count: n * h)
        Linear.backward(dinp: dx, dweight: wg(inW1), dbias: g + inB1, dout: a.dInPre.pointer,
                        inp: x, weight: w + inW1, weightT: wt(inW1), rows: n, inDim: s.inputDim, outDim: h)
        guard weightGradients else { return }  // the rest only feeds the time MLP's weights
        a.dTimeAct.pointer.update(repeating: 0, count: batch * h)
        Linear.backward(dinp: a.dTimeAct.pointer, dweight: g + timeW2, dbias: g + timeB2, dout: dte,
                        inp: a.timeAct.pointer, weight: w + timeW2,
                        weightT: wt(timeW2), rows: batch, inDim: h, outDim: h)
        a.dTimePre.pointer.update(repeating: 0, count: batch * h)
        SiLU.backward(dinp: a.dTimePre.pointer, inp: a.timePre.pointer, dout: a.dTimeAct.pointer, count: batch * h)
        Linear.backward(dinp: nil, dweight: g + timeW1, dbias: g + timeB1, dout: a.dTimePre.pointer,
                        inp: a.timeFeatures.pointer, weight: w + timeW1,
                        weightT: wt(timeW1), rows: batch, inDim: h, outDim: h)
    }
}
