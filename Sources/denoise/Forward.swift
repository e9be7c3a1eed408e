import ArgumentParser
import DenoiseCore
import Foundation

struct Forward: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Noise a sentence step by step (the forward process) and show what the denoiser still recovers.",
        discussion: """
        The sentence is embedded and walked from t = 0 (almost clean) to t = T-1 (noise) in K steps with ONE noise \
        draw eps for the whole walk: x_t = sqrt(alphaBar_t) x0 + sqrt(1 - alphaBar_t) eps. At each step, x_t is rounded \
        to words and the denoiser predicts x0-hat from x_t, which is rounded too.

        jsonl: one object per step, clean to noise: step (1...K), t (time index 0...T-1), alphaBar, snrDB, \
        xt (the L words x_t rounds to), x0 (the L words x0-hat rounds to), kept (share of the sentence's token \
        positions where x_t rounds to the source word), x0Kept (the same for x0-hat). Then one line \
        {"final": true, "text": ..., "words": [...]} with, per source word: position, word, xtLost (first step at \
        which x_t did not round to it, even if it came back later), xtGone (first step from which on it never came \
        back), x0Lost and x0Gone (the same for x0-hat); null when the word was never lost (or is back at the last step).

        `sample --from-text` with the same --seed and --steps starts its first sample from the x_t shown here.
        """)

    @Option(help: "The sentence to noise (tokens must be in the model's vocabulary; at most L-2 tokens).") var text: String
    @Option(help: "Model folder (default: Models/e2e of this repository).") var model: String?
    @Option(help: "Random seed of the noise draw.") var seed: UInt64 = 1
    @Option(help: "Steps K of the walk (respaced from the model's T).") var steps = 200
    @Option(help: "Output format: text (a table) or jsonl.") var format = "text"

    func validate() throws {
        if steps < 1 { throw ValidationError("--steps must be at least 1 (got \(steps))") }
        if !["text", "jsonl"].contains(format) { throw ValidationError("--format \"\(format)\" is not accepted: text or jsonl") }
    }

    func run() throws { reportingErrors { try walk() } }

    func walk() throws {
        BLAS.setThreads(1)
        let m = try DiffusionModel.load(path: model ?? defaultModelPath())
        let source = try SourceSentence(text: text, vocabulary: m.vocabulary, sequenceLength: m.config.sequenceLength)
        let process = try ForwardProcess(model: m, source: source, seed: seed, steps: steps)
        let walk = process.walk()
        let losses = ForwardProcess.losses(source: source, steps: walk)
        func sentence(_ tokens: [RoundedToken]) -> String { Tokenizer.join(m.vocabulary.decode(tokens.map(\.id))) }
        if format == "jsonl" {
            for s in walk {
                let p = s.snapshot
                print(Trace.json(["step": p.step, "t": p.t, "alphaBar": p.alphaBar, "snrDB": (p.snrDB * 1e4).rounded() / 1e4,
                                  "xt": p.xt.map(\.text), "x0": p.x0.map(\.text),
                                  "kept": (s.kept * 1e4).rounded() / 1e4, "x0Kept": (s.x0Kept * 1e4).rounded() / 1e4] as [String: Any]))
            }
            let words: [[String: Any]] = losses.map {
                ["position": $0.position, "word": $0.word, "xtLost": $0.xtLost ?? NSNull(), "xtGone": $0.xtGone ?? NSNull(),
                 "x0Lost": $0.x0Lost ?? NSNull(), "x0Gone": $0.x0Gone ?? NSNull()]
            }
            print(Trace.json(["final": true, "text": Tokenizer.join(source.tokens), "words": words] as [String: Any]))
            return
        }
        print("denoise forward · \(m.name) · \(walk.count) steps · seed \(seed)")
        print("source: \(Tokenizer.join(source.tokens))")
        print(" step     t  alphaBar  SNR dB  kept  x0Kept  x_t rounds to  |  x0-hat rounds to")
        for s in walk {
            let p = s.snapshot
            print(String(format: "%5d %5d  %8.5f %7.2f  %4.2f  %6.2f  ", p.step, p.t, p.alphaBar, p.snrDB, s.kept, s.x0Kept)
                  + sentence(p.xt) + "  |  " + sentence(p.x0))
        }
        print("\nword loss (first step not recovered / step from which it never came back; - = never):")
        func column(_ text: String, _ width: Int) -> String { text.padding(toLength: max(width, text.count), withPad: " ", startingAt: 0) }
        func show(_ v: Int?) -> String { v.map(String.init) ?? "-" }
        print(" pos  " + column("word", 20) + "  x_t lost  gone  x0-hat lost  gone")
        for w in losses {
            print(String(format: "%4d  ", w.position) + column(w.word, 20) + "  " + column(show(w.xtLost), 8) + "  "
                  + column(show(w.xtGone), 4) + "  " + column(show(w.x0Lost), 11) + "  " + show(w.x0Gone))
        }
    }
}
