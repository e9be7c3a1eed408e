import Foundation

/// A word held at one position of a chain from a step on: the continuous chain treats the
/// position as an infilling position from that step (its latent and prediction rows are
/// overwritten with the word's embedding after every step), so the rest of the sentence
/// rearranges around it. Positions count as in the inspector: START is 0.
///
/// A pin at step k enters the latent the chain holds after k steps (step 0: the starting
/// noise), so step k+1 is the first prediction made with the word in place.
public struct WordPin: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    public var step: Int
    public var position: Int
    public var word: String

    public init(step: Int, position: Int, word: String) {
        self.step = step; self.position = position; self.word = word
    }

    /// `STEP:POSITION=WORD`, as `sample --pin` takes it.
    public var description: String { "\(step):\(position)=\(word)" }

    /// Parses `STEP:POSITION=WORD`.
    public init(parsing text: String) throws {
        let bad = DenoiseError.invalid("--pin \"\(text)\" is not STEP:POSITION=WORD (e.g. 40:5=Italian; START is position 0)")
        guard let colon = text.firstIndex(of: ":"), let equals = text.firstIndex(of: "="), colon < equals,
              let step = Int(text[..<colon].trimmingCharacters(in: .whitespaces)),
              let position = Int(text[text.index(after: colon)..<equals].trimmingCharacters(in: .whitespaces)) else { throw bad }
        let word = text[text.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        guard !word.isEmpty, !word.contains(" ") else { throw bad }
        self.init(step: step, position: position, word: word)
    }

    /// A pin checked against a model and the chain's fixed positions, with its word's id.
    struct Resolved {
        let step: Int
        let position: Int
        let id: Int32
    }

    /// Checks `pins` for a chain of `steps` steps over sequences of length `l` whose requested
    /// length or template fixes `fixed`; every refusal names what is accepted.
    static func resolve(_ pins: [WordPin], vocabulary: Vocabulary, sequenceLength l: Int, steps: Int,
                        fixed: PositionConstraints) throws -> [Resolved] {
        var seen = Set<Int>()
        return try pins.map { pin in
            guard Vocabulary.specialID(pin.word) == nil else {
                throw DenoiseError.invalid("pin word \"\(pin.word)\" is a marker, not a word: accepted a word of the model's vocabulary")
            }
            guard vocabulary.contains(pin.word) else {
                throw DenoiseError.invalid("pin word \"\(pin.word)\" is not in the model's vocabulary (\(vocabulary.count) words; words are case-sensitive)")
            }
            guard (0..<steps).contains(pin.step) else {
                throw DenoiseError.invalid("pin step \(pin.step) is outside the chain: accepted 0...\(steps - 1) for \(steps) steps (the word holds from that step on)")
            }
            try checkPosition(pin.position, sequenceLength: l, fixed: fixed)
            guard seen.insert(pin.position).inserted else {
                throw DenoiseError.invalid("position \(pin.position) is pinned twice: accepted one pin per position")
            }
            return Resolved(step: pin.step, position: pin.position, id: vocabulary.id(pin.word))
        }
    }

    /// The positions a pin may take: the words between START and END (the fixed END of a length
    /// or template, else L-1 at the latest), not the words a template gives.
    static func checkPosition(_ p: Int, sequenceLength l: Int, fixed: PositionConstraints) throws {
        let end = fixed.fixed.first { $0.id == Vocabulary.endID }?.position
        let last = (end ?? (l - 1)) - 1
        let accepted = "accepted 1...\(last) (START is position 0)"
        guard p != 0 else { throw DenoiseError.invalid("pin position 0 is START: \(accepted)") }
        if let end, p == end { throw DenoiseError.invalid("pin position \(p) is END of the fixed length: \(accepted)") }
        guard (1...last).contains(p) else {
            throw DenoiseError.invalid("pin position \(p) is out of range: \(accepted)")
        }
        if fixed.fixed.contains(where: { $0.position == p }) {
            throw DenoiseError.invalid("pin position \(p) holds a word of the infill template: accepted its free positions "
                                       + fixed.freeWordPositions().map(String.init).joined(separator: ", "))
        }
    }
}

extension ChainSettings {
    /// The pins of this chain (empty when none).
    public var pins: [WordPin] {
        get { pinned ?? [] }
        set { pinned = newValue.isEmpty ? nil : newValue }
    }

    /// A copy with `pin` added, replacing any earlier pin of the same position.
    public func pinning(_ pin: WordPin) -> ChainSettings {
        var s = self
        s.pins = pins.filter { $0.position != pin.position } + [pin]
        return s
    }

    /// The pin holding `position` at step `step`, if any.
    public func pin(at position: Int, step: Int) -> WordPin? {
        pins.first { $0.position == position && $0.step <= step }
    }
}
