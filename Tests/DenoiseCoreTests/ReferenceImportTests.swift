import Foundation
import Testing
@testable import DenoiseCore

/// The imported reference architecture (`diffusion-lm-bert`): the Swift forward pass against
/// outputs of the PyTorch reference network kept in Tests/Fixtures/reference-bert (written by
/// tools/check_reference_import.py --write-fixture), so no Python is needed here.
@Suite struct ReferenceImportTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/reference-bert").path

    func load() throws -> (Denoiser, [Float], Int) {
        let (model, _) = try ModelFolder(path: Self.fixture).loadDenoiser()
        let (shape, latents) = try Npy.read(path: Self.fixture + "/latents.npy")
        return (model, latents, try model.latentBatch(shape: shape, file: "latents.npy"))
    }

    static func expectedSteps() throws -> [Int] {
        try FileManager.default.contentsOfDirectory(atPath: fixture)
            .filter { $0.hasPrefix("expected_t") && $0.hasSuffix(".npy") }
            .compactMap { Int($0.dropFirst("expected_t".count).dropLast(".npy".count)) }.sorted()
    }

    func worst(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { abs($0 - $1) }.max() ?? .infinity }

    @Test func forwardMatchesPyTorchAtEveryCheckedStep() throws {
        let (model, latents, batch) = try load()
        #expect(model.config.architectureKind == .diffusionLMBert && !model.isTrainable)
        let steps = try Self.expectedSteps()
        #expect(steps.count >= 3, "the fixture should hold several steps, found \(steps)")
        for t in steps {
            let (_, expected) = try Npy.read(path: Self.fixture + String(format: "/expected_t%04d.npy", t))
            let got = model.predict(latents: latents, batch: batch, timestep: t)
            #expect(got.count == expected.count)
            let e = worst(got, expected)
            #expect(e <= 1e-3, "t=\(t): max |swift - pytorch| = \(e)")
        }
    }

    /// The comparison above must be able to fail: the prediction at another step, or with the
    /// time rescaling switched off, is far from PyTorch's.
    @Test func aWrongStepOrTimeScaleIsDetected() throws {
        let (model, latents, batch) = try load()
        let steps = try Self.expectedSteps()
        let t = steps.last!
        let (_, expected) = try Npy.read(path: Self.fixture + String(format: "/expected_t%04d.npy", t))
        #expect(worst(model.predict(latents: latents, batch: batch, timestep: t / 2), expected) > 1e-2)
        var config = model.config
        config.rescaleTimesteps = false
        let unscaled = Denoiser(config: config)
        unscaled.params.values.copy(from: model.params.values)
        #expect(worst(unscaled.predict(latents: latents, batch: batch, timestep: t), expected) > 1e-2)
    }

    @Test func exactGELUMatchesErf() {
        let n = 203
        let x = randomArray(n, seed: 31, scale: 5) + [0, -1e-6, 1e-6, 12, -12]
        let inp = FloatBuffer(x), out = FloatBuffer(count: x.count)
        ExactGELU.forward(out: out.pointer, inp: inp.pointer, count: x.count)
        var e = 0.0
        for (got, v) in zip(out.array, x) {
            let d = Double(v)
            let reference = 0.5 * d * (1 + erf(d / 2.0.squareRoot()))
            e = max(e, abs(Double(got) - reference))
        }
        #expect(e < 2e-6, "exact GELU worst absolute error \(e)")
    }

    @Test func unknownArchitectureAndMissingHyperparametersAreErrors() throws {
        var config = ModelConfig(vocabSize: 10)
        config.architecture = "gpt-9"
        #expect(throws: DenoiseError.self) { try config.validate(file: "config.json") }
        config.architecture = "diffusion-lm-bert"
        #expect(throws: DenoiseError.self) { try config.validate(file: "config.json") }
        config.timeEmbeddingChannels = 32; config.timeHiddenSize = 128; config.layerNormEps = 1e-12
        config.rescaleTimesteps = true
        try config.validate(file: "config.json")
        #expect(try JSONDecoder().decode(ModelConfig.self, from: JSONEncoder().encode(ModelConfig(vocabSize: 10))).architectureKind == .native)
    }

    @Test func trainingAnImportedModelIsAClearError() {
        #expect(throws: DenoiseError.self) { try ModelFolder(path: Self.fixture).loadTrainableDenoiser() }
    }

    @Test func npyRoundTripsAndRefusesOtherFormats() throws {
        let values = (0..<24).map { Float($0) * 0.5 - 3 }
        for shape in [[24], [4, 6], [2, 3, 4]] {
            let (s, v) = try Npy.decode(Npy.encode(shape: shape, values: values), file: "x.npy")
            #expect(s == shape && v == values)
        }
        let data = Npy.encode(shape: [2, 3, 4], values: values)
        #expect((10 + Int(data[8]) + Int(data[9]) << 8) % 64 == 0, "header padded to 64 bytes as NumPy writes it")
        func patched(_ from: String, _ to: String) -> Data {
            var copy = data
            copy.replaceSubrange(copy.range(of: Data(from.utf8))!, with: Data(to.utf8))
            return copy
        }
        for (bad, keyword) in [(patched("'<f4'", "'<f8'"), "'<f8'"), (patched("False", "True "), "Fortran"),
                               (data.dropLast(4), "data bytes"), (Data("hello".utf8), "not a .npy")] {
            #expect { try Npy.decode(Data(bad), file: "x.npy") } throws: { error in
                "\(error)".contains(keyword) && "\(error)".contains("accepted")
            }
        }
        let model = Denoiser(config: ModelConfig(vocabSize: 10, sequenceLength: 8, embeddingDim: 4))
        #expect(try model.latentBatch(shape: [8, 4], file: "x") == 1)
        #expect(try model.latentBatch(shape: [3, 8, 4], file: "x") == 3)
        #expect(throws: DenoiseError.self) { try model.latentBatch(shape: [8, 5], file: "x") }
        #expect(throws: DenoiseError.self) { try model.latentBatch(shape: [1, 2, 8, 4], file: "x") }
    }
}
