import Foundation
import DenoiseCore

/// `E` on a masked or uniform chain: the same topics as for the continuous chain, told for
/// tokens instead of vectors, with the numbers of the step on screen as the panels print them.
/// Without controls, the controls topic is the continuous chain's (nil here).
extension Explain {
    static func discretePage(_ topic: ExplainTopic, _ f: Facts) -> Page? {
        let d = DiscreteDigest(f.engine)
        switch topic {
        case .noise: return discreteNoise(f)
        case .strip: return discreteStrip(f)
        case .forward: return discreteForward(f)
        case .rounding: return commits(f, d)
        case .inspector: return discreteInspector(f, d)
        case .timeline: return discreteTimeline(f)
        case .geometry:
            return Page(title: "geometry: for continuous models", paragraphs: [
                "A \(f.summary.kind.label) chain moves between words: every state is a row of token ids (and MASK), never a vector, so there is no latent x_t to place on the embedding map and nothing to round.",
                "The timeline (v) shows this chain's course instead: positions across, steps down, shaded by how sure the prediction was.",
            ])
        case .controls: return f.engine.settings.controls.isEmpty ? nil : discreteControls(f)
        }
    }

    /// The controls and how guidance acts on this kind of chain, with this step's scores and nudge.
    static func discreteControls(_ f: Facts) -> Page {
        let s = f.snapshot, settings = f.engine.settings, g = settings.guidance
        let masked = f.summary.kind == .masked, exact = g.candidates > 0
        var paragraphs: [String] = []
        for control in settings.controls.prefix(2) {
            let key = control.description
            let p = s.scores[key].map { fixed($0, 2) } ?? "--"
            let state = masked ? "the partly masked sentence x_t" : "the partly replaced sentence x_t"
            paragraphs.append("p(\(key) | x_t) = \(p): the classifier reads \(state) at t = \(s.t) and gives the probability that the finished sentence says \(key).")
        }
        let w = Describe.trimmed(Double(g.weight))
        if exact && masked {
            let likeliest = (g.candidates + 1) / 2
            paragraphs.append("Guidance acts where a masked chain decides: when a position commits, its word is drawn among \(g.candidates) candidates (the \(likeliest) likeliest and the \(g.candidates - likeliest) the classifier's gradient favours), each weighted by p(word)^(1/T) · p(controls | the sentence with it)^w, w = \(w). The classifier scores every candidate sentence. Which positions commit is the unguided draw.")
            paragraphs.append(s.guidanceNorm > 0
                ? "nudge \(fixed(s.guidanceNorm, 2)): how much guidance changed the committed positions' word scores at this step (L2 norm, centred)."
                : "nudge 0: no position committed at this step, so guidance had nothing to choose.")
        } else if exact {
            paragraphs.append("Guidance acts where a uniform chain changes a word: when the posterior draw replaces a position's word, the new one is drawn among the \(g.candidates) likeliest others, each weighted by q(word) · p(controls | the sentence with it)^w, w = \(w). The classifier scores every candidate sentence. Which positions change is the unguided draw.")
            paragraphs.append(s.guidanceNorm > 0
                ? "nudge \(fixed(s.guidanceNorm, 2)): how much guidance changed the changed positions' word scores at this step (L2 norm, centred)."
                : "nudge 0: no word changed at this step, so guidance had nothing to choose.")
        } else {
            paragraphs.append("Guidance adds w · (the first-order gain in log p(controls)) to every word's logit at every position, from one classifier gradient per step, w = \(w): cheap, but only as good as a straight line through the classifier.")
            paragraphs.append("nudge \(fixed(s.guidanceNorm, 2)): the L2 norm of that change to the logits at this step.")
        }
        return Page(title: "controls: classifier and guidance", paragraphs: paragraphs)
    }

    /// "α = 0.37: each word is still masked with probability 0.63; 30 of 48 are".
    static func alphaSentence(_ f: Facts) -> String {
        let s = f.snapshot, a = fixed(s.alphaBar, 2), rest = fixed(1 - s.alphaBar, 2)
        let length = s.xt.count
        if f.summary.kind == .masked {
            return "α = \(a): each word is still masked with probability \(rest); \(s.discrete?.maskedCount ?? 0) of \(length) are."
        }
        return "α = \(a): each word is the clean one with probability \(a), else (probability \(rest)) a word drawn uniformly from the \(f.summary.vocabularySize) of the vocabulary."
    }

    static func discreteNoise(_ f: Facts) -> Page {
        let s = f.snapshot
        return Page(title: "noise: α(t) of a \(f.summary.kind.label) chain", paragraphs: [
            alphaSentence(f),
            "t runs from 1 (all noise) to 0 (clean) over the \(s.totalSteps) steps, and α(t) = 1 − t (the log-linear schedule): this is step \(s.step) of \(s.totalSteps).",
            f.summary.kind == .masked
                ? "Masking is the corruption: a word is either itself or MASK, never a wrong word. Generating is unmasking: at each step some MASK positions are committed to a word, and a committed word stays."
                : "Replacing is the corruption: a word is either itself or a random word, and nothing marks which. Generating may change any position at any step, so a word can be replaced again later.",
            "The chart is α at every step, ▲ this one.",
        ])
    }

    static func discreteStrip(_ f: Facts) -> Page {
        let s = f.snapshot, length = s.xt.count
        let masked = f.summary.kind == .masked
        let shown = s.discrete?.maskedCount ?? 0
        return Page(title: "token strip: the \(f.summary.kind.label) chain", paragraphs: [
            masked
                ? "x_t is the chain's state: \(length - shown) of \(length) positions hold a committed word, \(shown) are still MASK (drawn \(f.glyphs.mask))."
                : "x_t is the chain's state: \(length) words, some still random. Nothing says which are wrong; the denoiser must judge every one.",
            "\(hat) is the denoiser's most likely word for every position given x_t: at this step its mean probability is \(fixed(meanTop(s), 2)).",
            masked
                ? "\(s.changed.count) position\(s.changed.count == 1 ? " was" : "s were") committed at this step (marked \(f.glyphs.changedMark)); the rule choosing which is \(s.discrete?.unmask?.rawValue ?? UnmaskRule.standard.rawValue) (b changes it)."
                : "\(s.changed.count) position\(s.changed.count == 1 ? "" : "s") changed at this step (marked \(f.glyphs.changedMark)).",
            alphaSentence(f),
        ])
    }

    static func discreteForward(_ f: Facts) -> Page {
        let s = f.snapshot
        return Page(title: "forward: corrupting the sentence", paragraphs: [
            f.summary.kind == .masked
                ? "Each step turns more words of the clean sentence into MASK: at step \(s.step) of \(s.totalSteps), \(s.discrete?.maskedCount ?? 0) of \(s.xt.count) are masked."
                : "Each step replaces more words of the clean sentence with random ones (about \(percent(1 - s.alphaBar)) of them by now).",
            alphaSentence(f),
            "\(hat) is what the denoiser guesses the clean sentence was, from the corrupted one; b edits from any step.",
        ])
    }

    static func commits(_ f: Facts, _ d: DiscreteDigest) -> Page {
        let s = f.snapshot, masked = f.summary.kind == .masked
        let confidence = d.meanConfidenceAtCommit.map { fixed($0, 2) } ?? "-"
        let entropy = d.meanEntropy.map { fixed($0, 2) } ?? "-"
        let done = masked ? s.xt.count - (s.discrete?.maskedCount ?? 0) : d.allEvents.count
        return Page(title: masked ? "commits" : "changes", paragraphs: [
            masked
                ? "\(done) of \(s.xt.count) positions hold a word (fixed from the start or committed); once committed a word stays to the end."
                : "\(done) changes so far over all positions; a uniform chain may change a word again.",
            "The prediction gave the words it \(masked ? "committed" : "changed to") a mean probability of \(confidence) at the step they were chosen.",
            "Entropy measures the prediction's doubt per position: 0 when sure of one word, ln \(f.summary.vocabularySize) = \(fixed(Double(f.summary.vocabularySize).logValue, 2)) when it cannot tell any apart. Its mean over the steps so far is \(entropy) nats; the chart shows it step by step.",
        ])
    }

    static func discreteInspector(_ f: Facts, _ d: DiscreteDigest) -> Page {
        let s = f.snapshot, p = min(f.inspected, max(0, s.xt.count - 1))
        let candidates = p < s.candidates.count ? s.candidates[p].filter { $0.probability != nil } : []
        let listed = candidates.prefix(5).map { "\($0.text) \(fixed(Double($0.probability ?? 0), 2))" }.joined(separator: ", ")
        let events = p < d.events.count ? d.events[p] : []
        let history = events.isEmpty
            ? (f.summary.kind == .masked ? "It is still masked." : "It has not changed since step 0.")
            : "It was \(f.summary.kind == .masked ? "committed" : "changed") at step " + events.map { "\($0.step) to \"\($0.text)\"" + ($0.probability.map { " (p \(fixed(Double($0), 2)))" } ?? "") }.joined(separator: ", then ") + "."
        return Page(title: "inspector: position \(p)", paragraphs: [
            listed.isEmpty ? "Step 0 has no prediction yet." : "The denoiser's top words here, with their probabilities: \(listed).",
            history,
            "A word committed with a low probability was a gamble of the sampler; the unmask rule decides whether sure positions go first.",
        ])
    }

    static func discreteTimeline(_ f: Facts) -> Page {
        Page(title: "timeline of a \(f.summary.kind.label) chain", paragraphs: [
            "Positions across, steps 0 to \(f.snapshot.totalSteps) down. A cell is shaded by the prediction's doubt (1 − the top word's probability): light is sure, dark unsure.",
            f.summary.kind == .masked ? "A mark is the step a position was committed: each column has one." : "A mark is a step the position's word changed: a column can have several.",
        ])
    }

    static func meanTop(_ s: StepSnapshot) -> Double {
        let known = s.x0.compactMap(\.probability)
        return known.isEmpty ? 0 : Double(known.reduce(0, +)) / Double(known.count)
    }
}

private extension Double {
    var logValue: Double { Foundation.log(self) }
}
