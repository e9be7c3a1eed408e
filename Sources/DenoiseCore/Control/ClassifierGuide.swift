import Foundation

/// Plug-and-play guidance and scoring with the attribute classifier (docs/DESIGN.md, "The method").
///
/// After a reverse step produced x_{t-1} with posterior mean mu, a few gradient steps on
///   w * sum_c -log p(c | x, t-1)  +  lambda * |mu - x|^2 / sigma
/// move x towards the controls while the second term keeps it near what the denoiser proposed.
/// The default update is sign gradient descent (the reference implementation's optimizer in
/// effect); `.normalized` spends the same budget along the gradient itself. Steps on the
/// prediction x0-hat (`guidePrediction`) and saturation (`measureUnmet`) are this project's
/// additions. Several controls add their losses. A value the classifier tags (a name, a
/// place, a price phrase) is scored by its best span (`Classifier.bestSpan`), every other
/// value by the sentence head. Owned by one chain, on the chain's thread.
public final class ClassifierGuide {
    public let classifier: Classifier
    /// (field index, class index, display key "field=value") of every control.
    public let targets: [(field: Int, classIndex: Int, key: String)]
    /// Per target: scored by its best span (the classifier tags the value) rather than the sentence head.
    let tagged: [Bool]
    /// Per target: the sentence head scores it too (untagged values, and `TagScore.both`).
    let headed: [Bool]
    let batch: Int
    let ws: Classifier.Workspace
    let dx: FloatBuffer
    /// The classifier's weights with matrices transposed, for its input gradients (taken when
    /// the guide is made; guidance never changes the weights).
    let transposed: FloatBuffer
    let timesteps: UnsafeMutablePointer<Int32>
    /// Per sequence, 1 - p(c | words) of its least satisfied control, from `measureUnmet`.
    let unmet: UnsafeMutablePointer<Float>
    /// Per sequence and control, 1 - p(c | words), from `measureUnmet` (for `.perControl`).
    let controlUnmet: UnsafeMutablePointer<Float>
    /// Gradient steps taken so far (for `.alternate`: whose turn it is).
    var gradientSteps = 0

    /// Resolves `controls` against the classifier's field/value table; an unknown field or value
    /// is an error that lists what is accepted.
    public init(classifier: Classifier, controls: [ControlTarget], batch: Int, tagScore: TagScore = .both) throws {
        self.classifier = classifier
        var targets = [(field: Int, classIndex: Int, key: String)](), tagged = [Bool]()
        for control in controls {
            guard let k = classifier.fieldIndex(control.field) else {
                throw DenoiseError.invalid("unknown control field \"\(control.field)\": accepted \(classifier.fields.map(\.name).joined(separator: ", "))")
            }
            let field = classifier.fields[k]
            guard let c = field.values.firstIndex(where: { $0.lowercased() == control.value.lowercased() }) else {
                throw DenoiseError.invalid("unknown value \"\(control.value)\" for \(field.name): accepted \(field.values.joined(separator: ", "))")
            }
            targets.append((k, c, "\(field.name)=\(field.values[c])"))
            tagged.append(tagScore != .head && classifier.tags.isTagged(field: k, value: c))
        }
        self.targets = targets
        self.tagged = tagged
        headed = tagged.map { !$0 || tagScore == .both }
        self.batch = batch
        ws = Classifier.Workspace(classifier: classifier, batch: batch)
        transposed = classifier.params.transposedMatrices()
        dx = FloatBuffer(count: batch * classifier.sequenceLength * classifier.embeddingDim)
        timesteps = .allocate(capacity: batch)
        timesteps.initialize(repeating: 0, count: batch)
        unmet = .allocate(capacity: batch)
        unmet.initialize(repeating: 1, count: batch)
        controlUnmet = .allocate(capacity: max(1, batch * targets.count))
        controlUnmet.initialize(repeating: 1, count: max(1, batch * targets.count))
    }

    deinit { timesteps.deallocate(); unmet.deallocate(); controlUnmet.deallocate() }

    /// Every sequence's words already say every control (1 - p below 0.001, so saturated
    /// steps would move nothing measurable): the classifier passes of this step are skipped.
    var allMet: Bool { (0..<batch).allSatisfy { unmet[$0] < 1e-3 } }

    /// Scores `words` [batch, L, D] (the clamped prediction: clean word embeddings) and keeps,
    /// per sequence, how far its least satisfied control is from certain. With saturating
    /// guidance every step is scaled by it: a sign step's size ignores the loss, so without
    /// this it keeps pushing text whose words already say what was asked, at fluency's cost.
    public func measureUnmet(words: UnsafePointer<Float>) {
        evaluate(words, t: 0)
        let probs = ws.probabilities.pointer, total = classifier.totalClasses
        for b in 0..<batch {
            var worst: Float = 0
            for i in targets.indices {
                let away = 1 - probability(target: i, sequence: b, probs: probs, total: total)
                controlUnmet[b * targets.count + i] = away
                worst = max(worst, away)
            }
            unmet[b] = worst
        }
    }

    /// Runs the classifier on x at time t; probabilities are then read with `score`/`guesses`.
    public func evaluate(_ x: UnsafePointer<Float>, t: Int) {
        for b in 0..<batch { timesteps[b] = Int32(t) }
        classifier.forward(x: x, timesteps: timesteps, batch: batch, workspace: ws)
    }

    /// p(control | x) of sequence b for every control, after `evaluate`: of its best span for a
    /// tagged value, of the sentence head otherwise.
    public func scores(sequence b: Int) -> [String: Float] {
        var out = [String: Float]()
        for (i, target) in targets.enumerated() {
            out[target.key] = probability(target: i, sequence: b, probs: ws.probabilities.pointer, total: classifier.totalClasses)
        }
        return out
    }

    /// Where the classifier places each tagged control's value in sequence b, after `evaluate`:
    /// the positions of its best span.
    public func locations(sequence b: Int) -> [String: Range<Int>] {
        var out = [String: Range<Int>]()
        for (i, target) in targets.enumerated() where tagged[i] {
            if let span = classifier.bestSpan(field: target.field, value: target.classIndex, sequence: b, workspace: ws) {
                out[target.key] = span.start..<(span.start + span.length)
            }
        }
        return out
    }

    /// p of target i for sequence b: its span's, its sentence head's, or their product, read from
    /// `workspace` (the guide's own unless given) after a forward pass.
    func probability(target i: Int, sequence b: Int, probs: UnsafePointer<Float>, total: Int,
                     workspace: Classifier.Workspace? = nil) -> Float {
        let target = targets[i]
        var p: Float = 1
        if tagged[i], let span = classifier.bestSpan(field: target.field, value: target.classIndex, sequence: b,
                                                     workspace: workspace ?? ws) {
            p = span.probability
        }
        if headed[i] { p *= probs[b * total + classifier.logitOffsets[target.field] + target.classIndex] }
        return p
    }

    /// sum_c log p(c | x_j) over the controls, for each of `count` sequences x [count, L, D] at
    /// time index t, into `out`: the exact log-likelihood that guidance by reweighting
    /// multiplies into a transition. Runs in the caller's `workspace` (made for at least `count`
    /// sequences), so the guide's own scores stay as they were.
    public func logLikelihoods(_ x: UnsafePointer<Float>, count: Int, t: Int, workspace: Classifier.Workspace,
                               timesteps: UnsafeMutablePointer<Int32>, out: UnsafeMutablePointer<Float>) {
        precondition(count <= workspace.batch, "workspace made for \(workspace.batch) sequences, asked \(count)")
        for j in 0..<count { timesteps[j] = Int32(t) }
        classifier.forward(x: x, timesteps: timesteps, batch: count, workspace: workspace)
        let probs = UnsafePointer(workspace.probabilities.pointer), total = classifier.totalClasses
        for j in 0..<count {
            var sum: Float = 0
            for i in targets.indices {
                sum += logf(max(probability(target: i, sequence: j, probs: probs, total: total, workspace: workspace), 1e-30))
            }
            out[j] = sum
        }
    }

    /// The most likely value ("none" included) of every field for sequence b, after `evaluate`.
    public func guesses(sequence b: Int) -> [FieldGuess] {
        classifier.fields.enumerated().map { k, field in
            var best = 0, bestP: Float = -1
            for c in 0..<field.classCount {
                let p = classifier.probability(field: k, classIndex: c, sequence: b, workspace: ws)
                if p > bestP { bestP = p; best = c }
            }
            return FieldGuess(field: field.name, value: best < field.values.count ? field.values[best] : "none", probability: bestP)
        }
    }

    /// Guidance steps on x [batch, L, D] (in place) at time t. Returns the L2 norm of the total
    /// change made to sequence 0.
    @discardableResult
    public func guide(_ x: UnsafeMutablePointer<Float>, mean: UnsafePointer<Float>, t: Int, sigma: Float,
                      settings g: GuidanceSettings) -> Float {
        guard !targets.isEmpty, g.iterations > 0, !(g.saturating && allMet) else { return 0 }
        return descend(x, anchor: mean, t: t, sigma: sigma, iterations: g.iterations, stepSize: g.stepSize,
                       lambda: g.lambda, update: g.update, weight: g.weight, saturating: g.saturating,
                       combination: g.combination)
    }

    /// Guidance steps on the denoiser's prediction x0-hat [batch, L, D] (in place), scored by the
    /// classifier as clean text (t = 0), before it is rounded. The classifier is most accurate
    /// on clean text, and a change here decides which word the clamping trick picks, which a
    /// nudge to x_{t-1} alone often cannot. No fluency term: the denoiser rewrites the context at
    /// the next step. Returns the L2 norm of the change made to sequence 0.
    @discardableResult
    public func guidePrediction(_ x0: UnsafeMutablePointer<Float>, settings g: GuidanceSettings) -> Float {
        guard willGuidePrediction(settings: g) else { return 0 }
        return descend(x0, anchor: nil, t: 0, sigma: 1, iterations: g.predictionIterations, stepSize: g.predictionStepSize,
                       lambda: 0, update: g.update, weight: g.weight, saturating: g.saturating,
                       combination: g.combination)
    }

    /// Whether `guidePrediction` would change anything (so a rounding made before it still holds).
    public func willGuidePrediction(settings g: GuidanceSettings) -> Bool {
        !targets.isEmpty && g.predictionIterations > 0 && !(g.saturating && allMet)
    }

    /// The gradient of the controls' loss sum_c -log p(c | x, t) (weighted as `combination`
    /// says) with respect to x [batch, L, D], into `dx`; `descend` steps along it, and a discrete
    /// chain turns it into a first-order reweighting of every position's word distribution.
    func controlGradient(_ x: UnsafePointer<Float>, t: Int, weight: Float, saturating: Bool,
                         combination: ControlCombination = .sum) {
        let total = classifier.totalClasses
        evaluate(x, t: t)
        let dl = ws.dLogits.pointer, probs = ws.probabilities.pointer
        ws.dLogits.zero()
        if classifier.tags.total > 0 { ws.dTagLogits.zero() }
        let turn = gradientSteps % targets.count
        gradientSteps += 1
        for b in 0..<batch {
            for (i, target) in targets.enumerated() {
                if combination == .alternate && targets.count > 1 && i != turn { continue }
                let weight = combination == .perControl && saturating ? weight * controlUnmet[b * targets.count + i] : weight
                if tagged[i], let span = classifier.bestSpan(field: target.field, value: target.classIndex, sequence: b, workspace: ws) {
                    classifier.addSpanGradient(field: target.field, value: target.classIndex, sequence: b, span: span,
                                               weight: weight, workspace: ws)
                }
                if !headed[i] { continue }
                // d(-log p_c)/d logits = p - onehot(c), over this field's classes.
                let off = b * total + classifier.logitOffsets[target.field]
                for j in 0..<classifier.fields[target.field].classCount { dl[off + j] += weight * probs[off + j] }
                dl[off + target.classIndex] -= weight
            }
        }
        dx.zero()
        classifier.backward(x: x, batch: batch, workspace: ws, dx: dx.pointer, weightGradients: false,
                            transposed: UnsafePointer(transposed.pointer))
    }

    /// The controls' loss gradient at x (see `controlGradient`), [batch, L, D].
    public func controlGradient(_ x: UnsafePointer<Float>, t: Int) -> UnsafePointer<Float> {
        controlGradient(x, t: t, weight: 1, saturating: false)
        return UnsafePointer(dx.pointer)
    }

    func descend(_ x: UnsafeMutablePointer<Float>, anchor mean: UnsafePointer<Float>?, t: Int, sigma: Float,
                 iterations: Int, stepSize: Float, lambda: Float, update: GuidanceUpdate, weight: Float,
                 saturating: Bool, combination: ControlCombination = .sum) -> Float {
        let l = classifier.sequenceLength, d = classifier.embeddingDim, n = batch * l * d
        let safeSigma = max(sigma, 1e-4)
        var change: Double = 0
        for _ in 0..<iterations {
            controlGradient(x, t: t, weight: weight, saturating: saturating, combination: combination)
            let grad = dx.pointer
            if let mean, lambda > 0 {
                let fluency = lambda * 2 / safeSigma
                for i in 0..<n { grad[i] += fluency * (x[i] - mean[i]) }
            }
            let per = l * d
            for b in 0..<batch {
                let gb = grad + b * per, xb = x + b * per
                var scale = stepSize * (saturating ? unmet[b] : 1)
                if update == .normalized {
                    var sumSquares: Float = 0
                    for i in 0..<per { sumSquares += gb[i] * gb[i] }
                    let rms = (sumSquares / Float(per)).squareRoot()
                    scale = rms > 0 ? scale / rms : 0
                }
                for i in 0..<per {
                    let gi = gb[i]
                    let delta = update == .sign ? (gi > 0 ? scale : (gi < 0 ? -scale : 0)) : scale * gi
                    xb[i] -= delta
                    if b == 0 { change += Double(delta * delta) }
                }
            }
        }
        return Float(change.squareRoot())
    }
}
