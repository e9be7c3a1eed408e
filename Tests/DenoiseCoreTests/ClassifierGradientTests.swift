import Foundation
import Testing
@testable import DenoiseCore

/// Worst relative difference between `reference` and the input gradient of the classifier's
/// guidance path (no weight gradients, weights transposed), from the loss gradients already set.
func transposedInputGradientDifference(_ c: Classifier, _ ws: Classifier.Workspace, x: FloatBuffer, batch: Int,
                                       reference: FloatBuffer) -> Float {
    let transposed = c.params.transposedMatrices()
    let dxT = FloatBuffer(count: x.count)
    c.backward(x: x.pointer, batch: batch, workspace: ws, dx: dxT.pointer, weightGradients: false,
               transposed: UnsafePointer(transposed.pointer))
    return zip(dxT.array, reference.array).map { abs($0 - $1) / max(abs($1), 1e-3) }.max() ?? 0
}

/// The classifier's backward (trunk, mean pooling, per-field heads) against finite differences,
/// for its weights (training) and for its input (guidance), with and without weight gradients.
@Suite struct ClassifierGradientTests {
    func tinyClassifier(pooling: Classifier.Pooling = .mean) -> Classifier {
        var config = Classifier.Config(fields: [
            .init(name: "food", values: ["Italian", "French", "Chinese"]),
            .init(name: "area", values: ["riverside", "city centre"]),
        ])
        config.hiddenSize = 8; config.layers = 1; config.heads = 2; config.ffnSize = 12
        config.pooling = pooling
        let c = Classifier(config: config, sequenceLength: 5, embeddingDim: 3, diffusionSteps: 50)
        var rng = RandomSource(seed: 21)
        c.params.initialise(rng: &rng, positionStd: 0.5)
        // Queries start at zero (mean pooling); the check needs attention that is not uniform.
        for spec in c.params.specs where spec.name.hasPrefix("pool.") {
            for i in 0..<spec.count { c.params.values[spec.offset + i] = 1.5 * rng.normal() }
        }
        return c
    }

    /// -sum over sequences and fields of log p(target), and its gradient w.r.t. the logits.
    func loss(_ c: Classifier, _ ws: Classifier.Workspace, batch: Int, targets: [[Int]], setGradient: Bool) -> Double {
        var total: Double = 0
        if setGradient { ws.dLogits.zero() }
        for b in 0..<batch {
            for k in 0..<c.fields.count {
                let off = b * c.totalClasses + c.logitOffsets[k], t = targets[b][k]
                total -= Double(logf(ws.probabilities[off + t]))
                if setGradient {
                    for j in 0..<c.fields[k].classCount { ws.dLogits[off + j] = ws.probabilities[off + j] }
                    ws.dLogits[off + t] -= 1
                }
            }
        }
        return total
    }

    @Test(arguments: Classifier.Pooling.allCases)
    func weightsAndInputAgreeWithFiniteDifferences(pooling: Classifier.Pooling) {
        let c = tinyClassifier(pooling: pooling)
        let batch = 2
        let ws = Classifier.Workspace(classifier: c, batch: batch)
        let x = FloatBuffer(randomArray(batch * 5 * 3, seed: 22))
        let timesteps: [Int32] = [3, 40]
        let targets = [[0, 2], [3, 1]]
        func evaluate() -> Double {
            timesteps.withUnsafeBufferPointer { c.forward(x: x.pointer, timesteps: $0.baseAddress!, batch: batch, workspace: ws) }
            return loss(c, ws, batch: batch, targets: targets, setGradient: false)
        }
        _ = evaluate()
        _ = loss(c, ws, batch: batch, targets: targets, setGradient: true)
        let dx = FloatBuffer(count: x.count)
        c.backward(x: x.pointer, batch: batch, workspace: ws, dx: dx.pointer)
        let weightGrads = ws.grads.array
        let check = GradientCheck(epsilon: 1e-2)
        let eX = check.worstError(values: x.pointer, analytic: dx.array, indices: Array(0..<x.count), loss: evaluate)
        #expect(eX < 0.03, "classifier input gradient: worst relative error \(eX)")
        for spec in c.params.specs {
            let indices = GradientCheck.sample(spec.count, limit: 6).map { $0 + spec.offset }
            let e = check.worstError(values: c.params.values.pointer, analytic: weightGrads, indices: indices, loss: evaluate)
            #expect(e < 0.05, "classifier (\(pooling) pooling) \(spec.name): worst relative error \(e)")
        }

        // Guidance skips the weight GEMMs; the input gradient must not change.
        _ = evaluate()
        _ = loss(c, ws, batch: batch, targets: targets, setGradient: true)
        let dxOnly = FloatBuffer(count: x.count)
        c.backward(x: x.pointer, batch: batch, workspace: ws, dx: dxOnly.pointer, weightGradients: false)
        #expect(dxOnly.array == dx.array)

        // Guidance also reads the weights transposed (plain products instead of products
        // with W^T): the same gradient up to rounding.
        let worst = transposedInputGradientDifference(c, ws, x: x, batch: batch, reference: dx)
        #expect(worst < 1e-4, "input gradient with transposed weights: worst relative difference \(worst)")
    }

    @Test func transposedMatricesSwapRowsAndColumns() {
        let p = ParameterSet(layout: [("w", [2, 3]), ("b", [3])])
        for i in 0..<9 { p.values[i] = Float(i) }
        #expect(p.transposedMatrices().array == [0, 3, 1, 4, 2, 5, 6, 7, 8])
    }
}

/// Classifier files from before attention pooling carry no "pooling" key: they read as mean
/// pooling with the same tensors; attention pooling adds one query per field.
@Suite struct ClassifierPoolingFormatTests {
    @Test func configWithoutPoolingReadsAsMean() throws {
        let json = #"{"hiddenSize":8,"layers":1,"heads":2,"ffnSize":12,"fields":[{"name":"food","values":["Italian"]}]}"#
        let config = try JSONDecoder().decode(Classifier.Config.self, from: Data(json.utf8))
        #expect(config.pooling == .mean)
        // Every stored property has a coding key, so the hand-written decoder reads it.
        #expect(Set(Mirror(reflecting: config).children.compactMap(\.label))
                == Set(Classifier.Config.CodingKeys.allCases.map(\.stringValue)))
        var attention = config
        attention.pooling = .attention
        let mean = Classifier.layout(config, length: 5, dim: 3).map(\.0)
        let withQueries = Classifier.layout(attention, length: 5, dim: 3).map(\.0)
        #expect(!mean.contains("pool.food.q"))
        #expect(Set(withQueries).subtracting(mean) == ["pool.food.q"])
    }
}

/// The tagger (tag head, per-field softmax blocks, best-span score) against finite differences:
/// the loss is -log p_span of one value per sequence plus the tag cross-entropy at every position.
@Suite struct ClassifierTaggerGradientTests {
    func taggedClassifier() -> Classifier {
        var config = Classifier.Config(fields: [
            .init(name: "food", values: ["Italian", "French", "fast food"]),
            .init(name: "familyFriendly", values: ["yes", "no"]),
            .init(name: "area", values: ["riverside", "city centre"]),
        ])
        config.hiddenSize = 8; config.layers = 1; config.heads = 2; config.ffnSize = 12
        config.spanLengths = [[1, 1, 2], [0, 0], [1, 2]]
        let c = Classifier(config: config, sequenceLength: 5, embeddingDim: 3, diffusionSteps: 50)
        var rng = RandomSource(seed: 31)
        c.params.initialise(rng: &rng, positionStd: 0.5)
        return c
    }

    @Test func layoutGivesEachTaggedFieldABlock() {
        let tags = taggedClassifier().tags
        #expect(tags.blockOffsets == [0, nil, 5])
        #expect(tags.blockWidths == [5, 0, 4])
        #expect(tags.total == 9)
        #expect(tags.column(field: 0, value: 2, word: 1) == 4)
        #expect(tags.column(field: 2, value: 1, word: 0) == 5 + 2)
        #expect(!tags.isTagged(field: 1, value: 0))
    }

    @Test func spanScoreAndTagLossAgreeWithFiniteDifferences() {
        let c = taggedClassifier()
        let batch = 2, l = 5, t = c.tags.total
        let ws = Classifier.Workspace(classifier: c, batch: batch)
        let x = FloatBuffer(randomArray(batch * l * 3, seed: 32))
        let timesteps: [Int32] = [0, 30]
        let targets = [(field: 0, value: 2), (field: 2, value: 1)]
        // Random tag labels inside each field's block, per position.
        var rng = RandomSource(seed: 33)
        let labels = (0..<(batch * l)).map { _ in [rng.int(below: 5), 0, rng.int(below: 4)] }
        func loss(setGradient: Bool) -> Double {
            timesteps.withUnsafeBufferPointer { c.forward(x: x.pointer, timesteps: $0.baseAddress!, batch: batch, workspace: ws) }
            if setGradient { ws.dLogits.zero(); ws.dTagLogits.zero() }
            var total: Double = 0
            for b in 0..<batch {
                let span = c.bestSpan(field: targets[b].field, value: targets[b].value, sequence: b, workspace: ws)!
                total -= Double(span.logProbability)
                if setGradient {
                    c.addSpanGradient(field: targets[b].field, value: targets[b].value, sequence: b, span: span, weight: 1, workspace: ws)
                }
            }
            for r in 0..<(batch * l) {
                for k in [0, 2] {
                    let off = r * t + c.tags.blockOffsets[k]!, label = labels[r][k]
                    total -= Double(logf(ws.tagProbabilities[off + label]))
                    if setGradient {
                        for j in 0..<c.tags.blockWidths[k] { ws.dTagLogits[off + j] += ws.tagProbabilities[off + j] }
                        ws.dTagLogits[off + label] -= 1
                    }
                }
            }
            return total
        }
        _ = loss(setGradient: true)
        let dx = FloatBuffer(count: x.count)
        c.backward(x: x.pointer, batch: batch, workspace: ws, dx: dx.pointer)
        let weightGrads = ws.grads.array
        let check = GradientCheck(epsilon: 1e-2)
        let evaluate = { loss(setGradient: false) }
        let eX = check.worstError(values: x.pointer, analytic: dx.array, indices: Array(0..<x.count), loss: evaluate)
        #expect(eX < 0.03, "tagger input gradient: worst relative error \(eX)")
        for spec in c.params.specs where spec.name.hasPrefix("tag.") || spec.name.hasPrefix("trunk.blocks.0") {
            let indices = GradientCheck.sample(spec.count, limit: 6).map { $0 + spec.offset }
            let e = check.worstError(values: c.params.values.pointer, analytic: weightGrads, indices: indices, loss: evaluate)
            #expect(e < 0.05, "tagger \(spec.name): worst relative error \(e)")
        }
        // Guidance's path (no weight gradients, transposed weights) gives the same input gradient.
        _ = loss(setGradient: true)
        let worst = transposedInputGradientDifference(c, ws, x: x, batch: batch, reference: dx)
        #expect(worst < 1e-4, "tagger input gradient with transposed weights: worst relative difference \(worst)")
    }

    @Test func bestSpanNeedsTheWordsTogetherAndInOrder() {
        let c = taggedClassifier()
        let ws = Classifier.Workspace(classifier: c, batch: 1)
        // Hand-set tag probabilities for "city centre" (area value 1, words at columns 7 and 8):
        // word 0 likely at position 1, word 1 likely at position 3 (not adjacent), and both a
        // little likely at positions 2-3.
        let t = c.tags.total
        ws.tagProbabilities.zero()
        for p in 0..<5 { ws.tagProbabilities[p * t + 5] = 1 }
        func set(_ p: Int, _ col: Int, _ v: Float) { ws.tagProbabilities[p * t + col] = v; ws.tagProbabilities[p * t + 5] = 1 - v }
        set(1, 7, 0.9); set(3, 8, 0.9); set(2, 7, 0.3); set(3, 8, 0.9)
        let span = c.bestSpan(field: 2, value: 1, sequence: 0, workspace: ws)!
        #expect(span.start == 2 && span.length == 2)
        #expect(abs(span.probability - 0.27) < 1e-4)
        #expect(c.bestSpan(field: 1, value: 0, sequence: 0, workspace: ws) == nil)
    }
}
