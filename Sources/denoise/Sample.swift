import ArgumentParser
import DenoiseCore
import Foundation

struct Sample: ParsableCommand {
    /// `--format`: one sentence per line, or one JSON object per sample.
    enum Format: String, CaseIterable, ExpressibleByArgument {
        case text, jsonl
    }

    static let configuration = CommandConfiguration(
        abstract: "Generate sentences (all samples run as one batch).",
        discussion: """
        Editing: --from-text SENTENCE --strength S noises the sentence to t = S*T (one noise draw per sample) and runs \
        the reverse chain from the step that matches t, with every other option as usual. The source sentence's length \
        is kept fixed, as --length does, unless --length, --infill or --free-length say otherwise.
        """)

    @OptionGroup var chain: ChainOptions
    @Option(help: "Number of samples.") var count = 1
    @Option(help: "Output format.") var format = Format.text
    @Option(help: "Write a JSONL trace of every step of the first sample to this file.") var trace: String?
    @Option(help: "Edit this sentence instead of starting from noise (needs --strength).") var fromText: String?
    @Option(help: "How far --from-text is noised: 0 < S <= 1 (t = S*T; 1 is pure noise).") var strength: Double?
    @Option(name: .customLong("pin"), help: "Hold WORD at POSITION from step STEP on: STEP:POSITION=WORD (repeatable; positions count as in the playground's inspector, START is 0).")
    var pins: [String] = []

    func validate() throws {
        if count < 1 || count > 100_000 { throw ValidationError("--count must be in 1...100000 (got \(count))") }
        if (fromText == nil) != (strength == nil) { throw ValidationError("--from-text and --strength go together: give both or neither") }
    }

    func run() throws {
        try reportingErrors {
            if let strength { try SentenceEdit.validate(strength: strength) }
            let model = try chain.loadModel()
            var settings = try chain.settings(for: model.config.modelKind)
            settings.pins = try pins.map(WordPin.init(parsing:))
            var edit: SentenceEdit? = nil
            if let fromText, let strength {
                let source = try SourceSentence(text: fromText, vocabulary: model.vocabulary, sequenceLength: model.config.sequenceLength)
                edit = try SentenceEdit(source: source, strength: strength)
                settings = edit?.settings(settings) ?? settings
            }
            let results = try SampleRunner.run(model: model, settings: settings, count: count, tracePath: trace, edit: edit)
            for r in results {
                if format == .jsonl {
                    print(Trace.json(r))
                } else {
                    print(r.text)
                }
            }
        }
    }
}
