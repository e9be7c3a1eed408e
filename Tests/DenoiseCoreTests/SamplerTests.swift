import Foundation
import Testing
@testable import DenoiseCore

/// DDIM against its closed form, its determinism at eta = 0, and DDPM left as it was.
@Suite struct SamplerTests {
    let model = TinyModel.make()

    func ddim(seed: UInt64 = 3, steps: Int = 10, eta: Float? = nil, clamp: Bool = true) -> ChainSettings {
        var s = ChainSettings(seed: seed, steps: steps, clamp: clamp)
        s.sampler = .ddim
        s.eta = eta
        s.lengthMode = .free
        return s
    }

    /// c1 x0 + c2 x_t + sigma z equals Song et al.'s form with eps-hat written out, on a toy
    /// schedule, for every step and three etas; at eta = 1 sigma^2 is DDPM's posterior variance.
    @Test(arguments: [0.0, 0.5, 1.0]) func coefficientsEqualTheClosedForm(eta: Double) {
        let schedule = NoiseSchedule(sqrtSteps: 40).respaced(to: 7)
        let (x0, xt, z) = (0.7, -1.3, 0.4)
        for i in 0..<schedule.count {
            let abar = schedule.alphaBars[i], previous = schedule.alphaBarPrevious(i)
            let sigma = eta * ((1 - previous) / (1 - abar)).squareRoot() * (1 - abar / previous).squareRoot()
            let eps = (xt - abar.squareRoot() * x0) / (1 - abar).squareRoot()
            let closed = previous.squareRoot() * x0 + (1 - previous - sigma * sigma).squareRoot() * eps + sigma * z
            let d = schedule.ddim(i, eta: eta)
            #expect(abs(d.c1 * x0 + d.c2 * xt + d.sigma * z - closed) < 1e-12, "step \(i)")
            #expect(abs(d.sigma - sigma) < 1e-15)
            if eta == 1 { #expect(abs(d.sigma * d.sigma - schedule.posterior(i).variance) < 1e-12, "step \(i)") }
        }
        let last = schedule.ddim(0, eta: eta)
        #expect(last.c1 == 1 && last.c2 == 0 && last.sigma == 0, "the last step returns x0-hat")
    }

    /// One step of a chain: x_{t-1} = sqrt(abar_{t-1}) x0-hat + sqrt(1 - abar_{t-1}) eps-hat at
    /// eta = 0, with x0-hat the denoiser's prediction (clamping off, so it is used as predicted).
    @Test func aChainStepIsTheClosedForm() throws {
        let chain = try ReverseChain(model: model, settings: ddim(steps: 8, clamp: false))
        for _ in 0..<3 {
            let i = try #require(chain.nextScheduleIndex)
            let before = chain.latent.array
            chain.silentStep()
            let x0hat = Array(UnsafeBufferPointer(start: chain.ws.output.pointer, count: before.count))
            let abar = chain.schedule.alphaBars[i], previous = chain.schedule.alphaBarPrevious(i)
            var worst: Double = 0
            for k in before.indices {
                let eps = (Double(before[k]) - abar.squareRoot() * Double(x0hat[k])) / (1 - abar).squareRoot()
                let want = previous.squareRoot() * Double(x0hat[k]) + (1 - previous).squareRoot() * eps
                worst = max(worst, abs(Double(chain.latent.array[k]) - want) / max(1, abs(want)))
            }
            #expect(worst < 1e-5, "schedule index \(i): relative error \(worst)")
        }
    }

    /// At eta = 0 nothing is drawn after the start: the random streams are untouched by every
    /// step, and the chain is a function of x_T alone (other streams, same latents).
    @Test func etaZeroDrawsNoNoiseAfterTheStart() throws {
        let chain = try ReverseChain(model: model, settings: ddim())
        let streams = chain.rngs
        let start = chain.saveState()
        var latents = [[Float]]()
        for _ in chain { latents.append(chain.latent.array) }
        #expect(chain.rngs == streams, "a DDIM step at eta 0 drew noise")
        let other = try ReverseChain(model: model, settings: ddim())
        var moved = start
        moved.rngs = [RandomSource(seed: 999)]
        other.restore(moved)
        for k in latents.indices {
            other.silentStep()
            #expect(other.latent.array == latents[k], "step \(k + 1) depends on the random stream")
        }
        // With eta > 0 the steps draw noise, and the chain differs from eta 0.
        let noisy = try ReverseChain(model: model, settings: ddim(eta: 1))
        noisy.runToEnd()
        #expect(noisy.rngs != streams)
        #expect(noisy.latent.array != latents.last!)
    }

    /// DDPM written out is the default chain bit for bit; DDIM is another chain from the same x_T.
    @Test func explicitDDPMIsTheDefaultChain() throws {
        var explicit = ChainSettings(seed: 4, steps: 12)
        explicit.sampler = .ddpm
        let a = try ReverseChain(model: model, settings: ChainSettings(seed: 4, steps: 12))
        let b = try ReverseChain(model: model, settings: explicit)
        var c = ChainSettings(seed: 4, steps: 12)
        c.sampler = .ddim
        let d = try ReverseChain(model: model, settings: c)
        #expect(a.latent.array == d.latent.array, "the same x_T")
        a.runToEnd(); b.runToEnd(); d.runToEnd()
        #expect(a.latent.array.map(\.bitPattern) == b.latent.array.map(\.bitPattern))
        #expect(a.latent.array != d.latent.array)
    }

    @Test func etaIsCheckedAndBelongsToDDIM() throws {
        var s = ChainSettings(seed: 1, steps: 5)
        s.eta = 0.5
        #expect(throws: DenoiseError.self) { try ReverseChain(model: model, settings: s) }
        for bad: Float in [-0.1, 1.5, .nan] {
            var d = ddim(eta: bad)
            d.steps = 5
            do {
                _ = try ReverseChain(model: model, settings: d)
                Issue.record("eta \(bad) was accepted")
            } catch let e as DenoiseError {
                #expect("\(e)".contains("accepted 0...1"))
            }
        }
        #expect(ddim(eta: 0.25).samplerDescription == "DDIM η 0.25" && ChainSettings().samplerDescription == "DDPM")
    }

    /// Settings written before samplers and pins decode as DDPM without pins.
    @Test func oldSettingsDecodeWithoutSamplerAndPins() throws {
        var s = ddim(eta: 0.5)
        s.pins = [WordPin(step: 2, position: 1, word: "The")]
        let data = try JSONEncoder().encode(s)
        #expect(try JSONDecoder().decode(ChainSettings.self, from: data) == s)
        var old = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        for key in ["sampler", "eta", "pinned"] { old.removeValue(forKey: key) }
        let decoded = try JSONDecoder().decode(ChainSettings.self, from: JSONSerialization.data(withJSONObject: old))
        #expect(decoded.samplerKind == .ddpm && decoded.pins.isEmpty && decoded.eta == nil)
    }
}

/// A word pinned from a step on.
@Suite struct PinTests {
    let model = TinyModel.make()

    func settings(_ pins: [WordPin], steps: Int = 12, sampler: ReverseSampler = .ddpm, length: Int? = nil,
                  infill: String? = nil) -> ChainSettings {
        var s = ChainSettings(seed: 7, steps: steps,
                              lengthMode: length.map(LengthMode.exact) ?? infill.map(LengthMode.template) ?? .prior)
        s.sampler = sampler
        s.pins = pins
        return s
    }

    /// From its step on, every latent holds the word's embedding at the position (every
    /// sequence of a batch), and the text has the word there; before it, the row is noise.
    @Test(arguments: [ReverseSampler.ddpm, .ddim]) func aPinHoldsOnEveryLaterStep(sampler: ReverseSampler) throws {
        let pin = WordPin(step: 4, position: 3, word: "Italian")
        let chain = try ReverseChain(model: model, settings: settings([pin], sampler: sampler), batch: 2)
        let id = model.vocabulary.id("Italian")
        let row = Array(UnsafeBufferPointer(start: chain.rounder.embeddingRow(id), count: chain.dim))
        func held(_ b: Int) -> Bool {
            let start = (b * chain.length + pin.position) * chain.dim
            return Array(chain.latent.array[start..<start + chain.dim]) == row
        }
        #expect(!held(0), "the starting noise is not the word")
        for snapshot in chain {
            #expect(held(0) == (snapshot.step >= pin.step) && held(1) == held(0), "step \(snapshot.step)")
            if snapshot.step >= pin.step { #expect(snapshot.xt[pin.position].text == "Italian") }
        }
        #expect(chain.tokenIDs(sequence: 0)[3] == id && chain.tokenIDs(sequence: 1)[3] == id)
    }

    /// A chain restored from a state saved before the pin's step (or by a chain without the
    /// pin) goes on as the pinned chain does: history and branches keep the pin.
    @Test func restoringBeforeThePinKeepsIt() throws {
        let pinned = settings([WordPin(step: 5, position: 2, word: "Eagle")])
        let reference = try ReverseChain(model: model, settings: pinned)
        var states = [reference.saveState()]
        for _ in reference { states.append(reference.saveState()) }
        let plain = try ReverseChain(model: model, settings: settings([]))
        for _ in 0..<3 { plain.silentStep() }
        for start in [states[3], plain.saveState(), states[7]] {
            let chain = try ReverseChain(model: model, settings: pinned)
            chain.restore(start)
            chain.runToEnd()
            #expect(chain.latent.array == reference.latent.array)
        }
    }

    /// A drawn length leaves room for a pinned word.
    @Test func aDrawnLengthReachesThePin() throws {
        var s = settings([WordPin(step: 0, position: 12, word: "pub")])
        s.lengthMode = .prior
        var config = TinyModel.config()
        config.lengthHistogram = [0, 5, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        let m = DiffusionModel(name: "tiny", denoiser: Denoiser(config: config, seed: 1001), vocabulary: TinyModel.vocabulary)
        let chain = try ReverseChain(model: m, settings: s, batch: 3)
        for b in 0..<3 { #expect((chain.sentenceLength(sequence: b) ?? 0) >= 12) }
    }

    @Test(arguments: [
        (WordPin(step: 2, position: 3, word: "Pizza"), "not in the model's vocabulary"),
        (WordPin(step: 2, position: 3, word: "END"), "accepted a word of the model's vocabulary"),
        (WordPin(step: 2, position: 0, word: "pub"), "START: accepted 1...14"),
        (WordPin(step: 2, position: 15, word: "pub"), "out of range: accepted 1...14"),
        (WordPin(step: 12, position: 3, word: "pub"), "accepted 0...11"),
        (WordPin(step: -1, position: 3, word: "pub"), "accepted 0...11"),
    ]) func refusedPinsSayWhatIsAccepted(pin: WordPin, message: String) throws {
        do {
            _ = try ReverseChain(model: model, settings: settings([pin]))
            Issue.record("\(pin) was accepted")
        } catch let e as DenoiseError {
            #expect("\(e)".contains(message), "\(e)")
        }
    }

    @Test func pinsRespectLengthAndTemplate() throws {
        func refusal(_ s: ChainSettings) -> String {
            do { _ = try ReverseChain(model: model, settings: s); return "" } catch { return "\(error)" }
        }
        #expect(refusal(settings([WordPin(step: 0, position: 6, word: "pub")], length: 5)).contains("END of the fixed length: accepted 1...5"))
        #expect(refusal(settings([WordPin(step: 0, position: 8, word: "pub")], length: 5)).contains("accepted 1...5"))
        #expect(refusal(settings([WordPin(step: 0, position: 2, word: "pub")], infill: "The _ is a _ .")).isEmpty)
        #expect(refusal(settings([WordPin(step: 0, position: 3, word: "pub")], infill: "The _ is a _ .")).contains("free positions 2, 5"))
        #expect(refusal(settings([WordPin(step: 0, position: 1, word: "pub")], infill: "The _ is a _ .")).contains("free positions 2, 5"))
        #expect(refusal(settings([WordPin(step: 0, position: 2, word: "pub"), WordPin(step: 3, position: 2, word: "Eagle")])).contains("pinned twice"))
        #expect(refusal(settings([WordPin(step: 0, position: 5, word: "pub")], length: 5)).isEmpty)
    }

    @Test func parsingStepPositionWord() throws {
        #expect(try WordPin(parsing: "40:5=Italian") == WordPin(step: 40, position: 5, word: "Italian"))
        #expect(try WordPin(parsing: " 0 : 1 = The ") == WordPin(step: 0, position: 1, word: "The"))
        for bad in ["5=Italian", "a:5=Italian", "40:5=", "40:5", "40=5:Italian", "4:5=two words"] {
            #expect(throws: DenoiseError.self, "\(bad)") { try WordPin(parsing: bad) }
        }
        let s = ChainSettings().pinning(WordPin(step: 3, position: 2, word: "pub")).pinning(WordPin(step: 5, position: 2, word: "Eagle"))
        #expect(s.pins == [WordPin(step: 5, position: 2, word: "Eagle")])
        #expect(s.pin(at: 2, step: 4) == nil && s.pin(at: 2, step: 5)?.word == "Eagle")
    }
}

/// Pins and samplers through the playground engine: branches, stepping back, replay.
@Suite struct PinEngineTests {
    let model = TinyModel.make()

    func settle(_ e: PlaygroundEngine, _ requests: EngineRequest...) throws -> EngineState {
        for r in requests { e.send(r) }
        e.waitUntilIdle()
        return try #require(e.poll())
    }

    @Test func pinsSurviveBranchBackAndReplay() throws {
        let e = try PlaygroundEngine(model: model, settings: ChainSettings(seed: 2, steps: 12))
        let parent = try settle(e, .jump(to: 4))
        let pin = WordPin(step: 4, position: 3, word: "Italian")
        var s = try settle(e, .branch(parent.settings.pinning(pin)), .toEnd)
        #expect(s.branches.count == 2 && s.settings.pins == [pin] && s.history.count == 13)
        for k in 0...4 { #expect(s.history[k].xt == parent.history[k].xt, "step \(k) is the parent's") }
        for k in 5...12 { #expect(s.history[k].xt[3].text == "Italian", "step \(k)") }
        let pinnedText = s.snapshot.sentenceText
        // Back and forward again: the same pinned history.
        s = try settle(e, .jump(to: 6))
        #expect(s.snapshot.xt[3].text == "Italian" && s.settings.pins == [pin])
        s = try settle(e, .toEnd)
        #expect(s.snapshot.sentenceText == pinnedText)
        // The parent is still there without the pin (what B compares with).
        s = try settle(e, .selectBranch(0))
        #expect(s.settings.pins.isEmpty)
        // A branch of the pinned branch keeps its pin.
        _ = try settle(e, .selectBranch(1), .jump(to: 8))
        var unclamped = s.branches[1].settings
        unclamped.clamp = false
        s = try settle(e, .branch(unclamped), .toEnd)
        #expect(s.settings.pins == [pin] && s.snapshot.xt[3].text == "Italian")
        // A trace of the pinned branch replays with its pin in the settings.
        _ = try settle(e, .selectBranch(1), .toEnd)
        let pinned = try settle(e, .toEnd)
        let path = try TinyModel.temporaryDirectory() + "/pinned.jsonl"
        try Trace.write(header: TraceHeader(model: model.summary, settings: pinned.settings), snapshots: pinned.history,
                        text: pinned.snapshot.sentenceText, to: path)
        let replay = try ReplayEngine(tracePath: path)
        replay.send(.toEnd)
        var replayed: EngineState?
        for _ in 0..<200 where replayed?.current != 12 { usleep(2000); replayed = replay.poll() ?? replayed }
        #expect(replayed?.settings.pins == [pin] && replayed?.snapshot.xt[3].text == "Italian")
    }

    /// A pin typed while the chain moved on branches at the pin's step, not the step reached.
    @Test func aNewPinBranchesAtItsOwnStep() throws {
        let e = try PlaygroundEngine(model: model, settings: ChainSettings(seed: 2, steps: 12))
        let parent = try settle(e, .jump(to: 8))
        let pin = WordPin(step: 4, position: 3, word: "Italian")
        var s = try settle(e, .branch(parent.settings.pinning(pin)))
        #expect(s.current == 4 && s.history.count == 5 && s.branches[1].parentStep == 4)
        s = try settle(e, .toEnd)
        for k in 5...12 { #expect(s.history[k].xt[3].text == "Italian", "step \(k)") }
    }

    /// A branch that changes the sampler starts from the same x_T; DDIM's history is its own.
    @Test func samplerBranchStartsFromTheSameNoise() throws {
        let e = try PlaygroundEngine(model: model, settings: ChainSettings(seed: 2, steps: 12))
        let parent = try settle(e, .jump(to: 6))
        var ddim = parent.settings
        ddim.sampler = .ddim
        ddim.eta = 0
        var s = try settle(e, .branch(ddim))
        #expect(s.current == 0 && s.snapshot.xt == parent.history[0].xt)
        #expect(s.note?.contains("sampler changed") == true)
        s = try settle(e, .toEnd)
        #expect(s.settings.samplerKind == .ddim && s.history.count == 13)
    }
}

/// `eval --parts steps`: a row per sampler and step count, as text and as JSON.
@Suite struct StepsEvaluationTests {
    @Test func aRowPerSamplerAndStepCountWithControl() throws {
        let directory = try TinyModel.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (training, labels) = try EvaluationTests().files(in: directory)
        var settings = EvaluationSettings(model: EvaluationTests.model(), modelPath: "tiny", chain: ChainSettings(seed: 3, steps: 5),
                                          trainingFiles: [training], labelFiles: [labels])
        settings.parts = [.steps]
        settings.count = 3
        settings.perTarget = 2
        settings.stepCounts = [2, 4, 500]
        settings.targets = [ControlTarget(field: "food", value: "Italian")]
        var streamed = [String]()
        let result = try Evaluation(settings: settings).run { streamed += EvaluationReport.lines(for: $0) }
        #expect(result.unguided == nil && result.control == nil)
        let steps = try #require(result.steps)
        #expect(steps.stepCounts == [2, 4], "500 is above the model's 200 steps")
        #expect(steps.rows.map(\.sampler) == ["DDPM", "DDPM", "DDIM η 0", "DDIM η 0"])
        #expect(steps.rows.map(\.steps) == [2, 4, 2, 4])
        for row in steps.rows {
            #expect((0...1).contains(row.trigramShare) && row.meanLength > 0)
            #expect(row.controlSuccess.map { (0...1).contains($0) } == true && row.controlledFluency != nil)
        }
        #expect(steps.targets == ["food=Italian"] && steps.count == 3 && steps.perTarget == 2)
        #expect(result.report == streamed)
        #expect(streamed.contains { $0.hasPrefix("DDIM η 0") && $0.contains("    4    ") })
        #expect(try JSONDecoder().decode(EvaluationResult.self, from: Data(result.json.utf8)) == result)
        // The sampler of the other parts is in the header.
        settings.chain.sampler = .ddim
        settings.chain.eta = 0.5
        settings.parts = []
        #expect(try Evaluation(settings: settings).run().report.first == "denoise eval · tiny · 5 steps · seed 3 · DDIM η 0.5")
        #expect(!EvaluationPart.standard.contains(.steps))
    }
}
