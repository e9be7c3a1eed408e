import DenoiseCore

/// The guided tour (`denoise tour`, `T`): numbered stops on the live chain. Each stop
/// highlights one panel, says one idea in a few lines and names the key to press next; when the
/// key has done its work (the step sent, the branch made, the view shown) the tour moves on.
/// Pure: the reducer asks `follow` after every command, and the frame draws the current stop.
public enum GuidedTour {
    /// One stop of the tour.
    struct Stop: Sendable {
        let panel: AppState.Panel
        let title: String
        let text: @Sendable (Explain.Facts) -> [String]
        /// The key to press, as written on screen ("" on the last stop).
        let key: String
        let action: String
        /// Whether the command just reduced (with its effects and resulting state) is the one
        /// this stop asks for; nil on the last stop.
        let done: (@Sendable (Command, [Effect], AppState) -> Bool)?
        var needsClassifier = false
    }

    static func sends(_ effects: [Effect], _ test: (EngineRequest) -> Bool) -> Bool {
        effects.contains { if case .send(let request) = $0 { return test(request) }; return false }
    }

    static let allStops: [Stop] = [
        Stop(panel: .main, title: "a sentence out of noise", text: { f in [
            "Diffusion-LM writes by removing noise. Each of the \(f.length) positions holds a vector x_t; at step 0 it is pure noise.",
            "Row \(Explain.hat) is the model's guess of the clean sentence, rounded to the nearest words; row x_t is the noisy latent itself.",
        ] }, key: "→", action: "take one denoising step",
             done: { command, effects, _ in command == .stepForward && sends(effects) { $0 == .stepForward } }),
        Stop(panel: .noise, title: "how much noise is left", text: { f in [
            "t counts noise levels down to 0. Now ᾱ = \(Explain.fixed(f.snapshot.alphaBar, 3)): the share of signal in x_t (1 is clean, 0 is pure noise).",
            "σ is the noise's size and SNR compares the two, in dB.",
        ] }, key: "space", action: "play the chain",
             done: { _, effects, _ in sends(effects) { if case .play = $0 { return true }; return false } }),
        Stop(panel: .rounding, title: "words settle", text: { f in [
            "Watch the changed count fall (\(f.snapshot.changed.count)/\(f.length) now) and the lock row fill: each mark is the step a position last changed.",
            "The mean distance to the nearest words shrinks as the chain commits.",
        ] }, key: "space", action: "pause",
             done: { _, effects, _ in sends(effects) { $0 == .pause } }),
        Stop(panel: .inspector, title: "one position up close", text: { f in [
            "The inspector shows position \(f.inspected): its nearest words and their distances, and the words it went through.",
            "Margin is how much farther the runner-up word is: a small margin can still flip.",
        ] }, key: "Tab", action: "inspect the next position",
             done: { command, _, _ in command == .inspectNext }),
        Stop(panel: .inspector, title: "every panel explains itself", text: { _ in [
            "E opens an explanation of the highlighted panel, written with this step's numbers. E again (or Esc) closes it.",
            "n and N move the highlight to the other panels.",
        ] }, key: "E", action: "explain the inspector",
             done: { _, _, state in state.overlay == .explain }),
        Stop(panel: .controls, title: "steering with a classifier", text: { _ in [
            "A classifier reads the noisy latent and gives p(field=value | x_t). Guidance nudges x_t up its gradient at every step.",
            "Press c, choose a field, then a value, and Enter: a new branch starts here, guided.",
        ] }, key: "c", action: "add a control",
             done: { _, effects, _ in sends(effects) { if case .branch(let s) = $0 { return !s.controls.isEmpty }; return false } },
             needsClassifier: true),
        Stop(panel: .rounding, title: "clamping", text: { f in [
            "Clamping replaces \(Explain.hat) by its nearest words after every step, so the chain commits early. It is \(f.engine.settings.clamp ? "on" : "off") now.",
            "x toggles it, as a new branch from this step.",
        ] }, key: "x", action: "toggle clamping",
             done: { command, effects, _ in command == .toggleClamp && !effects.isEmpty }),
        Stop(panel: .main, title: "branches", text: { f in [
            "Each change made a branch from the step you were on; there are \(f.engine.branches.count) now. [ and ] switch between them.",
            "B shows the other branch's sentence above this one, differing words marked.",
        ] }, key: "B", action: "compare two branches",
             done: { _, _, state in state.compare }),
        Stop(panel: .main, title: "to the end", text: { f in [
            "The chain ends at step \(f.snapshot.totalSteps), t = 0: x_t itself is rounded to words and that is the sample.",
        ] }, key: "End", action: "run to the last step",
             done: { command, effects, _ in command == .toEnd && !effects.isEmpty }),
        Stop(panel: .main, title: "the geometry", text: { _ in [
            "v switches the main area to the geometry view: the words' embeddings on a map, every position's latent among them, and the rounding plane of the inspected position.",
        ] }, key: "v", action: "show the geometry view",
             done: { _, _, state in state.mainView == .geometry }),
        Stop(panel: .main, title: "the whole chain at once", text: { _ in [
            "The timeline shows every step as a row and every position as a column: you can see where each word locked in.",
        ] }, key: "v", action: "show the timeline",
             done: { _, _, state in state.mainView == .timeline }),
        Stop(panel: .main, title: "three ways to corrupt text", text: { f in [
            "This model is \(f.summary.kind.label): its noise \(f.summary.kind == .continuous ? "blurs word vectors, and rounding settles the words" : f.summary.kind == .masked ? "hides words behind MASK, and the chain commits them one by one" : "swaps words for random ones, and the chain replaces them").",
            "The other kinds corrupt differently: masked models hide words, uniform models swap them, continuous models blur vectors. K shows another model's chain beside this one, step for step.",
        ] }, key: "K", action: "compare with a bundled model",
             done: { _, effects, _ in effects.contains { if case .openCompare = $0 { return true }; return false } }),
        Stop(panel: .main, title: "that was the tour", text: { _ in [
            "Every key keeps working: b branches, s starts a new seed, ? lists all keys, E explains any panel.",
            "Esc leaves the tour and keeps the playground; T starts it again.",
        ] }, key: "", action: "", done: nil),
    ]

    /// The stops for a model: the classifier stop only when the model has one.
    static func stops(_ summary: ModelSummary) -> [Stop] {
        allStops.filter { !$0.needsClassifier || !summary.fields.isEmpty }
    }

    /// Number of stops for `summary`'s model.
    public static func stopCount(_ summary: ModelSummary) -> Int { stops(summary).count }

    /// `state` at the tour's first stop, its panel focused.
    public static func start(_ state: AppState, summary: ModelSummary) -> AppState {
        var state = state
        state.tourStop = 0
        state.focus = stops(summary)[0].panel
        return state
    }

    /// After a command: the next stop when the command did what the current stop asked. The
    /// stop's panel takes focus when the tour moves on, or when an explanation closes; an open
    /// explanation keeps explaining the panel it was opened on.
    static func follow(from before: AppState, to state: AppState, _ command: Command, _ effects: [Effect],
                       summary: ModelSummary) -> AppState {
        let stops = stops(summary)
        guard let index = state.tourStop, stops.indices.contains(index) else { return state }
        var next = state
        let moved = stops[index].done?(command, effects, state) == true && stops.indices.contains(index + 1)
        if moved { next.tourStop = index + 1 }
        let closedExplanation = before.overlay == .explain && next.overlay != .explain
        if (moved && next.overlay != .explain) || closedExplanation { next.focus = stops[next.tourStop!].panel }
        return next
    }

    /// What the frame shows for the current stop.
    struct Card {
        let number: Int
        let count: Int
        let stop: Stop
        let lines: [String]
    }

    static func card(state: AppState, engine: EngineState, summary: ModelSummary) -> Card? {
        let stops = stops(summary)
        guard let index = state.tourStop, stops.indices.contains(index), engine.hasSnapshot else { return nil }
        let facts = Explain.facts(state: state, engine: engine, summary: summary)
        return Card(number: index + 1, count: stops.count, stop: stops[index], lines: stops[index].text(facts))
    }
}
