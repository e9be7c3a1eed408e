import Foundation
import DenoiseCore

/// One line of a menu; lines without an action are information only and cannot be selected.
struct MenuItem: Equatable {
    var label: String
    var value: String
    var shortcut: Character?
    var action: MenuAction?
}

enum MenuAction: Equatable {
    case confirmBranch
    case openControls
    case chooseField(String)
    case setControl(field: String, value: String?)
    case clearControls
    case prompt(PromptKind)
    case toggleClamp
    /// Start a forward walk of this sentence.
    case forward(String)
    /// Start a forward walk of a random held-out sentence.
    case forwardHeldOut
    /// DDPM <-> DDIM (eta 0) for the branch.
    case toggleSampler
    /// Remove every pin from the branch.
    case clearPins
    /// Next unmasking rule for a masked model's branch.
    case cycleUnmask
    /// Show the compare screen with the model in this folder.
    case compare(String)
}

/// The menus' contents, computed from the settings being edited so the state holds only which
/// menu is open and which line is selected.
enum Menus {
    static func title(_ kind: MenuKind, step: Int) -> String {
        switch kind {
        case .branch: return "branch from step \(step)"
        case .controls: return "controls (a change branches from step \(step))"
        case .values(let field): return field
        case .forward: return "forward mode: noise a sentence"
        case .compareModels: return "compare side by side with"
        }
    }

    static func items(_ kind: MenuKind, settings: ChainSettings, summary: ModelSummary) -> [MenuItem] {
        switch kind {
        case .branch where summary.kind != .continuous:
            // Clamping and the samplers belong to the continuous chain; a masked chain has an
            // unmasking rule instead.
            var items = [
                MenuItem(label: "continue", value: "make the branch", shortcut: nil, action: .confirmBranch),
                MenuItem(label: "controls", value: Describe.controls(settings), shortcut: "c", action: .openControls),
                MenuItem(label: "seed", value: "\(settings.seed)", shortcut: "s", action: .prompt(.seed)),
                MenuItem(label: "temperature", value: Describe.trimmed(Double(settings.temperature)), shortcut: "t",
                         action: .prompt(.temperature)),
            ]
            if summary.kind == .masked {
                items.append(MenuItem(label: "unmask rule", value: settings.unmaskRule.rawValue + " (r: next)", shortcut: "r",
                                      action: .cycleUnmask))
            }
            items.append(MenuItem(label: "steps", value: "\(settings.steps) (a new count starts from step 0)", shortcut: "k",
                                  action: .prompt(.steps)))
            if !settings.pins.isEmpty {
                items.append(MenuItem(label: "pins", value: settings.pins.map { "\($0.position)=\($0.word) from \($0.step)" }.joined(separator: ", ") + " (clear)",
                                      shortcut: "u", action: .clearPins))
            }
            return items
        case .compareModels(let paths):
            if paths.isEmpty {
                return [MenuItem(label: "no bundled models", value: "Models/ holds none (play --compare DIR takes any)", shortcut: nil, action: nil)]
            }
            return paths.enumerated().map { i, path in
                MenuItem(label: (path as NSString).lastPathComponent, value: path,
                         shortcut: i < 9 ? Character(String(i + 1)) : nil, action: .compare(path))
            }
        case .branch:
            return [
                MenuItem(label: "continue", value: "make the branch", shortcut: nil, action: .confirmBranch),
                MenuItem(label: "controls", value: Describe.controls(settings), shortcut: "c", action: .openControls),
                MenuItem(label: "seed", value: "\(settings.seed)", shortcut: "s", action: .prompt(.seed)),
                MenuItem(label: "clamp", value: settings.clamp ? "on" : "off", shortcut: "x", action: .toggleClamp),
                MenuItem(label: "temperature", value: Describe.trimmed(Double(settings.temperature)), shortcut: "t",
                         action: .prompt(.temperature)),
                MenuItem(label: "sampler", value: settings.samplerKind == .ddim ? "DDIM" : "DDPM", shortcut: "d", action: .toggleSampler),
                settings.samplerKind == .ddim
                    ? MenuItem(label: "eta", value: Describe.trimmed(Double(settings.etaValue)), shortcut: "e", action: .prompt(.eta))
                    : MenuItem(label: "eta", value: "DDIM only", shortcut: nil, action: nil),
                MenuItem(label: "steps", value: "\(settings.steps) (a new count starts from step 0)", shortcut: "k", action: .prompt(.steps)),
            ] + (settings.pins.isEmpty ? [] : [
                MenuItem(label: "pins", value: settings.pins.map { "\($0.position)=\($0.word) from \($0.step)" }.joined(separator: ", ") + " (clear)",
                         shortcut: "u", action: .clearPins),
            ])
        case .controls:
            var items: [MenuItem] = []
            if summary.fields.isEmpty {
                items.append(MenuItem(label: "no classifier in this model", value: "", shortcut: nil, action: nil))
            }
            for (i, field) in summary.fields.enumerated() {
                let current = settings.controls.first { $0.field == field.name }?.value ?? "-"
                let shortcut: Character? = i < 9 ? Character(String(i + 1)) : nil
                items.append(MenuItem(label: field.name, value: current, shortcut: shortcut,
                                      action: .chooseField(field.name)))
            }
            items.append(MenuItem(label: "length", value: settings.lengthMode.exactLength.map { "\($0) tokens" } ?? "free",
                                  shortcut: "l", action: .prompt(.length)))
            items.append(MenuItem(label: "infill", value: settings.lengthMode.template ?? "off", shortcut: "i",
                                  action: .prompt(.infill)))
            if !summary.fields.isEmpty {
                items.append(MenuItem(label: "guidance weight", value: Describe.trimmed(Double(settings.guidance.weight)),
                                      shortcut: "w", action: .prompt(.guidanceWeight)))
            }
            if !settings.controls.isEmpty || settings.lengthMode.exactLength != nil || settings.lengthMode.template != nil {
                items.append(MenuItem(label: "clear all", value: "", shortcut: "0", action: .clearControls))
            }
            return items
        case .forward(let current, let heldOut):
            return [
                MenuItem(label: "this text", value: current.isEmpty ? "(no words yet)" : current, shortcut: "1",
                         action: current.isEmpty ? nil : .forward(current)),
                MenuItem(label: "type a sentence", value: "", shortcut: "2", action: .prompt(.forwardText)),
                MenuItem(label: "random held-out", value: heldOut ? "a sentence the model never trained on" : "none loaded (play --sentences FILE)",
                         shortcut: "3", action: heldOut ? .forwardHeldOut : nil),
            ]
        case .values(let field):
            let values = summary.fields.first { $0.name == field }?.values ?? []
            var items = [MenuItem(label: "none", value: "no control on \(field)", shortcut: "0",
                                  action: .setControl(field: field, value: nil))]
            for (i, value) in values.enumerated() {
                let shortcut: Character? = i < 9 ? Character(String(i + 1)) : nil
                items.append(MenuItem(label: value, value: "", shortcut: shortcut,
                                      action: .setControl(field: field, value: value)))
            }
            return items
        }
    }

    /// The selectable line nearest `index` moving by `delta` (wrapping); info lines are skipped.
    static func move(_ items: [MenuItem], from index: Int, by delta: Int) -> Int {
        guard items.contains(where: { $0.action != nil }) else { return index }
        var i = index
        repeat {
            i = (i + delta + items.count) % items.count
        } while items[i].action == nil
        return i
    }

    static func firstSelectable(_ items: [MenuItem]) -> Int {
        items.firstIndex { $0.action != nil } ?? 0
    }
}

extension PromptKind {
    /// The question on the prompt line.
    func label(engine: EngineState?, summary: ModelSummary) -> String {
        let steps = engine?.snapshot.totalSteps ?? engine?.settings.steps ?? 0
        let length = engine?.snapshot.sentenceTokens.count ?? summary.sequenceLength
        switch self {
        case .jump: return "go to step (0-\(steps)):"
        case .inspect: return "inspect position (0-\(max(0, length - 1))):"
        case .seed: return "seed for the branch:"
        case .temperature: return "temperature, the noise each step adds (0-2; 1 = the model's own):"
        case .length: return "length in tokens (1-\(max(1, summary.sequenceLength - 2)), empty = free):"
        case .infill: return "infill template (_ = free token, empty = off):"
        case .guidanceWeight: return "guidance weight (0 = off):"
        case .forwardText: return "sentence to noise:"
        case .eta: return "DDIM eta (0-1; 0 = deterministic, 1 = DDPM-like noise):"
        case .steps: return "reverse steps (1-\(summary.diffusionSteps)):"
        case .pin(let position, let step): return "pin at position \(position) from step \(step):"
        }
    }

    /// What the status line shows after the typed text: the pin prompt's completions.
    func hint(input: String, summary: ModelSummary) -> String {
        guard case .pin = self else { return "  Enter accepts, Esc cancels" }
        let matches = Completion.matches(input, in: summary.words)
        if input.isEmpty { return "  type a word, Tab completes, Esc cancels" }
        if matches.isEmpty { return "  no word of the vocabulary starts so (Esc cancels)" }
        let shown = matches.prefix(6).joined(separator: " ")
        return "  \(shown)\(matches.count > 6 ? " …" : "")  (Tab completes)"
    }
}

/// Completion of a typed word from the model's vocabulary.
enum Completion {
    /// The vocabulary's words (markers left out) that start with `prefix`, in the vocabulary's
    /// order (most frequent first); an exact match comes first. Case-sensitive matches first,
    /// then the others, since the vocabulary keeps case.
    static func matches(_ prefix: String, in words: [String]) -> [String] {
        let candidates = words.filter { Vocabulary.specialID($0) == nil }
        let exact = candidates.filter { $0.hasPrefix(prefix) }
        let folded = candidates.filter { !$0.hasPrefix(prefix) && $0.lowercased().hasPrefix(prefix.lowercased()) }
        let all = exact + folded
        guard let i = all.firstIndex(of: prefix) else { return all }
        return [prefix] + all[..<i] + all[(i + 1)...]
    }

    /// The prompt after Tab: the first Tab extends the input to the longest prefix its matches
    /// share, or (when that adds nothing) takes the first match; further Tabs cycle through
    /// the matches of what was typed.
    static func complete(_ prompt: Prompt, in words: [String]) -> Prompt {
        var p = prompt
        if let typed = prompt.completionPrefix {
            let matches = Self.matches(typed, in: words)
            guard !matches.isEmpty else { return p }
            let next = matches.firstIndex(of: prompt.input).map { $0 + 1 } ?? 0
            p.input = matches[next % matches.count]
            return p
        }
        let matches = Self.matches(prompt.input, in: words)
        guard !matches.isEmpty else { return p }
        var common = matches[0]
        for m in matches.dropFirst() { while !m.hasPrefix(common) { common.removeLast() } }
        if common.count > prompt.input.count {
            p.input = common
            return p
        }
        p.completionPrefix = prompt.input
        p.input = matches[0] == prompt.input && matches.count > 1 ? matches[1] : matches[0]
        return p
    }
}
