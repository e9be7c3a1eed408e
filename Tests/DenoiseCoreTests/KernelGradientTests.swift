import Testing
@testable import DenoiseCore

/// Every backward pass against finite differences (docs/DESIGN.md, "Rules the code keeps").
@Suite struct KernelGradientTests {
    let check = GradientCheck(epsilon: 1e-2)
    static let tolerance: Float = 2e-2

    @Test func linear() {
        let rows = 5, inDim = 7, outDim = 6
        let x = FloatBuffer(randomArray(rows * inDim, seed: 1))
        let w = FloatBuffer(randomArray(inDim * outDim, seed: 2, scale: 0.5))
        let b = FloatBuffer(randomArray(outDim, seed: 3))
        let out = FloatBuffer(count: rows * outDim)
        let r = randomArray(rows * outDim, seed: 4)
        let loss: () -> Double = {
            Linear.forward(out: out.pointer, inp: x.pointer, weight: w.pointer, bias: b.pointer, rows: rows, inDim: inDim, outDim: outDim)
            return dot(out.pointer, r)
        }
        _ = loss()
        let dx = FloatBuffer(count: x.count), dw = FloatBuffer(count: w.count), db = FloatBuffer(count: b.count)
        let dout = FloatBuffer(r)
        Linear.backward(dinp: dx.pointer, dweight: dw.pointer, dbias: db.pointer, dout: dout.pointer, inp: x.pointer,
                        weight: w.pointer, rows: rows, inDim: inDim, outDim: outDim)
        for (v, g) in [(x, dx), (w, dw), (b, db)] {
            let e = check.worstError(values: v.pointer, analytic: g.array, indices: GradientCheck.sample(v.count), loss: loss)
            #expect(e < Self.tolerance, "linear worst relative error \(e)")
        }
    }

    /// 8 channels take only the last-8 step of the vector path, 24 both steps, 32 only 16 at a time.
    @Test(arguments: [8, 24, 32]) func layerNorm(c: Int) {
        let rows = 4
        let x = FloatBuffer(randomArray(rows * c, seed: 5, scale: 2))
        let gamma = FloatBuffer(randomArray(c, seed: 6)), beta = FloatBuffer(randomArray(c, seed: 7))
        let rBuffer = FloatBuffer(randomArray(rows * c, seed: 8))
        let out = FloatBuffer(count: rows * c), mean = FloatBuffer(count: rows), rstd = FloatBuffer(count: rows)
        let r = randomArray(rows * c, seed: 8)
        let loss: () -> Double = {
            LayerNorm.forward(out: out.pointer, mean: mean.pointer, rstd: rstd.pointer, inp: x.pointer,
                              gamma: gamma.pointer, beta: beta.pointer, rows: rows, channels: c)
            return dot(out.pointer, r)
        }
        _ = loss()
        let dx = FloatBuffer(count: x.count), dg = FloatBuffer(count: c), db = FloatBuffer(count: c)
        LayerNorm.backward(dinp: dx.pointer, dgamma: dg.pointer, dbeta: db.pointer, dout: rBuffer.pointer,
                           inp: x.pointer, gamma: gamma.pointer, mean: mean.pointer, rstd: rstd.pointer, rows: rows, channels: c)
        for (v, g) in [(x, dx), (gamma, dg), (beta, db)] {
            let e = check.worstError(values: v.pointer, analytic: g.array, indices: GradientCheck.sample(v.count), loss: loss)
            #expect(e < Self.tolerance, "layer norm worst relative error \(e)")
        }
    }

    @Test func pointwiseActivations() {
        let n = 30
        let x = FloatBuffer(randomArray(n, seed: 9, scale: 2))
        let out = FloatBuffer(count: n)
        let r = randomArray(n, seed: 10)
        let dout = FloatBuffer(r)
        for kind in ["gelu", "tanh", "silu"] {
            let loss: () -> Double = {
                switch kind {
                case "gelu": GELU.forward(out: out.pointer, inp: x.pointer, count: n)
                case "tanh": Tanh.forward(out: out.pointer, inp: x.pointer, count: n)
                default: SiLU.forward(out: out.pointer, inp: x.pointer, count: n)
                }
                return dot(out.pointer, r)
            }
            _ = loss()
            let dx = FloatBuffer(count: n)
            switch kind {
            case "gelu": GELU.backward(dinp: dx.pointer, inp: x.pointer, dout: dout.pointer, count: n)
            case "tanh": Tanh.backward(dinp: dx.pointer, out: out.pointer, dout: dout.pointer, count: n)
            default: SiLU.backward(dinp: dx.pointer, inp: x.pointer, dout: dout.pointer, count: n)
            }
            let e = check.worstError(values: x.pointer, analytic: dx.array, indices: Array(0..<n), loss: loss)
            #expect(e < Self.tolerance, "\(kind) worst relative error \(e)")
        }
    }

    /// 7 columns are all loop tail; 13 take the eight-lane path for one block.
    @Test(arguments: [7, 13]) func softmax(c: Int) {
        let rows = 3
        let x = FloatBuffer(randomArray(rows * c, seed: 11, scale: 2))
        let out = FloatBuffer(count: rows * c)
        let r = randomArray(rows * c, seed: 12)
        let rBuffer = FloatBuffer(r)
        let loss: () -> Double = {
            Softmax.forward(out: out.pointer, inp: x.pointer, rows: rows, columns: c)
            return dot(out.pointer, r)
        }
        _ = loss()
        let dx = FloatBuffer(count: x.count)
        Softmax.backward(dinp: dx.pointer, out: out.pointer, dout: rBuffer.pointer, rows: rows, columns: c)
        let e = check.worstError(values: x.pointer, analytic: dx.array, indices: Array(0..<x.count), loss: loss)
        #expect(e < Self.tolerance, "softmax worst relative error \(e)")
    }

    @Test func attention() {
        let batch = 2, t = 5, c = 8, heads = 2
        let qkv = FloatBuffer(randomArray(batch * t * 3 * c, seed: 13))
        let out = FloatBuffer(count: batch * t * c), att = FloatBuffer(count: batch * heads * t * t)
        let r = randomArray(batch * t * c, seed: 14)
        let rBuffer = FloatBuffer(r)
        let loss: () -> Double = {
            Attention.forward(out: out.pointer, att: att.pointer, qkv: qkv.pointer, batch: batch, length: t, channels: c, heads: heads)
            return dot(out.pointer, r)
        }
        _ = loss()
        let dqkv = FloatBuffer(count: qkv.count), scratch = FloatBuffer(count: t * t)
        Attention.backward(dqkv: dqkv.pointer, scratch: scratch.pointer, dout: rBuffer.pointer, qkv: qkv.pointer,
                           att: att.pointer, batch: batch, length: t, channels: c, heads: heads)
        let e = check.worstError(values: qkv.pointer, analytic: dqkv.array, indices: GradientCheck.sample(qkv.count, limit: 80), loss: loss)
        #expect(e < Self.tolerance, "attention worst relative error \(e)")
    }

    @Test func embeddingLookup() {
        let v = 6, d = 4, n = 5
        let table = FloatBuffer(randomArray(v * d, seed: 15))
        let ids: [Int32] = [1, 3, 1, 5, 0]
        let out = FloatBuffer(count: n * d)
        let r = randomArray(n * d, seed: 16)
        let rBuffer = FloatBuffer(r)
        let loss: () -> Double = {
            ids.withUnsafeBufferPointer { Embedding.forward(out: out.pointer, table: table.pointer, ids: $0.baseAddress!, count: n, width: d) }
            return dot(out.pointer, r)
        }
        _ = loss()
        let dt = FloatBuffer(count: table.count)
        ids.withUnsafeBufferPointer { Embedding.backward(dtable: dt.pointer, dout: rBuffer.pointer, ids: $0.baseAddress!, count: n, width: d) }
        let e = check.worstError(values: table.pointer, analytic: dt.array, indices: Array(0..<table.count), loss: loss)
        #expect(e < Self.tolerance, "embedding worst relative error \(e)")
    }

    @Test func crossEntropyAndMSE() {
        let rows = 4, v = 6
        let logits = FloatBuffer(randomArray(rows * v, seed: 17, scale: 2))
        let targets: [Int32] = [0, 5, 2, 2]
        let scratch = FloatBuffer(count: rows * v)
        let ce: () -> Double = {
            targets.withUnsafeBufferPointer {
                Double(CrossEntropy.forwardBackward(logits: logits.pointer, targets: $0.baseAddress!, rows: rows, classes: v,
                                                   weight: 0.7, dlogits: scratch.pointer))
            }
        }
        _ = ce()
        let analytic = scratch.array
        let e1 = check.worstError(values: logits.pointer, analytic: analytic, indices: Array(0..<logits.count), loss: ce)
        #expect(e1 < Self.tolerance, "cross-entropy worst relative error \(e1)")

        let pred = FloatBuffer(randomArray(10, seed: 18)), target = FloatBuffer(randomArray(10, seed: 19))
        let mse: () -> Double = {
            Double(MeanSquaredError.forwardBackward(pred: pred.pointer, target: target.pointer, count: 10, weight: 1.5, dpred: nil, dtarget: nil))
        }
        let dp = FloatBuffer(count: 10), dt = FloatBuffer(count: 10)
        MeanSquaredError.forwardBackward(pred: pred.pointer, target: target.pointer, count: 10, weight: 1.5, dpred: dp.pointer, dtarget: dt.pointer)
        #expect(check.worstError(values: pred.pointer, analytic: dp.array, indices: Array(0..<10), loss: mse) < Self.tolerance)
        #expect(check.worstError(values: target.pointer, analytic: dt.array, indices: Array(0..<10), loss: mse) < Self.tolerance)
    }
}
