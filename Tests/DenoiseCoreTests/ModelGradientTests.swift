import Testing
@testable import DenoiseCore

/// Tiny models and corpora shared by the tests.
enum Fixtures {
    static let sentences = [
        "the golden palace is a cheap italian restaurant .",
        "the eagle is a coffee shop near the river .",
        "blue spice serves french food in the city centre .",
        "the mill is a family friendly pub .",
        "aromi is an expensive chinese restaurant near the bakers .",
        "the phoenix is a cheap pub by the river .",
    ]

    static func data(length: Int = 12) throws -> TrainingData {
        try TrainingData(examples: sentences.map { CorpusExample(text: $0, meaning: nil) }, length: length,
                         minCount: 1, heldOutPercent: 0)
    }

    static func config(vocab: Int, length: Int = 12) -> ModelConfig {
        ModelConfig(vocabSize: vocab, sequenceLength: length, embeddingDim: 4, hiddenSize: 16, layers: 2, heads: 2,
                    ffnSize: 24, diffusionSteps: 50)
    }
}

@Suite struct ModelGradientTests {
    /// The whole training loss (denoiser, tied head, prior, embedding paths) against finite
    /// differences on a tiny model: covers the trunk, the output projection and every term; with
    /// every sentence's length fixed, also the path from x_t's clean rows into the embedding.
    @Test(arguments: [Float(0), 1]) func fullTrainingLoss(fixedLengthShare: Float) throws {
        let data = try Fixtures.data()
        let config = Fixtures.config(vocab: data.vocabulary.count)
        let model = Denoiser(config: config, seed: 3)
        var options = TrainOptions()
        options.batchSize = 3
        options.fixedLengthShare = fixedLengthShare
        let trainer = Trainer(model: model, data: data, options: options)
        // Fix the batch to one that holds t = 0 (the clean-mean target) and a noisy t.
        var rng = trainer.rng
        for seed in UInt64(0)..<500 {
            trainer.rng = RandomSource(seed: seed)
            _ = trainer.lossAndGradients()
            if (0..<3).contains(where: { trainer.timestep($0) == 0 }) { rng = RandomSource(seed: seed); break }
        }
        trainer.rng = rng
        _ = trainer.lossAndGradients()
        let analytic = trainer.grads.array
        let values = model.params.values.pointer
        let loss: () -> Double = {
            trainer.rng = rng
            return Double(trainer.lossAndGradients().total)
        }
        var worstByTensor = [String: Float]()
        for spec in model.params.specs {
            let indices = GradientCheck.sample(spec.count, limit: 6).map { $0 + spec.offset }
            let e = GradientCheck(epsilon: 1e-2).worstError(values: values, analytic: analytic, indices: indices, loss: loss)
            worstByTensor[spec.name] = e
        }
        let worst = worstByTensor.max { $0.value < $1.value }!
        #expect(worst.value < 0.05, "worst tensor \(worst.key): relative error \(worst.value); all: \(worstByTensor.sorted { $0.key < $1.key })")
    }
}

@Suite struct FixedLengthTrainingTests {
    /// With every sentence drawn for a fixed length, x_t holds the clean embedding at START and
    /// from END on (what the sampler fixes), and noise at the word positions.
    @Test func fixedRowsAreCleanAndWordRowsNoisy() throws {
        let data = try Fixtures.data()
        let model = Denoiser(config: Fixtures.config(vocab: data.vocabulary.count), seed: 3)
        var options = TrainOptions()
        options.batchSize = 4
        options.fixedLengthShare = 1
        let trainer = Trainer(model: model, data: data, options: options, workers: 1)
        _ = trainer.lossAndGradients()
        let w = trainer.workers[0], l = model.config.sequenceLength, d = model.config.embeddingDim
        for s in 0..<w.batch {
            let ids = (0..<l).map { w.ids[s * l + $0] }
            let end = try #require(ids.firstIndex(of: Vocabulary.endID))
            for p in 0..<l {
                let row = (s * l + p) * d
                let clean = (0..<d).allSatisfy { w.xt[row + $0] == w.mu0[row + $0] }
                #expect(clean == (p == 0 || p >= end), "sentence \(s) position \(p) (END at \(end))")
            }
        }
    }
}

@Suite struct SelfConditioningTests {
    static func model() -> Denoiser {
        var config = Fixtures.config(vocab: 9)
        config.selfConditioning = true
        return Denoiser(config: config, seed: 5)
    }

    /// A self-conditioned denoiser's weights and x_t gradients against finite differences, the
    /// previous prediction held fixed (it is an input, like t): covers the paired input and
    /// the split of its gradient back to x_t.
    @Test func gradientsWithAPreviousPrediction() {
        let model = Self.model(), c = model.config
        let batch = 2, count = batch * c.sequenceLength * c.embeddingDim
        let ws = Denoiser.Workspace(config: c, batch: batch)
        var x = randomArray(count, seed: 11)
        let previous = randomArray(count, seed: 12)
        let r = randomArray(count, seed: 13)
        let timesteps: [Int32] = [3, 41]
        func loss() -> Double {
            previous.withUnsafeBufferPointer { p in
                model.forward(weights: model.params.values.pointer, x: x, timesteps: timesteps, batch: batch,
                              workspace: ws, selfCondition: p.baseAddress)
            }
            return dot(ws.output.pointer, r)
        }
        _ = loss()
        let grads = model.params.makeSibling()
        var dx = [Float](repeating: 0, count: count)
        r.withUnsafeBufferPointer { dOut in
            model.backward(weights: model.params.values.pointer, grads: grads.pointer, dOutput: dOut.baseAddress!, x: x,
                           batch: batch, workspace: ws, dx: &dx)
        }
        let analytic = grads.array
        var worst = [String: Float]()
        for spec in model.params.specs {
            let indices = GradientCheck.sample(spec.count, limit: 6).map { $0 + spec.offset }
            worst[spec.name] = GradientCheck(epsilon: 1e-2).worstError(values: model.params.values.pointer, analytic: analytic,
                                                                     indices: indices, loss: loss)
        }
        let input = x.withUnsafeMutableBufferPointer { xp in
            GradientCheck(epsilon: 1e-2).worstError(values: xp.baseAddress!, analytic: dx,
                                                   indices: GradientCheck.sample(count, limit: 12)) {
                // The closure reads x through the same storage it perturbs.
                previous.withUnsafeBufferPointer { p in
                    model.forward(weights: model.params.values.pointer, x: xp.baseAddress!, timesteps: timesteps,
                                  batch: batch, workspace: ws, selfCondition: p.baseAddress)
                }
                return dot(ws.output.pointer, r)
            }
        }
        let tensor = worst.max { $0.value < $1.value }!
        #expect(tensor.value < 0.05, "worst tensor \(tensor.key): \(tensor.value)")
        #expect(input < 0.05, "x_t gradient: relative error \(input)")
    }

    /// The previous prediction changes the output (the model reads it), nil reads as zeros,
    /// and a model without self-conditioning ignores it.
    @Test func thePreviousPredictionIsRead() {
        let model = Self.model(), c = model.config, count = c.sequenceLength * c.embeddingDim
        let ws = Denoiser.Workspace(config: c, batch: 1)
        let x = randomArray(count, seed: 21), previous = randomArray(count, seed: 22)
        let zeros = [Float](repeating: 0, count: count), t: [Int32] = [10]
        func output(_ p: [Float]?) -> [Float] {
            if let p {
                p.withUnsafeBufferPointer { model.forward(weights: model.params.values.pointer, x: x, timesteps: t, batch: 1,
                                                          workspace: ws, selfCondition: $0.baseAddress) }
            } else {
                model.forward(weights: model.params.values.pointer, x: x, timesteps: t, batch: 1, workspace: ws)
            }
            return ws.output.array
        }
        #expect(output(nil) == output(zeros))
        #expect(output(previous) != output(zeros))
        let plain = Denoiser(config: Fixtures.config(vocab: 9), seed: 5)
        let plainWS = Denoiser.Workspace(config: plain.config, batch: 1)
        previous.withUnsafeBufferPointer { plain.forward(weights: plain.params.values.pointer, x: x, timesteps: t, batch: 1,
                                                         workspace: plainWS, selfCondition: $0.baseAddress) }
        let withPrevious = plainWS.output.array
        plain.forward(weights: plain.params.values.pointer, x: x, timesteps: t, batch: 1, workspace: plainWS)
        #expect(plainWS.output.array == withPrevious)
    }
}
