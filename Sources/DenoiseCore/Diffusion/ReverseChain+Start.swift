import Foundation

/// Editing by partial noising (SDEdit, Meng et al. 2021, on Diffusion-LM's latent): a sentence
/// is noised to t = S·T with the forward process and the reverse chain runs from there, so a
/// small strength S keeps most of the sentence and S = 1 starts from (almost) pure noise.
public struct SentenceEdit: Sendable {
    public let source: SourceSentence
    public let strength: Double

    public init(source: SourceSentence, strength: Double) throws {
        try Self.validate(strength: strength)
        self.source = source
        self.strength = strength
    }

    /// Checks a strength: 0 < S <= 1.
    public static func validate(strength: Double) throws {
        guard strength.isFinite, strength > 0, strength <= 1 else {
            throw DenoiseError.invalid("--strength \(strength) is out of range: accepted 0 < S <= 1 (the share of the T noise steps the sentence is noised by)")
        }
    }

    /// The schedule index a chain starts at for strength S: the respaced index whose original
    /// time index is nearest to S·T - 1 (time indices run 0...T-1 and index i holds the noise of
    /// continuous time (i+1)/T, so S = 1 is the last index, pure noise). Ties go to the noisier index.
    public static func scheduleIndex(strength: Double, schedule: NoiseSchedule, diffusionSteps: Int) throws -> Int {
        try validate(strength: strength)
        let target = strength * Double(diffusionSteps) - 1
        var best = 0
        for (j, t) in schedule.timesteps.enumerated() where abs(Double(t) - target) <= abs(Double(schedule.timesteps[best]) - target) {
            best = j
        }
        return best
    }

    /// The chain settings of an edit: the source's length fixed, as `--length` does, unless the
    /// settings already fix a length or template or let the model decide (`freeLength`).
    public func settings(_ settings: ChainSettings) -> ChainSettings {
        var s = settings
        if s.lengthMode == .prior { s.lengthMode = .exact(source.wordCount) }
        return s
    }
}

extension ReverseChain {
    /// Positions the chain at schedule index `index` with `latent` ([batch, L, D]) as its x_t:
    /// the next `step` predicts from it at that index's time. The fixed positions are applied
    /// at once, as a fresh chain does. The random streams are kept.
    public func start(atScheduleIndex index: Int, latent x: [Float]) {
        precondition(index >= 0 && index < schedule.count, "schedule index \(index) outside 0..<\(schedule.count)")
        precondition(x.count == latent.count, "a start latent needs \(latent.count) values, got \(x.count)")
        var state = saveState()
        state.latent = x
        state.previousPrediction = []  // nothing predicted yet: the first step reads zeros
        state.stepsTaken = schedule.count - 1 - index
        state.previousSentence = []
        restore(state)
        applyConstraints(to: latent.pointer) { self.rounder.embeddingRow($0) }
    }

    /// Starts an edit of the source at strength S: every sequence b gets its own noise eps_b from
    /// `ForwardProcess.noiseSource(seed: settings.seed + b)` (one draw per sample), x_t =
    /// sqrt(abar) x0 + sqrt(1 - abar) eps_b at the index `SentenceEdit.scheduleIndex` picks.
    /// Returns that index.
    @discardableResult
    public func startEdit(_ edit: SentenceEdit) throws -> Int {
        let index = try SentenceEdit.scheduleIndex(strength: edit.strength, schedule: schedule,
                                                   diffusionSteps: model.config.diffusionSteps)
        let per = length * dim
        let x0 = FloatBuffer(count: per), eps = FloatBuffer(count: per)
        edit.source.embed(into: x0.pointer, model: model)
        var latents = [Float](repeating: 0, count: batch * per)
        latents.withUnsafeMutableBufferPointer { out in
            for b in 0..<batch {
                var rng = ForwardProcess.noiseSource(seed: settings.seed &+ UInt64(b))
                rng.fillNormal(eps.pointer, count: per)
                ForwardProcess.noised(x0.pointer, noise: eps.pointer, alphaBar: schedule.alphaBars[index], count: per,
                                      into: out.baseAddress! + b * per)
            }
        }
        start(atScheduleIndex: index, latent: latents)
        return index
    }

    /// Schedule index the next step runs at (nil once finished).
    public var nextScheduleIndex: Int? { isFinished ? nil : nextIndex }
}

extension BatchSampler {
    /// `count` edits (sample i: seed + i, its own noise draw), batched as `sample` batches fresh
    /// chains. The settings fix the source's length unless they say otherwise (`SentenceEdit.settings`).
    public static func edit(model: DiffusionModel, settings: ChainSettings, edit: SentenceEdit, count: Int,
                            workers: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> Result {
        try sample(model: model, settings: edit.settings(settings), count: count, workers: workers) { try $0.startEdit(edit) }
    }
}
