import Foundation
import Testing
@testable import DenoiseCore

/// Tiny random models for the chain, engine and fuzz tests: built in memory in a few
/// milliseconds, small enough that a 20-step chain runs in well under a second in debug.
enum TinyModel {
    static let sentences = [
        "The Eagle serves Italian food .",
        "The Mill is a French restaurant by the riverside .",
        "Aromi is an Italian pub , near the river .",
        "The Eagle is a French coffee shop .",
        "Blue Spice is a cheap pub in the city centre .",
    ]

    static var vocabulary: Vocabulary {
        Vocabulary(sentences: sentences.map(Tokenizer.tokenize), minCount: 1)
    }

    static func config(length: Int = 16, diffusionSteps: Int = 100, selfConditioning: Bool = false) -> ModelConfig {
        ModelConfig(vocabSize: vocabulary.count, sequenceLength: length, embeddingDim: 8, hiddenSize: 16,
                    layers: 1, heads: 2, ffnSize: 32, diffusionSteps: diffusionSteps, selfConditioning: selfConditioning)
    }

    /// A randomly initialised denoiser, optionally with a random classifier over two fields.
    /// The default weight seed is far from the chain seeds the tests use: a model initialised
    /// with seed s draws its embedding table from the same stream as a chain seeded s draws its
    /// starting noise, so the two would coincide row for row.
    static func make(length: Int = 16, diffusionSteps: Int = 100, seed: UInt64 = 1001, classifier: Bool = false,
                     selfConditioning: Bool = false) -> DiffusionModel {
        let c = config(length: length, diffusionSteps: diffusionSteps, selfConditioning: selfConditioning)
        let denoiser = Denoiser(config: c, seed: seed)
        var cl: Classifier? = nil
        if classifier {
            var cc = Classifier.Config(fields: [.init(name: "food", values: ["French", "Italian"]),
                                                .init(name: "area", values: ["riverside", "city centre"])])
            cc.hiddenSize = 8; cc.layers = 1; cc.heads = 2; cc.ffnSize = 16
            let made = Classifier(config: cc, sequenceLength: length, embeddingDim: c.embeddingDim, diffusionSteps: diffusionSteps)
            var rng = RandomSource(seed: seed &+ 100)
            made.params.initialise(rng: &rng)
            cl = made
        }
        return DiffusionModel(name: "tiny", denoiser: denoiser, vocabulary: vocabulary, classifier: cl)
    }

    /// Writes a model folder (config.json, vocab.json, model.safetensors) and returns its path.
    static func writeFolder(_ model: DiffusionModel, in directory: String, name: String = "model") throws -> String {
        let path = (directory as NSString).appendingPathComponent(name)
        try ModelFolder(path: path).save(model: model.denoiser, weights: model.denoiser.params.values,
                                         vocabulary: model.vocabulary, config: model.config)
        return path
    }

    static func temporaryDirectory() throws -> String {
        let path = (NSTemporaryDirectory() as NSString).appendingPathComponent("denoise-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

/// The latent after every step of a chain, from the starting noise to the end.
private func latents(_ chain: ReverseChain) -> [[Float]] {
    var out = [chain.latent.array]
    for _ in chain { out.append(chain.latent.array) }
    return out
}

/// Bitwise equality (NaN-safe, and -0 differs from +0): "bit for bit" is the contract.
private func bits(_ a: [Float]) -> [UInt32] { a.map(\.bitPattern) }

@Suite struct ChainTests {
    let model = TinyModel.make()
    /// The same shape with self-conditioning: its steps also carry the previous prediction.
    let selfConditioned = TinyModel.make(selfConditioning: true)

    /// The chain as a sequence: one recorded step per element, from wherever it stands to the
    /// end; mixing silent and recorded steps leaves the same latent as recording them all.
    @Test func chainIsASequenceOfRecordedSteps() throws {
        let settings = ChainSettings(seed: 13, steps: 12, lengthMode: .exact(5))
        let all = try ReverseChain(model: model, settings: settings)
        let steps = Array(all)
        #expect(steps.map(\.step) == Array(1...12) && all.isFinished && all.next() == nil)
        #expect(Array(all).isEmpty, "a finished chain yields nothing")

        let mixed = try ReverseChain(model: model, settings: settings)
        for _ in 0..<4 { mixed.silentStep() }
        let middle = Array(mixed.prefix(3))
        #expect(middle.map(\.step) == [5, 6, 7] && mixed.stepsTaken == 7)
        #expect(middle.map(\.xt) == steps[4..<7].map(\.xt), "silent steps leave the latent a recorded step would")
        while !mixed.isFinished { mixed.silentStep() }
        #expect(bits(mixed.latent.array) == bits(all.latent.array))
    }

    @Test func sameSeedGivesBitIdenticalChain() throws {
        let settings = ChainSettings(seed: 42, steps: 20)
        let a = try ReverseChain(model: model, settings: settings)
        let b = try ReverseChain(model: model, settings: settings)
        let sa = a.initialSnapshot(), sb = b.initialSnapshot()
        #expect(sa.xt == sb.xt)
        var stepsCompared = 0
        #expect(bits(a.latent.array) == bits(b.latent.array))
        while !a.isFinished {
            let x = a.recordedStep(), y = b.recordedStep()
            #expect(bits(a.latent.array) == bits(b.latent.array), "latents differ at step \(x.step)")
            #expect(x.x0 == y.x0 && x.xt == y.xt && x.changed == y.changed)
            stepsCompared += 1
        }
        #expect(stepsCompared == 20)
        #expect(a.tokenIDs(sequence: 0) == b.tokenIDs(sequence: 0))
        #expect(b.isFinished && b.next() == nil)
    }

    @Test func differentSeedGivesDifferentChain() throws {
        let a = try ReverseChain(model: model, settings: ChainSettings(seed: 7, steps: 20))
        let b = try ReverseChain(model: model, settings: ChainSettings(seed: 8, steps: 20))
        let la = latents(a), lb = latents(b)
        #expect(bits(la[0]) != bits(lb[0]), "starting noise must depend on the seed")
        for k in 0..<la.count - 1 { #expect(bits(la[k]) != bits(lb[k]), "latents equal at step \(k)") }
    }

    /// Silent steps skip the predictions of fixed positions (length control, infilling);
    /// recorded steps compute them too. The chains must still agree bit for bit, with the
    /// clamping trick and without it (without it, a last-bit difference in x0-hat would reach
    /// the latent instead of being rounded away).
    @Test(arguments: [LengthMode.prior, .exact(6), .template("The _ serves _ food .")])
    func recordingSnapshotsDoesNotChangeTheChain(lengthMode: LengthMode) throws {
        for model in [model, selfConditioned] {
        for clamp in [true, false] {
            var settings = ChainSettings(seed: 3, steps: 20)
            settings.lengthMode = lengthMode
            settings.clamp = clamp
            let recorded = try ReverseChain(model: model, settings: settings)
            let silent = try ReverseChain(model: model, settings: settings)
            _ = latents(recorded)
            silent.runToEnd()
            #expect(bits(recorded.latent.array) == bits(silent.latent.array),
                    "clamp \(clamp), self-conditioning \(model.config.selfConditioning)")
        }
        }
    }

    /// How far two forwards that differ only in the row counts of their products may disagree,
    /// for an output row whose largest magnitude is `scale`.
    ///
    /// A k-term dot product in float is within gamma_k sum|a_i b_i| of the exact value whatever
    /// the summation order or FMA use (gamma_k = k u / (1 - k u), u = 2^-24), so two kernels'
    /// results differ by at most 2 gamma_k sum|a b|. The tiny model's longest sums are
    /// k = max(H, FFN, L) = 32, and an output row depends on a chain of `depth` products: 2 in the
    /// input MLP, 6 per block (qkv, q.k, att.v, projection, fc1, fc2) and 2 in the head. The
    /// allowance of 10 covers the gain of the layers between them at these scales (LayerNorm,
    /// softmax, GELU and tanh pass relative errors on with factors near 1) and sums whose
    /// sum|a b| exceeds |sum a b| by cancellation. A wrong or stale row is off by O(scale).
    func rowTolerance(scale: Float) -> Float {
        let c = model.config, k = max(c.hiddenSize, c.ffnSize, c.sequenceLength)
        let u = Float.ulpOfOne / 2, gamma = Float(k) * u / (1 - Float(k) * u)
        let depth = 2 + 6 * c.layers + 2
        return Float(depth) * 2 * gamma * 10 * max(scale, 1)
    }

    func expectRowsClose(_ got: [Float], _ want: [Float], rows: Range<Int>, _ comment: String) {
        let d = model.config.embeddingDim
        for r in rows {
            let span = (r * d)..<((r + 1) * d)
            let tolerance = rowTolerance(scale: want[span].map(abs).max() ?? 0)
            let worst = span.map { abs(got[$0] - want[$0]) }.max() ?? 0
            #expect(worst <= tolerance, "\(comment): row \(r) differs by \(worst), tolerance \(tolerance)")
        }
    }

    /// A latent of one sequence drawn from N(0, 1) with `seed`.
    func randomLatent(seed: UInt64) -> FloatBuffer {
        let count = model.config.sequenceLength * model.config.embeddingDim
        var rng = RandomSource(seed: seed)
        let x = FloatBuffer(count: count)
        rng.fillNormal(x.pointer, count: count)
        return x
    }

    @Test func predictingSomeRowsGivesThoseRowsOfTheFullPrediction() throws {
        let c = model.config, l = c.sequenceLength, d = c.embeddingDim
        let x = randomLatent(seed: 5)
        var t: Int32 = 37
        let full = Denoiser.Workspace(config: c, batch: 1), part = Denoiser.Workspace(config: c, batch: 1)
        let w = UnsafePointer(model.denoiser.params.values.pointer)
        model.denoiser.forward(weights: w, x: x.pointer, timesteps: &t, batch: 1, workspace: full)
        for rows in [3..<9, 0..<1, 15..<16, 0..<l] {
            part.output.pointer.update(repeating: .nan, count: l * d)
            model.denoiser.forward(weights: w, x: x.pointer, timesteps: &t, batch: 1, workspace: part, outputRows: rows)
            let span = (rows.lowerBound * d)..<(rows.upperBound * d)
            expectRowsClose(part.output.array, full.output.array, rows: rows, "outputRows \(rows)")
            #expect(part.output.array.enumerated().allSatisfy { span.contains($0.offset) || $0.element.isNaN },
                    "rows outside \(rows) must be left alone")
        }
    }

    /// A recorded step computes the rows the chain uses first and the rest afterwards: the
    /// first rows keep the bits of the partial forward, the rest match the full one.
    @Test func predictingMoreRowsKeepsTheRowsAlreadyPredicted() throws {
        let c = model.config, l = c.sequenceLength, d = c.embeddingDim
        let x = randomLatent(seed: 6)
        var t: Int32 = 61
        let w = UnsafePointer(model.denoiser.params.values.pointer)
        let full = Denoiser.Workspace(config: c, batch: 1), part = Denoiser.Workspace(config: c, batch: 1),
            more = Denoiser.Workspace(config: c, batch: 1)
        model.denoiser.forward(weights: w, x: x.pointer, timesteps: &t, batch: 1, workspace: full)
        let rows = 2..<7
        model.denoiser.forward(weights: w, x: x.pointer, timesteps: &t, batch: 1, workspace: part, outputRows: rows)
        model.denoiser.forward(weights: w, x: x.pointer, timesteps: &t, batch: 1, workspace: more, outputRows: rows)
        model.denoiser.forwardMoreRows(weights: w, workspace: more, rows: 0..<2)
        model.denoiser.forwardMoreRows(weights: w, workspace: more, rows: 7..<l)
        let span = (rows.lowerBound * d)..<(rows.upperBound * d)
        #expect(bits(Array(more.output.array[span])) == bits(Array(part.output.array[span])))
        expectRowsClose(more.output.array, full.output.array, rows: 0..<l, "partial then more rows")
    }

    @Test func complementOfASpan() {
        #expect(ReverseChain.complement(of: 2..<7, in: 0..<16) == [0..<2, 7..<16])
        #expect(ReverseChain.complement(of: 0..<16, in: 0..<16) == [])
        #expect(ReverseChain.complement(of: 0..<5, in: 0..<16) == [5..<16])
        #expect(ReverseChain.complement(of: 9..<16, in: 0..<16) == [0..<9])
    }

    @Test func unfixedSpanCoversTheFreePositions() throws {
        let v = model.vocabulary
        let length = try PositionConstraints(mode: .exact(6), vocabulary: v, sequenceLength: 16)
        #expect(length.unfixedSpan(length: 16) == 1..<7)
        let infill = try PositionConstraints(mode: .template("The _ serves _ food ."), vocabulary: v, sequenceLength: 16)
        #expect(infill.unfixedSpan(length: 16) == 2..<5)
        #expect(PositionConstraints().unfixedSpan(length: 16) == nil)
    }

    /// The temperature scales only the noise a step adds: from one state and one seed, the
    /// latent after a step at tau = 0.5 lies halfway between the step's mean (tau = 0) and the
    /// latent at tau = 1. The first latent (pure noise) is drawn at full scale whatever tau is.
    @Test func temperatureScalesTheNoiseOfEachStep() throws {
        func firstTwoLatents(_ tau: Float) throws -> (start: [Float], next: [Float]) {
            let chain = try ReverseChain(model: model, settings: ChainSettings(seed: 5, steps: 20, temperature: tau))
            _ = chain.initialSnapshot()
            let start = chain.latent.array
            chain.recordedStep()
            return (start, chain.latent.array)
        }
        let cold = try firstTwoLatents(0), half = try firstTwoLatents(0.5), full = try firstTwoLatents(1)
        #expect(cold.start == full.start && half.start == full.start)
        #expect(cold.next != full.next)
        var worst: Float = 0
        for k in full.next.indices { worst = max(worst, abs(half.next[k] - (cold.next[k] + full.next[k]) / 2)) }
        #expect(worst < 1e-5, "largest deviation from halfway: \(worst)")
        // Settings saved before the option decode with the model's own reverse process.
        var old = try JSONSerialization.jsonObject(with: JSONEncoder().encode(ChainSettings())) as! [String: Any]
        old.removeValue(forKey: "temperature")
        let decoded = try JSONDecoder().decode(ChainSettings.self, from: JSONSerialization.data(withJSONObject: old))
        #expect(decoded.temperature == 1)
    }

    @Test(arguments: [false, true]) func restoringSavedStateReproducesTheUninterruptedChain(selfConditioning: Bool) throws {
        let model = selfConditioning ? selfConditioned : model
        let settings = ChainSettings(seed: 11, steps: 20)
        let reference = try ReverseChain(model: model, settings: settings)
        _ = reference.initialSnapshot()
        var referenceSteps = [StepSnapshot]()
        var referenceLatents = [[Float]]()
        for s in reference { referenceSteps.append(s); referenceLatents.append(reference.latent.array) }

        for k in [0, 1, 7, 19] {
            let chain = try ReverseChain(model: model, settings: settings)
            _ = chain.initialSnapshot()
            for _ in 0..<k { chain.recordedStep() }
            let saved = chain.saveState()
            #expect(saved.stepsTaken == k)
            // Wander off (steps that must be undone), then come back.
            _ = Array(chain.prefix(3))
            chain.restore(saved)
            #expect(chain.stepsTaken == k)
            // A fresh chain restored from the same state must continue identically too.
            let fresh = try ReverseChain(model: model, settings: settings)
            fresh.restore(saved)
            for j in k..<20 {
                let s = chain.recordedStep()
                let f = fresh.recordedStep()
                #expect(bits(chain.latent.array) == bits(referenceLatents[j]), "restored at \(k): latent differs at step \(j + 1)")
                #expect(bits(fresh.latent.array) == bits(referenceLatents[j]), "fresh restored at \(k): latent differs at step \(j + 1)")
                #expect(s.step == referenceSteps[j].step && s.x0 == referenceSteps[j].x0 && s.xt == referenceSteps[j].xt)
                #expect(s.changed == referenceSteps[j].changed && f.changed == referenceSteps[j].changed)
            }
            #expect(chain.isFinished && fresh.isFinished)
        }
    }

    @Test(arguments: [1, 2, 5, 9, 14])
    func lengthControlGivesExactlyNTokens(n: Int) throws {
        let chain = try ReverseChain(model: model, settings: ChainSettings(seed: UInt64(n), steps: 10, lengthMode: .exact(n)), batch: 3)
        chain.runToEnd()
        for b in 0..<3 {
            let ids = chain.tokenIDs(sequence: b)
            let words = model.vocabulary.decode(ids)
            #expect(words.count == n, "sequence \(b): \(words)")
            #expect(ids[0] == Vocabulary.startID && ids[n + 1] == Vocabulary.endID)
            #expect(ids[(n + 2)...].allSatisfy { $0 == Vocabulary.padID })
            #expect(!words.contains(where: { ["PAD", "START", "END", "UNK"].contains($0) }))
        }
    }

    @Test func lengthOutOfRangeIsRejected() throws {
        for n in [0, -1, 15, 999] {
            #expect(throws: DenoiseError.self) { try ReverseChain(model: model, settings: ChainSettings(steps: 5, lengthMode: .exact(n))) }
        }
    }

    @Test(arguments: ["_ Eagle serves _ food .", "The _ _ a _ _ near the _ .", "_", "Aromi _ _ _ _ _ _ _ _ _ _ _ _ ."])
    func infillKeepsEveryGivenWordInPlace(template: String) throws {
        let chain = try ReverseChain(model: model, settings: ChainSettings(seed: 5, steps: 10, lengthMode: .template(template)), batch: 2)
        chain.runToEnd()
        let given = Tokenizer.tokenize(template)
        for b in 0..<2 {
            let words = model.vocabulary.decode(chain.tokenIDs(sequence: b))
            #expect(words.count == given.count, "sequence \(b): \(words)")
            for (i, w) in given.enumerated() where w != "_" {
                #expect(i < words.count && words[i] == w, "position \(i + 1) should be \"\(w)\": \(words)")
            }
        }
    }

    @Test func infillTemplatesThatCannotWorkAreRejectedWithAReason() throws {
        let cases: [(String, String)] = [
            ("no slots here", "free slot"),
            ("_ zzzunknownword _", "zzzunknownword"),
            ("", "empty"),
            (String(repeating: "_ ", count: 15), "at most"),
        ]
        for (template, keyword) in cases {
            do {
                _ = try ReverseChain(model: model, settings: ChainSettings(steps: 5, lengthMode: .template(template)))
                Issue.record("template \"\(template)\" was accepted")
            } catch let e as DenoiseError {
                #expect(e.description.contains(keyword), "\(e)")
            }
        }
    }

    /// A length and a template cannot be asked for together: the command line's options are
    /// refused in one line, and settings read from JSON with both are refused too.
    @Test func lengthAndTemplateCannotBeCombined() throws {
        #expect(throws: DenoiseError.invalid("--length and --infill cannot be combined (an infill template fixes the length itself)")) {
            try LengthMode.from(length: 3, infill: "_ _", free: false)
        }
        #expect(try LengthMode.from(length: 3, infill: nil, free: true) == .exact(3))
        #expect(try LengthMode.from(length: nil, infill: "_ a", free: true) == .template("_ a"))
        #expect(try LengthMode.from(length: nil, infill: nil, free: true) == .free)
        #expect(try LengthMode.from(length: nil, infill: nil, free: false) == .prior)
        let exact = try JSONEncoder().encode(ChainSettings(steps: 5, lengthMode: .exact(3)))
        #expect(try JSONDecoder().decode(ChainSettings.self, from: exact).lengthMode == .exact(3))
        var object = try #require(try JSONSerialization.jsonObject(with: exact) as? [String: Any])
        object["infill"] = "_ _"
        let both = try JSONSerialization.data(withJSONObject: object)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(ChainSettings.self, from: both) }
    }

    /// Keys that settings saved before them lack read as their defaults; the others stay
    /// required. Every stored property of the hand-written coders is written (so a property
    /// added later and not coded fails here).
    @Test func savedSettingsWithoutTheLaterKeysReadAsTheDefaults() throws {
        var guidance = GuidanceSettings()
        guidance.combination = .alternate; guidance.tagScore = .span
        var settings = ChainSettings(seed: 3, steps: 7, lengthMode: .free, guidance: guidance, temperature: 0.5)
        // main's optional keys (written when set, absent reading as their defaults).
        settings.unmask = .confidence; settings.sampler = .ddim; settings.eta = 0.5
        settings.pinned = [WordPin(step: 2, position: 1, word: "The")]
        var object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(settings)) as? [String: Any])
        var inner = try #require(object["guidance"] as? [String: Any])
        let labels = Set(Mirror(reflecting: settings).children.compactMap(\.label)).subtracting(["lengthMode"])
        #expect(labels.isSubset(of: Set(object.keys)), "\(labels.subtracting(object.keys)) not written")
        #expect(Set(Mirror(reflecting: guidance).children.compactMap(\.label)) == Set(inner.keys))
        #expect(Set(inner.keys) == Set(GuidanceSettings.CodingKeys.allCases.map(\.stringValue)))
        #expect(labels.union(["length", "infill", "freeLength"]) == Set(ChainSettings.CodingKeys.allCases.map(\.stringValue)))
        #expect(try JSONDecoder().decode(ChainSettings.self, from: JSONSerialization.data(withJSONObject: object)) == settings)

        inner.removeValue(forKey: "combination"); inner.removeValue(forKey: "tagScore")
        object["guidance"] = inner
        object.removeValue(forKey: "temperature"); object.removeValue(forKey: "freeLength")
        let old = try JSONDecoder().decode(ChainSettings.self, from: JSONSerialization.data(withJSONObject: object))
        #expect(old.temperature == 1 && old.lengthMode == .prior)
        #expect(old.guidance.combination == .sum && old.guidance.tagScore == .both)

        inner.removeValue(forKey: "iterations")
        object["guidance"] = inner
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(ChainSettings.self, from: JSONSerialization.data(withJSONObject: object))
        }
    }

    /// The settings' JSON keeps the keys traces have always had (`length`, `infill`,
    /// `freeLength`), and every mode reads back as itself.
    @Test(arguments: [LengthMode.prior, .free, .exact(7), .template("_ is a _ .")])
    func lengthModeJSONKeepsTheTraceKeys(mode: LengthMode) throws {
        let settings = ChainSettings(seed: 4, steps: 9, lengthMode: mode)
        let data = try JSONEncoder().encode(settings)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["length"] as? Int == mode.exactLength)
        #expect(object["infill"] as? String == mode.template)
        #expect(object["freeLength"] as? Bool == (mode == .free))
        #expect(try JSONDecoder().decode(ChainSettings.self, from: data) == settings)
    }

    @Test func clampingOnAndOffGiveDifferentChains() throws {
        let on = try ReverseChain(model: model, settings: ChainSettings(seed: 9, steps: 10, clamp: true))
        let off = try ReverseChain(model: model, settings: ChainSettings(seed: 9, steps: 10, clamp: false))
        #expect(bits(on.latent.array) == bits(off.latent.array), "same seed, same starting noise")
        on.runToEnd(); off.runToEnd()
        #expect(bits(on.latent.array) != bits(off.latent.array))
        // With clamping the last step lands exactly on word embeddings (x0-hat was clamped and the
        // last step has c1 = 1, c2 = 0, no noise).
        let ids = on.tokenIDs(sequence: 0)
        let d = model.config.embeddingDim
        for (p, id) in ids.enumerated() {
            let row = Array(UnsafeBufferPointer(start: model.embedding(of: id), count: d))
            let x = Array(on.latent.array[(p * d)..<((p + 1) * d)])
            #expect(zip(row, x).allSatisfy { abs($0 - $1) < 1e-5 }, "position \(p) not on a word")
        }
    }

    @Test(arguments: [0, -3, 101, 100_000])
    func stepsOutOfRangeThrow(steps: Int) throws {
        do {
            _ = try ReverseChain(model: model, settings: ChainSettings(steps: steps))
            Issue.record("steps \(steps) accepted")
        } catch let e as DenoiseError {
            #expect(e.description.contains("1...100"), "\(e)")
        }
    }

    @Test func stepsAtTheLimitsWork() throws {
        for k in [1, 100] {
            let chain = try ReverseChain(model: model, settings: ChainSettings(steps: k))
            chain.runToEnd()
            #expect(chain.isFinished && chain.stepsTaken == k)
        }
    }

    @Test func sequenceIOfABatchIsTheChainOfSeedPlusI() throws {
        let batch = try ReverseChain(model: model, settings: ChainSettings(seed: 20, steps: 10), batch: 3)
        batch.runToEnd()
        for i in 0..<3 {
            let single = try ReverseChain(model: model, settings: ChainSettings(seed: 20 + UInt64(i), steps: 10))
            single.runToEnd()
            #expect(batch.tokenIDs(sequence: i) == single.tokenIDs(sequence: 0), "sequence \(i)")
        }
    }

    @Test func initialSnapshotRoundsTheStartingNoise() throws {
        let chain = try ReverseChain(model: model, settings: ChainSettings(seed: 4, steps: 10))
        let s = chain.initialSnapshot()
        let l = model.config.sequenceLength, d = model.config.embeddingDim, v = model.vocabulary.count
        #expect(s.step == 0 && s.x0.isEmpty && s.xt.count == l && s.totalSteps == 10)
        let x = chain.latent.array
        for p in 0..<l {
            var best = -1, bestDistance = Float.infinity
            for w in 0..<v {
                let e = model.embedding(of: Int32(w))
                var dist: Float = 0
                for j in 0..<d { let diff = x[p * d + j] - e[j]; dist += diff * diff }
                if dist < bestDistance { bestDistance = dist; best = w }
            }
            #expect(s.xt[p].id == Int32(best), "position \(p): snapshot says \(s.xt[p].text), nearest is \(model.vocabulary.word(Int32(best)))")
            // The snapshot holds the distance itself, not its square.
            let distance = bestDistance.squareRoot()
            #expect(abs(s.xt[p].distance - distance) < 1e-3 * max(1, distance))
        }
    }

    @Test func snapshotsDescribeTheNoiseLevelOfEachStep() throws {
        let chain = try ReverseChain(model: model, settings: ChainSettings(seed: 1, steps: 10))
        _ = chain.initialSnapshot()
        var previous = -Double.infinity
        var ts = [Int]()
        for s in chain {
            #expect(s.alphaBar > previous, "alpha-bar must increase step by step (less noise)")
            previous = s.alphaBar
            ts.append(s.t)
            #expect(abs(s.sigma - (1 - s.alphaBar).squareRoot()) < 1e-12)
            #expect(s.x0.count == 16 && s.xt.count == 16 && s.candidates.count == 16)
        }
        #expect(ts.first == 99 && ts.last == 0)
    }

    @Test func controlsNeedAClassifierAndAKnownValue() throws {
        #expect(throws: DenoiseError.self) {
            try ReverseChain(model: model, settings: ChainSettings(steps: 5, controls: [ControlTarget(field: "food", value: "Italian")]))
        }
        let guided = TinyModel.make(classifier: true)
        for bad in [ControlTarget(field: "food", value: "Klingon"), ControlTarget(field: "flavour", value: "x")] {
            do {
                _ = try ReverseChain(model: guided, settings: ChainSettings(steps: 5, controls: [bad]))
                Issue.record("\(bad) accepted")
            } catch let e as DenoiseError {
                #expect(e.description.contains("accepted"), "\(e)")
            }
        }
        let chain = try ReverseChain(model: guided, settings: ChainSettings(steps: 5, controls: [ControlTarget(field: "food", value: "Italian")]))
        chain.runToEnd()
        let scores = chain.finalScores()
        #expect(scores.count == 1)
        let p = try #require(scores[0]["food=Italian"])
        #expect(p >= 0 && p <= 1)
    }

    /// A self-conditioned chain feeds its next step the prediction after guidance on it, so what
    /// guidance changed in x0-hat carries into the next step's input (docs/DECISIONS.md,
    /// "Self-conditioning": feeding the prediction from before guidance measured worse).
    @Test func selfConditioningReadsThePredictionAfterGuidance() throws {
        let model = TinyModel.make(classifier: true, selfConditioning: true)
        var settings = ChainSettings(seed: 5, steps: 10)
        let plain = try ReverseChain(model: model, settings: settings)
        settings.controls = [ControlTarget(field: "food", value: "Italian")]
        settings.guidance.saturating = false  // guide even where the random classifier is met
        settings.guidance.iterations = 0      // guidance on the prediction alone
        let guided = try ReverseChain(model: model, settings: settings)
        plain.silentStep()
        guided.silentStep()
        #expect(bits(guided.latent.array) != bits(plain.latent.array), "guidance on the prediction changed nothing: the test sees nothing")
        let fed = guided.saveState().previousPrediction, unguided = plain.saveState().previousPrediction
        #expect(!fed.isEmpty && fed.count == unguided.count && bits(fed) != bits(unguided))
    }
}
