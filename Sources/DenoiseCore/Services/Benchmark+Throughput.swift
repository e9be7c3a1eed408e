import Foundation

extension Benchmark {
    /// Training steps and raw matrix products.
    func measureThroughput() throws -> ThroughputFigures {
        let m = settings.model, c = m.config
        let cores = ProcessInfo.processInfo.activeProcessorCount
        var figures = ThroughputFigures()
        // Training: data-parallel workers with single-threaded BLAS, batch 64, random sentences.
        var rng = RandomSource(seed: 9)
        let words = m.vocabulary.words.dropFirst(4)
        let examples = (0..<256).map { _ in
            CorpusExample(text: (0..<(5 + rng.int(below: 20))).map { _ in words[words.startIndex + rng.int(below: words.count)] }.joined(separator: " "), meaning: nil)
        }
        let data = try TrainingData(examples: examples, length: c.sequenceLength, minCount: 1, heldOutPercent: 0, vocabulary: m.vocabulary)
        var options = TrainOptions()
        options.batchSize = 64
        let trainModel = Denoiser(config: c, seed: 1)
        let trainer = Trainer(model: trainModel, data: data, options: options, workers: cores)
        figures.trainStepMs = Self.median(settings.trainIterations, warmup: 2) { trainer.step() }
        figures.trainTokensPerSec = Double(64 * c.sequenceLength) / (figures.trainStepMs / 1000)
        figures.trainGflops = trainModel.trainFlops(batch: 64) / (figures.trainStepMs / 1000) / 1e9
        (figures.sgemmGflops, figures.inferenceSgemmGflops) = measureGemm(cores: cores)
        figures.peakRSSMB = Self.peakRSSMB()
        return figures
    }

    /// Median GFLOP/s of sgemm at the model's largest shapes: batch 64 on every core, and
    /// batch 1 on the inference thread count.
    func measureGemm(cores: Int) -> (batch: Double, step: Double) {
        let c = settings.model.config
        let rows = 64 * c.sequenceLength
        let shapes = [(c.hiddenSize, c.ffnSize), (c.hiddenSize, 3 * c.hiddenSize), (c.ffnSize, c.hiddenSize)]
        // Sized for the largest k, n and k * n of the three (QKV's n = 3H can exceed the FFN width).
        let widest = shapes.map { max($0.0, $0.1) }.max() ?? 0, largest = shapes.map { $0.0 * $0.1 }.max() ?? 0
        let a = FloatBuffer(count: rows * widest), b = FloatBuffer(count: largest), out = FloatBuffer(count: rows * widest)
        // Raw sgemm at the model's largest shapes (batch-64 FFN and QKV), all cores.
        let gflops = BLAS.withThreads(cores) {
            shapes.map { k, n in
                let ms = Self.median(settings.repeats.gemm) {
                    BLAS.gemm(m: rows, n: n, k: k, a: a.pointer, lda: k, b: b.pointer, ldb: n, c: out.pointer, ldc: n)
                }
                return 2 * Double(rows * n * k) / (ms / 1000) / 1e9
            }
        }
        // The same three products at batch-1 shapes ([L, k] rows) on the inference thread count:
        // the rate a reverse step's matrix products can reach at best, so the step's FLOPs
        // divided by it are the floor under reverseStepMs on this machine.
        let stepGflops = BLAS.withThreads(settings.inferenceThreads) {
            shapes.map { k, n in
                let ms = Self.median(settings.repeats.stepGemm, warmup: 20) {
                    BLAS.gemm(m: c.sequenceLength, n: n, k: k, a: a.pointer, lda: k, b: b.pointer, ldb: n, c: out.pointer, ldc: n)
                }
                return 2 * Double(c.sequenceLength * n * k) / (ms / 1000) / 1e9
            }
        }
        withExtendedLifetime((a, b, out)) {}
        return (gflops.sorted()[gflops.count / 2], stepGflops.sorted()[stepGflops.count / 2])
    }
}
