import Foundation
import Testing
@testable import DenoiseCore

/// The services behind `denoise train`, `eval` and `bench`, run directly on tiny models.
@Suite struct TrainingRunTests {
    /// A plain-text corpus in a fresh directory, and settings for a tiny run into `out`.
    func tinySettings(in directory: String, out: String = "model") throws -> TrainingRunSettings {
        let corpus = (directory as NSString).appendingPathComponent("corpus.txt")
        try Fixtures.sentences.joined(separator: "\n").write(toFile: corpus, atomically: true, encoding: .utf8)
        var settings = TrainingRunSettings(data: [corpus], out: (directory as NSString).appendingPathComponent(out))
        settings.architecture = Fixtures.config(vocab: 0)
        settings.options.batchSize = 4
        settings.options.warmupIterations = 2
        settings.minCount = 1
        settings.heldOutPercent = 0
        settings.threads = 2
        return settings
    }

    func weights(_ folder: String) throws -> [Float] {
        try ModelFolder(path: folder).loadDenoiser().0.params.values.array
    }

    @Test func aStoppedRunResumesBitForBit() throws {
        let directory = try TinyModel.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var straight = try tinySettings(in: directory, out: "straight")
        straight.iterations = 6
        let whole = try TrainingRun(settings: straight).run()
        #expect(whole.iterations == 6 && !whole.interrupted)

        var split = try tinySettings(in: directory, out: "split")
        split.iterations = 6
        let stop = StopRequest()
        let first = try TrainingRun(settings: split, stop: stop).run { event in
            if case let .progress(p) = event, p.iteration == 3 { stop.request() }
        }
        #expect(first.interrupted && first.iterations == 3 && first.targetIterations == 6)
        #expect(try weights(split.out) != weights(straight.out))

        split.iterations = nil
        split.resume = true
        let resumed = try TrainingRun(settings: split).run()
        #expect(resumed.iterations == 6 && resumed.iterationsThisRun == 3 && !resumed.interrupted)
        #expect(try weights(split.out) == weights(straight.out))
    }

    @Test func samplesComeFromTheEMAWeightsAtTheStartAndAtEveryCheckpoint() throws {
        let directory = try TinyModel.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var settings = try tinySettings(in: directory)
        settings.iterations = 3
        settings.checkpointMinutes = 0
        settings.sampleCount = 3
        settings.sampleSteps = 5
        var samples = [TrainingSamples](), saved = [Int]()
        _ = try TrainingRun(settings: settings).run { event in
            if case let .samples(s) = event { samples.append(s) }
            if case let .saved(iteration, _) = event { saved.append(iteration) }
        }
        // At the start, then after each of the three checkpoints (none after the final save).
        #expect(samples.map(\.iteration) == [0, 1, 2, 3])
        #expect(saved == [1, 2, 3, 3])
        for s in samples {
            #expect(s.sentences.count == 3 && s.fluency.count == 3)
            #expect(s.overallFluency >= 0 && s.overallFluency <= 1)
            #expect(s.fluency.allSatisfy { $0.map { $0 >= 0 && $0 <= 1 } ?? true })
        }

        settings.sampleCount = 0
        settings.out += "-plain"
        var any = false
        _ = try TrainingRun(settings: settings).run { event in if case .samples = event { any = true } }
        #expect(!any)
    }

    @Test func theIterationBudgetIsRespectedWithProgressAndCheckpoints() throws {
        let directory = try TinyModel.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var settings = try tinySettings(in: directory)
        settings.iterations = 5
        settings.checkpointMinutes = 0
        var progress = [Int](), checkpoints = 0, finals = 0
        let result = try TrainingRun(settings: settings).run { event in
            switch event {
            case let .progress(p):
                progress.append(p.iteration)
                #expect(p.total == 5 && p.loss.total.isFinite && p.secondsPerIteration >= 0)
            case let .message(text):
                if text.hasSuffix("(checkpoint)") { checkpoints += 1 } else if text.hasPrefix("saved ") { finals += 1 }
            case .samples, .saved:
                break
            }
        }
        #expect(progress == [1, 2, 3, 4, 5])
        #expect(checkpoints == 5 && finals == 1)
        #expect(result.iterations == 5 && result.targetIterations == 5 && result.iterationsThisRun == 5)
        #expect(result.trainingSentences == Fixtures.sentences.count && result.heldOutSentences == 0)
        #expect(result.finalLosses.values.allSatisfy(\.isFinite) && result.finalLosses.count == 4)
        let saved = try ModelFolder(path: settings.out).loadConfig()
        #expect(saved.training?.iterations == 5)
    }

    @Test func theMinutesBudgetFixesTheIterationCount() throws {
        let directory = try TinyModel.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var settings = try tinySettings(in: directory)
        // Far less time than 10 iterations take: the budget falls back to its floor of 20.
        settings.minutes = 1e-7
        var messages = [String]()
        let result = try TrainingRun(settings: settings).run { if case let .message(m) = $0 { messages.append(m) } }
        #expect(result.targetIterations == 20 && result.iterations == 20)
        #expect(messages.contains { $0.contains("20 iterations in") })
        let saved = try Trainer.savedOptions(at: ModelFolder(path: settings.out).file(Trainer.stateFile))
        #expect(saved.totalIterations == 20)
    }

    /// A warm-up long enough is timed in place: its iterations are kept, so a budget that ends
    /// there gives the same weights as asking for that many iterations. A budget spent during
    /// the timing ends it there (after the 10 untimed iterations and one timed one), and the run
    /// goes to the floor of 20 iterations.
    @Test func theMinutesBudgetKeepsTheTimedWarmup() throws {
        let directory = try TinyModel.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var timed = try tinySettings(in: directory, out: "timed")
        timed.options.warmupIterations = TrainingRun.timedWarmup
        timed.minutes = 1e-7
        timed.sampleCount = 0
        let result = try TrainingRun(settings: timed).run()
        #expect(result.targetIterations == TimeBudget.floor && result.iterations == TimeBudget.floor)
        var fixed = timed
        fixed.out = (directory as NSString).appendingPathComponent("fixed")
        fixed.minutes = nil
        fixed.iterations = TimeBudget.floor
        _ = try TrainingRun(settings: fixed).run()
        #expect(try weights(timed.out) == weights(fixed.out))
    }

    /// A clock that moves only when told: the test plays the machine's speed with it.
    /// `@unchecked Sendable`: `lock` guards `time`.
    final class FakeClock: TrainingClock, @unchecked Sendable {
        private let lock = NSLock()
        private var time = 1000.0
        func seconds() -> Double { lock.lock(); defer { lock.unlock() }; return time }
        func advance(_ s: Double) { lock.lock(); time += s; lock.unlock() }
    }

    /// A machine that speeds up (0.5 s, then 0.2 s per iteration) and then slows down (1 s):
    /// the plan rises and falls with it, the run ends at the budget, and the learning rate
    /// moves without a jump and reaches the end of its decay at the last iteration.
    @Test func theMinutesBudgetIsReplannedBothWaysAsTheSpeedChanges() throws {
        let directory = try TinyModel.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var settings = try tinySettings(in: directory)
        settings.options.warmupIterations = TrainingRun.timedWarmup
        settings.minutes = 5
        settings.checkpointMinutes = 1000
        func cost(after iteration: Int) -> Double { iteration < 100 ? 0.5 : (iteration < 400 ? 0.2 : 1.0) }
        let clock = FakeClock()
        var progress = [TrainingProgress]()
        let result = try TrainingRun(settings: settings, clock: clock).run { event in
            guard case let .progress(p) = event else { return }
            progress.append(p)
            clock.advance(cost(after: p.iteration))
        }
        // Iterations 1-100 at 0.5 s (50 s), 101-400 at 0.2 s (60 s), then 190 s at 1 s: 590.
        #expect(abs(result.wallSeconds - 300) < 60, "ran \(result.wallSeconds) s of a 300 s budget")
        #expect(abs(result.iterations - 590) <= 15 && result.iterations == result.targetIterations)
        let afterWarmup = progress.filter { $0.iteration > TrainingRun.timedWarmup }
        let first = try #require(afterWarmup.first).total
        let highest = try #require(afterWarmup.map(\.total).max())
        let last = try #require(afterWarmup.last)
        // 30 + 285 s at 0.5 s; the fake clock moves after iteration 10's timing mark, so the
        // timed span holds 21 iteration costs for 20 iterations (572).
        #expect(abs(first - 600) <= 40, "first plan \(first)")
        #expect(highest > 1000, "the speed-up raised the plan (to \(highest))")
        #expect(last.total == result.iterations && last.iteration == last.total, "the slow-down lowered it again")
        // Continuous: no step larger than a few times the steepest step of a plain cosine
        // over the shortest plan; at the end the decay's final rate.
        let peak = settings.options.peakLearningRate
        let steepest = peak * (1 - settings.options.finalLearningRateFraction) * Float.pi / 2 / Float(first - TrainingRun.timedWarmup)
        for (a, b) in zip(afterWarmup, afterWarmup.dropFirst()) {
            #expect(abs(b.learningRate - a.learningRate) <= 3 * steepest, "jump at iteration \(b.iteration)")
        }
        #expect(abs(last.learningRate - peak * settings.options.finalLearningRateFraction) <= 1e-6 * peak)
        let saved = try Trainer.savedOptions(at: ModelFolder(path: settings.out).file(Trainer.stateFile))
        #expect(saved.totalIterations == result.iterations && saved.decayAnchor != nil)
    }

    /// Re-planning keeps the learning rate where it was and ends the decay at the new end;
    /// without a re-plan the schedule is the plain cosine from the end of the warm-up.
    @Test func aReplanKeepsTheLearningRateContinuous() {
        var options = TrainOptions()
        options.warmupIterations = 10
        options.totalIterations = 110
        #expect(abs(options.decayProgress(at: 60) - 0.5) < 1e-6)
        let before = options.learningRate(at: 60)
        var longer = options
        longer.replan(totalIterations: 160, at: 60)
        #expect(longer.learningRate(at: 60) == before)
        #expect(abs(longer.decayProgress(at: 110) - 0.75) < 1e-6 && longer.decayProgress(at: 160) == 1)
        var shorter = options
        shorter.replan(totalIterations: 70, at: 60)
        #expect(shorter.learningRate(at: 60) == before && shorter.decayProgress(at: 70) == 1)
        var inWarmup = options
        inWarmup.replan(totalIterations: 210, at: 5)
        #expect(inWarmup.decayAnchor == nil && abs(inWarmup.decayProgress(at: 110) - 0.5) < 1e-6)
    }

    @Test func aStopBeforeTheFirstIterationWritesNothing() throws {
        let directory = try TinyModel.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var settings = try tinySettings(in: directory)
        settings.iterations = 5
        let stop = StopRequest()
        stop.request()
        let result = try TrainingRun(settings: settings, stop: stop).run()
        #expect(result.interrupted && result.iterations == 0)
        #expect(!FileManager.default.fileExists(atPath: ModelFolder(path: settings.out).file(ModelFolder.weightsFile)))
    }

    @Test func resumingAFinishedRunIsRefused() throws {
        let directory = try TinyModel.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var settings = try tinySettings(in: directory)
        settings.iterations = 2
        _ = try TrainingRun(settings: settings).run()
        settings.resume = true
        #expect(throws: DenoiseError.self) { try TrainingRun(settings: settings).run() }
    }
}

@Suite struct EvaluationTests {
    /// A random model whose vocabulary holds every word of the infill templates, with a
    /// classifier over food and area (and eatType with `threeFields`).
    static func model(threeFields: Bool = false) -> DiffusionModel {
        let sentences = TinyModel.sentences + Evaluation.infillTemplates.map { $0.replacingOccurrences(of: "_ ", with: "") }
        let vocabulary = Vocabulary(sentences: sentences.map(Tokenizer.tokenize), minCount: 1)
        let config = ModelConfig(vocabSize: vocabulary.count, sequenceLength: 16, embeddingDim: 8, hiddenSize: 16,
                                 layers: 1, heads: 2, ffnSize: 32, diffusionSteps: 200)
        var cc = Classifier.Config(fields: [.init(name: "food", values: ["French", "Italian"]),
                                            .init(name: "area", values: ["riverside", "city centre"])]
                                   + (threeFields ? [.init(name: "eatType", values: ["pub", "restaurant"])] : []))
        cc.hiddenSize = 8; cc.layers = 1; cc.heads = 2; cc.ffnSize = 16
        let classifier = Classifier(config: cc, sequenceLength: 16, embeddingDim: 8, diffusionSteps: 200)
        var rng = RandomSource(seed: 7)
        classifier.params.initialise(rng: &rng)
        return DiffusionModel(name: "tiny", denoiser: Denoiser(config: config, seed: 1001), vocabulary: vocabulary, classifier: classifier)
    }

    /// The training-example threshold the labels of `files(in:)` are made for.
    static let minimumExamples = 20

    /// Training sentences, and labels where food=Italian has enough examples and food=French does not.
    func files(in directory: String) throws -> (training: String, labels: String) {
        let training = (directory as NSString).appendingPathComponent("train.txt")
        try TinyModel.sentences.joined(separator: "\n").write(toFile: training, atomically: true, encoding: .utf8)
        var csv = "mr,ref\n"
        for i in 0..<(Self.minimumExamples + 5) { csv += "\"name[The Eagle], food[Italian]\",\"The Eagle serves Italian food number \(i) .\"\n" }
        csv += "\"name[The Mill], food[French]\",\"The Mill is French .\"\n"
        let labels = (directory as NSString).appendingPathComponent("labels.csv")
        try csv.write(toFile: labels, atomically: true, encoding: .utf8)
        return (training, labels)
    }

    @Test func everyPartReturnsSaneFiguresAndTheReportIsTheStreamedText() throws {
        let directory = try TinyModel.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (training, labels) = try files(in: directory)
        var settings = EvaluationSettings(model: Self.model(), modelPath: "tiny", chain: ChainSettings(seed: 3, steps: 5),
                                          trainingFiles: [training], labelFiles: [labels])
        settings.count = 3
        settings.perTarget = 2
        settings.combinations = 3
        // A file the model did not train on: every sentence of it counts as held out.
        settings.heldOutFile = (directory as NSString).appendingPathComponent("held.txt")
        try TinyModel.sentences.joined(separator: "\n").write(toFile: settings.heldOutFile, atomically: true, encoding: .utf8)
        settings.sentences = 4
        settings.strengths = [0.5, 1]
        settings.lossBatches = 2
        var streamed = [String]()
        let result = try Evaluation(settings: settings).run { streamed += EvaluationReport.lines(for: $0) }

        #expect(result.header.trainingSentences + result.header.heldOutSentences == TinyModel.sentences.count)
        #expect(result.header.meanLength > 0 && result.header.steps == 5 && result.header.seed == 3)
        let unguided = try #require(result.unguided)
        #expect(unguided.count == 3 && unguided.examples.count == 3 && !unguided.lengthPrior && unguided.freeLength == nil)
        #expect((0...1).contains(unguided.trigramShare) && (0...1).contains(unguided.heldOutTrigramShare))
        #expect((0...3).contains(unguided.copies) && (0...16).contains(unguided.meanLength))
        // Every value the classifier offers, in its order.
        let control = try #require(result.control)
        #expect(control.targets.map { "\($0.field)=\($0.value)" } == ["food=French", "food=Italian", "area=riverside", "area=city centre"])
        #expect(control.targets.allSatisfy { $0.samples == 2 && (0...2).contains($0.hits) } && control.minimumExamples == 0)
        #expect(control.fields.map(\.field) == ["food", "area"] && control.fields.allSatisfy { $0.targets == 2 })
        let meanRate = control.targets.map(\.successRate).reduce(0, +) / 4
        #expect(control.success.map { abs($0 - meanRate) < 1e-12 } == true)
        #expect(control.millisecondsPerGuidedStep.map { $0 > 0 && $0.isFinite } == true)
        // Pairs across the two fields, drawn by the seed; triples need three fields.
        let pairs = try #require(result.pairs)
        #expect(pairs.size == 2 && pairs.seed == 3 && pairs.perSet == 2 && pairs.outcomes.count == 3)
        for o in pairs.outcomes {
            #expect(o.controls.count == 2 && Set(o.controls.map { $0.split(separator: "=")[0] }) == ["food", "area"])
            #expect(o.samples == 2 && o.successes <= 2 && o.perControl.count == 2)
            #expect(o.perControl.values.allSatisfy { $0 >= o.rate })
        }
        #expect(pairs.worst == pairs.outcomes.map(\.rate).min() && pairs.fluency.map { (0...1).contains($0) } == true)
        let triples = try #require(result.triples)
        #expect(triples.outcomes.isEmpty && triples.success == nil)
        #expect(streamed.contains("no triples drawn: they need values of 3 fields (see --fields and --target)"))
        let length = try #require(result.length)
        #expect(length.shortest == 6 && length.longest == 14 && length.total == 2 * 9 && length.exact <= length.total)
        let infill = try #require(result.infill)
        #expect(infill.templates.count == Evaluation.infillTemplates.count && infill.given > 0)
        // Infilling fixes the given words: every one is kept.
        #expect(infill.kept == infill.given)
        // The forward curve: x_t keeps every word at the first step and fewer at the last.
        let forward = try #require(result.forward)
        #expect(forward.sentences == 4 && forward.steps == 5 && forward.curve.kept.count == 5 && forward.skippedSentences == 0)
        #expect(forward.curve.kept.allSatisfy { (0...1).contains($0) } && forward.curve.kept[0] >= forward.curve.kept[4])
        #expect(streamed.contains { $0.hasPrefix("== forward (4 held-out sentences of ") || $0.hasPrefix("\n== forward (4 held-out") })
        // Edits: one row per strength; the sources carry no MR, so no contradicting set has sentences.
        let edit = try #require(result.edit)
        #expect(edit.plain.rows.map(\.strength) == [0.5, 1] && edit.plain.sentences == 4 && edit.plain.control == nil)
        #expect(edit.plain.rows.allSatisfy { (0...1).contains($0.wordsKept) && (0...1).contains($0.fluency) })
        #expect(edit.contradictions.map { $0.control?.value } == ["Italian", "riverside"])
        #expect(edit.contradictions.allSatisfy { $0.skipped == "none held out" && $0.rows.isEmpty })
        #expect(streamed.contains("edit food=Italian on food=French sentences: skipped (none held out)"))
        // The loss of the saved weights on both sides, or why there is no held-out side.
        let heldOut = TinyModel.sentences.filter { TrainingData.isHeldOut($0, percent: 5) }
        if heldOut.isEmpty {
            #expect(result.loss == nil && result.lossSkipped == "no held-out sentence of the corpus fits the model")
        } else {
            let loss = try #require(result.loss)
            #expect(loss.training.total.isFinite && loss.heldOut.total > 0 && loss.sequences == 2 * 64)
        }

        #expect(result.report == streamed)
        #expect(streamed.first == "denoise eval · tiny · 5 steps · seed 3")
        let decoded = try JSONDecoder().decode(EvaluationResult.self, from: Data(result.json.utf8))
        #expect(decoded == result)
        let object = try JSONSerialization.jsonObject(with: Data(result.json.utf8)) as? [String: Any]
        #expect(object?["control"] != nil && object?["pairs"] != nil && object?["triples"] != nil)
        let firstPair = ((object?["pairs"] as? [String: Any])?["outcomes"] as? [[String: Any]])?.first
        #expect(firstPair?["rate"] as? Double == pairs.outcomes[0].rate)
    }

    @Test func minimumExamplesKeepsOnlyValuesWithThatManyTrainingSentences() throws {
        let directory = try TinyModel.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (training, labels) = try files(in: directory)
        var settings = EvaluationSettings(model: Self.model(), modelPath: "tiny", chain: ChainSettings(seed: 3, steps: 5),
                                          trainingFiles: [training], labelFiles: [labels])
        settings.parts = [.control, .pairs]
        settings.perTarget = 2
        settings.minimumExamples = Self.minimumExamples
        var streamed = [String]()
        let result = try Evaluation(settings: settings).run { streamed += EvaluationReport.lines(for: $0) }
        let control = try #require(result.control)
        #expect(control.targets.map { "\($0.field)=\($0.value)" } == ["food=Italian"])
        #expect(control.targets[0].samples == 2 && (0...2).contains(control.targets[0].hits))
        #expect(control.fields.map(\.field) == ["food"] && control.success == control.targets[0].successRate)
        #expect(control.minimumExamples == Self.minimumExamples)
        #expect(streamed.contains("\n== control (1 values with at least 20 training examples, 2 samples each)"))
        // One value cannot make a cross-field pair.
        #expect(result.pairs?.outcomes.isEmpty == true && result.triples == nil && result.report == streamed)
    }

    @Test func partsAndTargetsNarrowTheEvaluation() throws {
        let directory = try TinyModel.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (training, labels) = try files(in: directory)
        var settings = EvaluationSettings(model: TinyModel.make(diffusionSteps: 200), modelPath: "tiny",
                                          chain: ChainSettings(seed: 1, steps: 4), trainingFiles: [training], labelFiles: [labels])
        settings.parts = [.control, .pairs, .triples]
        let result = try Evaluation(settings: settings).run()
        #expect(result.unguided == nil && result.length == nil && result.infill == nil && result.control == nil)
        #expect(result.pairs == nil && result.triples == nil)
        #expect(result.controlSkipped == "this model has no classifier")
        #expect(result.report.last == "\n== control: skipped (this model has no classifier)")
    }
}

@Suite struct BenchmarkTests {
    @Test func tinyRepeatsGiveFiniteFiguresAndTheJSONKeys() throws {
        let model = EvaluationTests.model(threeFields: true)
        var settings = BenchmarkSettings(model: model, modelPath: "tiny")
        settings.trainIterations = 1
        var repeats = BenchmarkRepeats()
        repeats.stepChains = 1; repeats.stepsPerChain = 2; repeats.step = 3; repeats.freeLengthStep = 3
        repeats.chain = 1; repeats.gemm = 1; repeats.stepGemm = 1
        settings.repeats = repeats
        let frames = Counter()
        settings.renderFrame = { state, summary, _ in
            #expect(state.current == 60 && summary.vocabularySize == model.vocabulary.count)
            frames.add()
        }
        let result = try Benchmark(settings: settings).run()
        #expect(frames.value == BenchmarkView.allCases.count * (3 + 3))
        for (name, value) in result.figures {
            let v = try #require(value, "\(name) is nil")
            #expect(v.isFinite && v > 0, "\(name) = \(v)")
        }
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.json.utf8)) as? [String: Any])
        let blasKeys = ["blasLibrary", "blasVersion", "blasCoreType", "blasCoreChosenBy", "blasConfig"]
        #expect(Set(object.keys) == Set(result.figures.map(\.name) + ["machine", "model"] + blasKeys))
        let decoded = try JSONDecoder().decode(BenchmarkResult.self, from: Data(result.json.utf8))
        #expect(abs(decoded.reverseStepMs - result.reverseStepMs) <= 0.0005)
        #expect(decoded.blas == result.blas && decoded.blas["blasCoreType"] == BLAS.coreType)
        #expect(result.report.count == 3 + result.figures.count)
    }

    @Test func aModelWithoutClassifierHasNoGuidedFigure() throws {
        var settings = BenchmarkSettings(model: TinyModel.make(diffusionSteps: 200), modelPath: "tiny")
        settings.trainIterations = 1
        var repeats = BenchmarkRepeats()
        repeats.stepChains = 1; repeats.stepsPerChain = 1; repeats.step = 1; repeats.freeLengthStep = 1
        repeats.chain = 1; repeats.gemm = 1; repeats.stepGemm = 1
        settings.repeats = repeats
        let result = try Benchmark(settings: settings).run()
        #expect(result.guidedStepMs == nil && result.guidedStepThreeControlsMs == nil && result.frameMs == nil)
        #expect(result.json.contains("\"guidedStepMs\":null") && result.json.contains("\"guidedStepThreeControlsMs\":null"))
        #expect(result.report.contains { $0.hasPrefix("guidedStepMs") && $0.hasSuffix("n/a (model has no classifier)") })
    }
}

/// A thread-safe call counter for closures the services call.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}

/// Evaluation results written before the temperature was recorded read with temperature 1.
@Suite struct EvaluationHeaderCodingTests {
    @Test func headerWithoutATemperatureReadsAsOne() throws {
        let header = EvaluationHeader(model: "m", steps: 10, seed: 2, trainingSentences: 5, heldOutSentences: 1,
                                      meanLength: 9.5, temperature: 0.7)
        #expect(Set(Mirror(reflecting: header).children.compactMap(\.label)) == Set(EvaluationHeader.CodingKeys.allCases.map(\.stringValue)))
        var object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(header)) as? [String: Any])
        #expect(try JSONDecoder().decode(EvaluationHeader.self, from: JSONSerialization.data(withJSONObject: object)) == header)
        object.removeValue(forKey: "temperature")
        let old = try JSONDecoder().decode(EvaluationHeader.self, from: JSONSerialization.data(withJSONObject: object))
        #expect(old.temperature == 1 && old.seed == 2 && old.meanLength == 9.5)
        object.removeValue(forKey: "seed")
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(EvaluationHeader.self, from: JSONSerialization.data(withJSONObject: object))
        }
    }

    /// Results written before kinds read as continuous; a masked model's header keeps its kind.
    @Test func headerWithoutAKindReadsAsContinuous() throws {
        let header = EvaluationHeader(model: "m", steps: 10, seed: 2, trainingSentences: 5, heldOutSentences: 1,
                                      meanLength: 9.5, temperature: 0.5, kind: .masked)
        var object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(header)) as? [String: Any])
        #expect(try JSONDecoder().decode(EvaluationHeader.self, from: JSONSerialization.data(withJSONObject: object)).kind == .masked)
        object.removeValue(forKey: "kind")
        #expect(try JSONDecoder().decode(EvaluationHeader.self, from: JSONSerialization.data(withJSONObject: object)).kind == .continuous)
    }

    /// The report states the guidance each kind runs: the continuous knobs, exact scores of
    /// committed (masked) or changed (uniform) words, or the first-order reweighting without candidates.
    @Test func theReportStatesEachKindsGuidance() {
        func lines(_ kind: ModelKind, candidates: Int? = nil) -> String {
            var g = GuidanceSettings.defaults(for: kind)
            if let candidates { g.candidates = candidates }
            return EvaluationReport.lines(for: .controlBegan(values: 3, minimumExamples: 0, perTarget: 2, guidance: g, kind: kind))
                .joined(separator: "\n")
        }
        #expect(lines(.continuous).contains("3 steps of 0.1 (normalized), weight 1"))
        #expect(lines(.masked).contains("weight 3; each committed word drawn among 64 candidates"))
        #expect(lines(.masked, candidates: 0).contains("weight 3, first-order reweighting"))
        #expect(lines(.uniform).contains("weight 8; each changed word drawn among 64 candidates"))
        #expect(lines(.uniform, candidates: 0).contains("weight 8, first-order reweighting"))
        #expect(!lines(.uniform).contains("lambda"))
    }
}

/// `denoise info`: one value behind the text report and the JSON.
@Suite struct ModelInfoTests {
    @Test func theTextAndTheJSONTellTheSameModel() throws {
        let model = EvaluationTests.model()
        let info = ModelInfo(model: model, path: "Models/tiny")
        let lines = info.lines
        #expect(lines.first == "model       Models/tiny")
        #expect(lines.contains("parameters  \(model.denoiser.parameterCount) (denoiser + embedding + head bias)"))
        #expect(lines.contains("vocabulary  \(model.vocabulary.count) words (PAD START END UNK + \(model.vocabulary.count - 4))"))
        #expect(lines.contains("training    none (randomly initialised)"))
        #expect(lines.contains("blas        \(BLAS.summary)"))
        #expect(lines.suffix(2) == ["  food: French, Italian", "  area: riverside, city centre"])
        let decoded = try JSONDecoder().decode(ModelInfo.self, from: Data(info.json.utf8))
        #expect(decoded == info && decoded.lines == lines)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(info.json.utf8)) as? [String: Any])
        #expect(object["parameters"] as? Int == model.denoiser.parameterCount)
        #expect((object["classifier"] as? [String: Any])?["pooling"] as? String == "mean")
        #expect((object["config"] as? [String: Any])?["sequenceLength"] as? Int == 16)
    }
}
