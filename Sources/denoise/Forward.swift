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
    @OptionGroup var model: ModelOption
    @Option(help: "Random seed of the noise draw.") var seed: UInt64 = 1
    @Option(help: "Steps K of the walk (respaced from the model's T).") var steps = 200
    @Option(help: "Output format: text (a table) or jsonl.") var format = Sample.Format.text

    func validate() throws {
        if steps < 1 { throw ValidationError("--steps must be at least 1 (got \(steps))") }
    }

    func run() throws { try reportingErrors { try BLAS.withThreads(1) { try walk() } } }

    func walk() throws {
        let m = try model.load()
        let source = try SourceSentence(text: text, vocabulary: m.vocabulary, sequenceLength: m.config.sequenceLength)
        let process = try ForwardProcess(model: m, source: source, seed: seed, steps: steps)
        let walk = process.walk()
        let losses = ForwardProcess.losses(source: source, steps: walk)
        func sentence(_ tokens: [RoundedToken]) -> String { Tokenizer.join(m.vocabulary.decode(tokens.map(\.id))) }
        if format == .jsonl {
            for s in walk { print(Trace.json(ForwardStepLine(s))) }
            print(Trace.json(ForwardFinalLine(text: Tokenizer.join(source.tokens), words: losses.map(ForwardWordLine.init))))
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

/// One step of `forward --format jsonl`.
struct ForwardStepLine: Encodable {
    var step: Int, t: Int, alphaBar: Double, snrDB: Double
    var xt: [String], x0: [String]
    var kept: Double, x0Kept: Double

    init(_ s: ForwardStep) {
        let p = s.snapshot
        func r4(_ x: Double) -> Double { (x * 1e4).rounded() / 1e4 }
        step = p.step; t = p.t; alphaBar = p.alphaBar; snrDB = r4(p.snrDB)
        xt = p.xt.map(\.text); x0 = p.x0.map(\.text)
        kept = r4(s.kept); x0Kept = r4(s.x0Kept)
    }
}

/// The last line of `forward --format jsonl`: per source word, the steps it was lost at.
struct ForwardFinalLine: Encodable {
    var final = true
    var text: String
    var words: [ForwardWordLine]
}

/// A word's loss steps; `null` (written, not left out) when it was never lost.
struct ForwardWordLine: Encodable {
    var position: Int, word: String
    var xtLost: Int?, xtGone: Int?, x0Lost: Int?, x0Gone: Int?

    init(_ w: WordLoss) {
        position = w.position; word = w.word; xtLost = w.xtLost; xtGone = w.xtGone; x0Lost = w.x0Lost; x0Gone = w.x0Gone
    }

    enum CodingKeys: String, CodingKey { case position, word, xtLost, xtGone, x0Lost, x0Gone }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(position, forKey: .position)
        try c.encode(word, forKey: .word)
        try c.encode(xtLost, forKey: .xtLost)
        try c.encode(xtGone, forKey: .xtGone)
        try c.encode(x0Lost, forKey: .x0Lost)
        try c.encode(x0Gone, forKey: .x0Gone)
    }
}
