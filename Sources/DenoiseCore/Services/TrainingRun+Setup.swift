import Foundation

/// Everything a run needs before its first iteration: the data, the model's config and the
/// optimizer options, decided from the settings (new run, `initFrom`, or `resume`).
struct TrainingPlan {
    var folder: ModelFolder
    var statePath: String
    var config: ModelConfig
    var options: TrainOptions
    var data: TrainingData
    /// The model a run started from (`initFrom`), kept across resumes.
    var startedFrom: String?
    var initFrom: String?

    /// A model with the run's initial weights: random from the seed, or copied from `initFrom`.
    func makeModel() throws -> Denoiser {
        let model = Denoiser(config: config, seed: options.seed)
        if let source = initFrom {
            let (loaded, _) = try ModelFolder(path: source).loadTrainableDenoiser()
            model.params.values.copy(from: loaded.params.values)
        }
        return model
    }
}

extension TrainingRun {
    func prepare() throws -> TrainingPlan {
        let folder = ModelFolder(path: settings.out)
        let statePath = folder.file(Trainer.stateFile)
        let examples = try settings.data.flatMap { try CorpusReader.read(path: $0) }
        try checkOutputFolder()

        var vocabulary: Vocabulary? = nil
        var options = settings.options
        var config: ModelConfig
        var startedFrom: String? = nil
        if settings.resume {
            options = try Trainer.savedOptions(at: statePath)
            // `iterations` with `resume` moves the end of the run (and of the cosine decay).
            if let n = settings.iterations { options.totalIterations = n }
            config = try folder.loadConfig()
            vocabulary = try folder.loadVocabulary(config: config)
            startedFrom = config.training?.startedFrom
        } else {
            options.totalIterations = settings.iterations ?? 1_000_000
            if let source = settings.initFrom {
                // The starting model decides the architecture and the vocabulary.
                let sourceFolder = ModelFolder(path: source)
                config = try sourceFolder.loadConfig()
                vocabulary = try sourceFolder.loadVocabulary(config: config)
                startedFrom = source + (config.training.map { " at iteration \($0.iterations)" } ?? "")
            } else {
                config = settings.architecture
            }
        }
        let trainingData = try TrainingData(examples: examples, length: config.sequenceLength, minCount: settings.minCount,
                                            heldOutPercent: settings.heldOutPercent, vocabulary: vocabulary,
                                            addingMask: config.modelKind == .masked)
        config.vocabSize = trainingData.vocabulary.count
        config.lengthHistogram = trainingData.lengthHistogram
        try config.validate(file: "training options")
        return TrainingPlan(folder: folder, statePath: statePath, config: config, options: options, data: trainingData,
                            startedFrom: startedFrom, initFrom: settings.resume ? nil : settings.initFrom)
    }

    /// Refuses an output folder that cannot be created or written before any time is spent.
    func checkOutputFolder() throws {
        let out = settings.out
        do { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) } catch {
            throw DenoiseError.file(out, "cannot create the output folder (is the parent folder missing or not writable?)")
        }
        guard FileManager.default.isWritableFile(atPath: out) else { throw DenoiseError.file(out, "output folder is not writable") }
    }
}
