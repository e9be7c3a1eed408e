import Foundation
import DenoiseCore

/// The whole behaviour of the keys as one pure function: (state, command) -> (state, effects).
/// It never touches the terminal, the engine or the file system; the driver carries out the
/// effects. `engine` is the newest published engine state (nil until the first one arrives).
public enum Reducer {
    public static func reduce(_ state: AppState, _ command: Command, engine: EngineState?,
                              summary: ModelSummary) -> (AppState, [Effect]) {
        if case .resized(let width, let height) = command {
            var resized = state
            resized.screenWidth = width
            resized.screenHeight = height
            return (resized, [])
        }
        let usable = engine.flatMap { $0.hasSnapshot ? $0 : nil }
        var reduction = Reduction(state: state, engine: usable, summary: summary)
        reduction.state.status = nil
        reduction.apply(command)
        let toured = GuidedTour.follow(from: state, to: reduction.state, command, reduction.effects, summary: summary)
        return (toured, reduction.effects)
    }

    /// The generator behind `s`: SplitMix64, cut to five digits so a seed is easy to read out.
    static func nextSeed(_ state: inout UInt64, avoiding current: UInt64?) -> UInt64 {
        while true {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            let seed = (z ^ (z >> 31)) % 100_000
            if seed != current { return seed }
        }
    }
}

/// One command's worth of work: the state being built and the effects collected.
private struct Reduction {
    var state: AppState
    let engine: EngineState?
    let summary: ModelSummary
    var effects: [Effect] = []

    init(state: AppState, engine: EngineState?, summary: ModelSummary) {
        self.state = state; self.engine = engine; self.summary = summary
    }

    private var sequenceLength: Int {
        let count = engine?.snapshot.sentenceTokens.count ?? 0
        return count > 0 ? count : summary.sequenceLength
    }

    private mutating func say(_ text: String, error: Bool = false) {
        state.status = Status(text, isError: error)
    }

    private mutating func send(_ request: EngineRequest) { effects.append(.send(request)) }

    /// Moving by hand stops playback first, so the step the user asked for is the one shown.
    private mutating func sendPausing(_ request: EngineRequest) {
        if engine?.playing == true { send(.pause) }
        send(request)
    }

    mutating func apply(_ command: Command) {
        if command == .quit { effects.append(.quit); return }
        if state.sideBySide, state.overlay == .none, !compareKey(command) { return }
        if command == .toggleHelp || command == .dismiss || command == .accept { return overlayKey(command) }
        switch command {
        case .menuMove, .menuShortcut, .promptInsert, .promptBackspace, .promptComplete: return overlayKey(command)
        default: break
        }
        if command == .cycleTheme { return cycleTheme() }
        if viewKey(command) { return }
        guard let engine else { return say("waiting for the engine…") }
        let snapshot = engine.snapshot
        let forward = engine.direction == .forward
        switch command {
        case .stepForward:
            if forward && snapshot.step >= snapshot.totalSteps {
                say("last step (\(snapshot.totalSteps)): pure noise; b edits from any step")
            } else if snapshot.step >= snapshot.totalSteps {
                say("last step (\(snapshot.totalSteps)): b branches from here, s starts a new seed")
            } else {
                sendPausing(.stepForward)
            }
        case .stepBack:
            if snapshot.step == 0 {
                say(forward ? "already at step 0: the clean sentence" : "already at step 0: pure noise")
            } else {
                sendPausing(.stepBack)
            }
        case .toStart:
            sendPausing(.toStart)
        case .toEnd:
            sendPausing(.toEnd)
        case .togglePlay:
            if engine.playing {
                send(.pause)
            } else if snapshot.step >= snapshot.totalSteps {
                say("last step (\(snapshot.totalSteps)): Home goes back to the start")
            } else {
                send(.play(stepsPerSecond: state.speed))
            }
        case .faster, .slower:
            let delta = command == .faster ? 1 : -1
            state.speedIndex = min(max(state.speedIndex + delta, 0), AppState.speeds.count - 1)
            if engine.playing { send(.play(stepsPerSecond: state.speed)) }
            say("speed \(Describe.speed(state.speed)) steps/s")
        case .jumpPrompt:
            state.overlay = .prompt(Prompt(.jump))
        case .inspectPrompt:
            state.overlay = .prompt(Prompt(.inspect))
        case .branchMenu where forward && snapshot.step == 0:
            say("step 0 is the clean sentence: step forward to noise it, then b edits from there")
        case .branchMenu:
            state.draft = engine.settings
            openMenu(.branch, at: .confirmBranch)
        case .controlMenu:
            state.draft = nil
            openMenu(.controls)
        case .toggleClamp:
            edit("clamp \(engine.settings.clamp ? "off" : "on")") { $0.clamp.toggle() }
        case .reseed:
            let seed = Reducer.nextSeed(&state.seedState, avoiding: engine.settings.seed)
            send(.reseed(seed))
            say(forward ? "new forward walk, seed \(seed)" : "new chain from noise, seed \(seed)")
        case .inspectNext, .inspectPrevious:
            let n = sequenceLength
            guard n > 0 else { return }
            let delta = command == .inspectNext ? 1 : -1
            state.inspected = (min(state.inspected, n - 1) + delta + n) % n
        case .nextBranch, .previousBranch:
            switchBranch(by: command == .nextBranch ? 1 : -1)
        case .toggleCompare:
            if engine.branches.count < 2 && engine.source == nil && !state.compare {
                say("only one branch so far: b makes one, then B compares them")
            } else {
                state.compare.toggle()
            }
        case .export where forward:
            say("e exports reverse chains: b edits from this step, then e exports the edit")
        case .export:
            effects.append(.export)
        case .forwardMenu:
            state.draft = nil
            let current = forward ? engine.source ?? "" : snapshot.sentenceText
            openMenu(.forward(current: current, heldOut: !state.heldOutSentences.isEmpty))
        case .moveRow(let delta):
            moveRow(delta, engine)
        case .pinPrompt:
            openPinPrompt(engine)
        case .compareMenu:
            state.draft = nil
            openMenu(.compareModels(state.bundledModels))
        default:
            break
        }
    }

    /// On the compare screen only the keys that move both chains (→ ← space Home End g, speed,
    /// Tab, ?, q) go on to the usual handling, which acts on the first chain; the driver keeps
    /// the second in lockstep. `K` and Esc go back to the playground. True when `command` goes on.
    private mutating func compareKey(_ command: Command) -> Bool {
        switch command {
        case .stepForward, .stepBack, .toStart, .toEnd, .togglePlay, .faster, .slower, .jumpPrompt,
             .inspectNext, .inspectPrevious, .toggleHelp, .quit, .resized:
            return true
        case .compareMenu, .dismiss:
            state.sideBySide = false
            effects.append(.closeCompare)
            say("back to the playground (K compares again)")
            return false
        default:
            say("compare screen: \u{2192} \u{2190} space End g act on both chains; K or Esc goes back")
            return false
        }
    }

    /// The view keys that need no engine state; true when `command` was one of them.
    private mutating func viewKey(_ command: Command) -> Bool {
        switch command {
        case .cycleView:
            let views = AppState.MainView.allCases
            state.mainView = views[(views.firstIndex(of: state.mainView)! + 1) % views.count]
        case .switchPane:
            guard state.mainView == .geometry else { say("m switches the geometry view's panes (v shows it)"); return true }
            guard !GeometryView.sideBySide(width: state.screenWidth) else {
                say("both panes are shown side by side at this width"); return true
            }
            state.geometryPane = state.geometryPane == .map ? .plane : .map
        case .toggleMapPrediction:
            guard state.mainView == .geometry else { say("p switches the map between x_t and x\u{0302}0 (v shows the geometry view)"); return true }
            state.mapShowsPrediction.toggle()
        case .focusPanel(let delta):
            let panels = AppState.Panel.allCases
            let here = panels.firstIndex(of: state.focusedPanel)!
            state.focus = panels[(here + delta + panels.count) % panels.count]
        case .toggleExplain:
            state.focus = state.focusedPanel
            state.overlay = state.overlay == .explain ? .none : .explain
        case .toggleTour:
            if state.tourStop == nil {
                state = GuidedTour.start(state, summary: summary)
            } else {
                state.tourStop = nil
                say("tour closed: T starts it again")
            }
        case .toggleMapScale:
            guard state.mainView == .geometry else { say("a rescales the map's x_t by 1/√ᾱ (v shows the geometry view)"); return true }
            state.mapScaled.toggle()
            if state.mapShowsPrediction { say("a rescales x_t; the map shows x\u{0302}0 now (p switches)") }
        default:
            return false
        }
        return true
    }

    /// Up / down in the timeline: the first step of the row above or below the cursor's row.
    private mutating func moveRow(_ delta: Int, _ engine: EngineState) {
        guard state.mainView == .timeline else { return say("↑/↓ move the step cursor in the timeline view (v shows it)") }
        let total = engine.snapshot.totalSteps
        let rows = TimelineView.gridRows(screenWidth: state.screenWidth, screenHeight: state.screenHeight)
        let row = TimelineView.row(of: engine.snapshot.step, totalSteps: total, rows: rows)
        let target = TimelineView.firstStep(ofRow: row + delta, totalSteps: total, rows: rows)
        if target == engine.snapshot.step { return say(delta < 0 ? "already at step 0: pure noise" : "last step (\(total))") }
        sendPausing(.jump(to: target))
    }

    private mutating func cycleTheme() {
        guard state.colorsEnabled else {
            return say("colours are off (NO_COLOR or a terminal without colours)")
        }
        guard state.themes.count > 1 else { return say("no other theme in the themes folder") }
        let index = state.themes.firstIndex(of: state.themeName) ?? -1
        effects.append(.loadTheme(state.themes[(index + 1) % state.themes.count]))
    }

    private mutating func switchBranch(by delta: Int) {
        guard let engine, engine.branches.count > 1 else {
            return say("only one branch so far: b branches from the current step")
        }
        let branches = engine.branches
        let here = branches.firstIndex { $0.index == engine.branchIndex } ?? 0
        let target = branches[(here + delta + branches.count) % branches.count]
        send(.selectBranch(target.index))
        say("branch \(target.index + 1) of \(branches.count)")
    }

    // MARK: Overlays

    private mutating func overlayKey(_ command: Command) {
        switch (state.overlay, command) {
        case (.help, .toggleHelp), (.help, .dismiss), (.help, .accept):
            state.overlay = .none
        case (.none, .toggleHelp), (.explain, .toggleHelp):
            state.overlay = .help
        case (.explain, .dismiss), (.explain, .accept):
            state.overlay = .none
        case (.none, .dismiss) where state.tourStop != nil:
            state.tourStop = nil
            say("tour closed: T starts it again")
        case (.menu(let kind, _), .dismiss):
            leaveMenu(kind)
        case (.menu(let kind, let selected), .accept):
            let items = menuItems(kind)
            if items.indices.contains(selected), let action = items[selected].action { perform(action) }
        case (.menu(let kind, let selected), .menuMove(let delta)):
            state.overlay = .menu(kind, selected: Menus.move(menuItems(kind), from: selected, by: delta))
        case (.menu(let kind, _), .menuShortcut(let key)):
            if let item = menuItems(kind).first(where: { $0.shortcut == key && $0.action != nil }),
               let action = item.action {
                perform(action)
            }
        case (.prompt(let prompt), .dismiss):
            leavePrompt(prompt.kind)
        case (.prompt(let prompt), .accept):
            leavePrompt(prompt.kind)
            accept(prompt)
        case (.prompt(var prompt), .promptInsert(let c)):
            if prompt.input.count < 200, !(c.asciiValue.map { $0 < 32 || $0 == 127 } ?? false) {
                prompt.input.append(c)
            }
            prompt.completionPrefix = nil
            state.overlay = .prompt(prompt)
        case (.prompt(var prompt), .promptBackspace):
            if !prompt.input.isEmpty { prompt.input.removeLast() }
            prompt.completionPrefix = nil
            state.overlay = .prompt(prompt)
        case (.prompt(let prompt), .promptComplete):
            if case .pin = prompt.kind { state.overlay = .prompt(Completion.complete(prompt, in: summary.words)) }
        default:
            break
        }
    }

    /// The settings the open menu edits: the branch draft, or the shown branch's settings.
    private var editedSettings: ChainSettings {
        state.draft ?? engine?.settings ?? ChainSettings()
    }

    private func menuItems(_ kind: MenuKind) -> [MenuItem] {
        Menus.items(kind, settings: editedSettings, summary: summary)
    }

    /// Opens a menu with the line of `action` selected (the first selectable line without one,
    /// or when the menu has no such line).
    private mutating func openMenu(_ kind: MenuKind, at action: MenuAction? = nil) {
        let items = menuItems(kind)
        let index = action.flatMap { action in items.firstIndex { $0.action == action } }
        state.overlay = .menu(kind, selected: index ?? Menus.firstSelectable(items))
    }

    private mutating func leaveMenu(_ kind: MenuKind) {
        switch kind {
        case .values(let field):
            openMenu(.controls, at: .chooseField(field))
        case .controls where state.draft != nil:
            openMenu(.branch, at: .openControls)
        case .controls, .branch, .forward, .compareModels:
            state.draft = nil
            state.overlay = .none
        }
    }

    /// Where a closed prompt returns to: the menu it came from, or the main screen.
    private mutating func leavePrompt(_ kind: PromptKind) {
        switch kind {
        case .jump, .inspect:
            state.overlay = .none
        case .seed, .temperature, .eta, .steps:
            openMenu(.branch, at: .prompt(kind))
        case .pin:
            state.overlay = .none
        case .length, .infill, .guidanceWeight:
            openMenu(.controls)
        case .forwardText:
            state.overlay = .none
        }
    }

    private mutating func perform(_ action: MenuAction) {
        switch action {
        case .confirmBranch:
            guard let draft = state.draft else { return }
            let step = engine?.snapshot.step ?? 0
            send(.branch(draft))
            state.draft = nil
            state.overlay = .none
            let restart = engine.map { draft.steps != $0.settings.steps || draft.samplerDescription != $0.settings.samplerDescription } ?? false
            let sampler = draft.samplerKind == .ddim || engine?.settings.samplerKind == .ddim ? ", \(draft.samplerDescription)" : ""
            say("new branch from step \(restart ? 0 : step): \(Describe.controls(draft)), seed \(draft.seed), clamp \(draft.clamp ? "on" : "off")\(sampler)")
        case .toggleSampler:
            guard var draft = state.draft else { return }
            if draft.samplerKind == .ddim {
                draft.sampler = .ddpm
                draft.eta = nil
            } else {
                draft.sampler = .ddim
                draft.eta = 0
            }
            state.draft = draft
            openMenu(.branch, at: .toggleSampler)
        case .clearPins:
            state.draft?.pins = []
            openMenu(.branch, at: .confirmBranch)
        case .cycleUnmask:
            guard var draft = state.draft else { return }
            let rules = UnmaskRule.allCases
            draft.unmask = rules[(rules.firstIndex(of: draft.unmaskRule)! + 1) % rules.count]
            state.draft = draft
            openMenu(.branch, at: .cycleUnmask)
        case .compare(let path):
            state.overlay = .none
            effects.append(.openCompare(path))
            say("loading \((path as NSString).lastPathComponent) to compare side by side\u{2026}")
        case .openControls:
            openMenu(.controls)
        case .chooseField(let field):
            let current = editedSettings.controls.first { $0.field == field }?.value
            openMenu(.values(field: field), at: .setControl(field: field, value: current))
        case .setControl(let field, let value):
            let description = value.map { "\(field)=\($0)" } ?? "no control on \(field)"
            edit(description) { settings in
                settings.controls.removeAll { $0.field == field }
                if let value { settings.controls.append(ControlTarget(field: field, value: value)) }
            }
        case .clearControls:
            edit("controls cleared") { settings in
                settings.controls = []
                if settings.lengthMode != .free { settings.lengthMode = .prior }
            }
        case .prompt(let kind):
            state.overlay = .prompt(Prompt(kind, input: prefill(kind)))
        case .toggleClamp:
            state.draft?.clamp.toggle()
        case .forward(let text):
            startForward(text)
        case .forwardHeldOut:
            let sentences = state.heldOutSentences
            guard !sentences.isEmpty else { return }
            let pick = Int(Reducer.nextSeed(&state.seedState, avoiding: nil) % UInt64(sentences.count))
            startForward(sentences[pick])
        }
    }

    /// Leaves the menu and asks the engine for a forward walk of `text` (a sentence the model
    /// cannot read comes back as the engine's note).
    private mutating func startForward(_ text: String) {
        state.overlay = .none
        send(.forward(text))
        say("forward mode: noising \"\(text)\" (→ steps towards noise, b edits from the step shown)")
    }

    private func prefill(_ kind: PromptKind) -> String {
        let settings = editedSettings
        switch kind {
        case .length: return settings.lengthMode.exactLength.map(String.init) ?? ""
        case .infill: return settings.lengthMode.template ?? ""
        case .guidanceWeight: return Describe.trimmed(Double(settings.guidance.weight))
        case .temperature: return Describe.trimmed(Double(settings.temperature))
        case .eta: return Describe.trimmed(Double(settings.etaValue))
        case .steps: return "\(settings.steps)"
        case .jump, .inspect, .seed, .forwardText, .pin: return ""
        }
    }

    /// Applies a settings change: inside the branch menu it edits the draft and returns there;
    /// otherwise it branches from the current step at once.
    private mutating func edit(_ description: String, _ change: (inout ChainSettings) -> Void) {
        if var draft = state.draft {
            change(&draft)
            state.draft = draft
            openMenu(.branch, at: .confirmBranch)
        } else if let engine {
            var settings = engine.settings
            change(&settings)
            send(.branch(settings))
            state.overlay = .none
            say("new branch from step \(engine.snapshot.step): \(description)")
        }
    }

    // MARK: Prompts

    private mutating func accept(_ prompt: Prompt) {
        let input = prompt.input.trimmingCharacters(in: .whitespaces)
        let maxLength = max(1, summary.sequenceLength - 2)
        switch prompt.kind {
        case .jump:
            let steps = engine?.snapshot.totalSteps ?? 0
            guard let step = Int(input), (0...steps).contains(step) else {
                return say("not a step: \"\(input)\" (expected 0-\(steps))", error: true)
            }
            sendPausing(.jump(to: step))
        case .inspect:
            let n = sequenceLength
            guard let position = Int(input), (0..<n).contains(position) else {
                return say("not a position: \"\(input)\" (expected 0-\(n - 1))", error: true)
            }
            state.inspected = position
        case .seed:
            guard let seed = UInt64(input) else {
                return say("not a seed: \"\(input)\" (expected a whole number ≥ 0)", error: true)
            }
            state.draft?.seed = seed
        case .temperature:
            guard let tau = Float(input), tau.isFinite, ChainSettings.temperatureRange.contains(tau) else {
                return say("not a temperature: \"\(input)\" (expected a number from 0 to 2; 1 is the model's own)", error: true)
            }
            state.draft?.temperature = tau
        case .length:
            if input.isEmpty || input == "free" { return edit("free length") { if $0.lengthMode.exactLength != nil { $0.lengthMode = .prior } } }
            guard let length = Int(input), (1...maxLength).contains(length) else {
                return say("not a length: \"\(input)\" (expected 1-\(maxLength), or empty for free)", error: true)
            }
            edit("length \(length)") { $0.lengthMode = .exact(length) }
        case .infill:
            if input.isEmpty || input == "off" { return edit("infill off") { if $0.lengthMode.template != nil { $0.lengthMode = .prior } } }
            let words = input.split(separator: " ")
            guard words.contains("_") else {
                return say("an infill template needs at least one _ (a free token), e.g. \"_ _ is a _ restaurant .\"", error: true)
            }
            guard words.count <= maxLength else {
                return say("infill template has \(words.count) tokens; at most \(maxLength) fit", error: true)
            }
            edit("infill \"\(input)\"") { $0.lengthMode = .template(input) }
        case .forwardText:
            guard !input.isEmpty else { return say("the sentence is empty: type at least one word", error: true) }
            startForward(input)
        case .guidanceWeight:
            guard let weight = Float(input), weight.isFinite, weight >= 0, weight <= 100 else {
                return say("not a weight: \"\(input)\" (expected a number from 0 to 100)", error: true)
            }
            edit("guidance weight \(Describe.trimmed(Double(weight)))") { $0.guidance.weight = weight }
        case .eta:
            guard let eta = Float(input), eta.isFinite, ChainSettings.etaRange.contains(eta) else {
                return say("not an eta: \"\(input)\" (expected a number from 0 to 1; 0 is deterministic)", error: true)
            }
            state.draft?.eta = eta
        case .steps:
            let most = summary.diffusionSteps
            guard let steps = Int(input), (1...most).contains(steps) else {
                return say("not a step count: \"\(input)\" (expected 1-\(most))", error: true)
            }
            state.draft?.steps = steps
        case .pin(let position, let step):
            pin(input, position: position, step: step)
        }
    }

    /// `w`: the pin prompt for the inspected position at the step shown, when a pin can go there.
    private mutating func openPinPrompt(_ engine: EngineState) {
        let s = engine.snapshot, p = min(state.inspected, max(0, sequenceLength - 1))
        if summary.replay != nil { return say("replay: pinning a word needs the model (denoise play --model DIR)") }
        if engine.direction == .forward { return say("w pins a word in a reverse chain: b edits from this step first") }
        if s.step >= s.totalSteps { return say("last step (\(s.totalSteps)): a pin holds from an earlier step (← steps back)") }
        if let refusal = pinRefusal(position: p, settings: engine.settings) { return say(refusal, error: true) }
        if engine.playing { send(.pause) }
        state.overlay = .prompt(Prompt(.pin(position: p, step: s.step)))
    }

    /// Why `position` cannot be pinned under `settings` (START, END, PAD, a template's word), or nil.
    private func pinRefusal(position p: Int, settings: ChainSettings) -> String? {
        let last: Int
        var given: [Int] = []
        if let n = settings.lengthMode.exactLength {
            last = n
        } else if let template = settings.lengthMode.template {
            let tokens = Tokenizer.tokenize(template)
            last = tokens.count
            given = tokens.enumerated().filter { $0.element != "_" }.map { $0.offset + 1 }
        } else {
            last = summary.sequenceLength - 2
        }
        if p == 0 { return "position 0 is START: pin a word at positions 1-\(last) (Tab picks the position)" }
        if p > last { return "position \(p) is past the sentence's last word: pin at positions 1-\(last) (Tab picks the position)" }
        if given.contains(p) { return "position \(p) holds a word of the infill template: pin one of its free positions" }
        return nil
    }

    /// Pins `word` at `position` from `step` on: a new branch from the step shown.
    private mutating func pin(_ word: String, position: Int, step: Int) {
        guard !word.isEmpty else { return say("no word given: w, then a word of the vocabulary (Tab completes)", error: true) }
        guard summary.words.contains(word), Vocabulary.specialID(word) == nil else {
            let close = Completion.matches(String(word.prefix(3)), in: summary.words).prefix(3)
            let hint = close.isEmpty ? "" : "; close: \(close.joined(separator: ", "))"
            return say("\"\(word)\" is not a word of the model's vocabulary (words are case-sensitive\(hint))", error: true)
        }
        guard let engine else { return }
        send(.branch(engine.settings.pinning(WordPin(step: step, position: position, word: word))))
        say("pinned \"\(word)\" at position \(position) from step \(step): a new branch (B compares it with the chain before)")
    }
}

extension EngineState {
    /// False for a state the UI cannot show (no history, or `current` outside it).
    var hasSnapshot: Bool { history.indices.contains(current) }
}
