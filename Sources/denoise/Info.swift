import ArgumentParser
import DenoiseCore
import Foundation

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show a model's parameters, vocabulary, schedule and controls.")
    @OptionGroup var model: ModelOption

    func run() throws {
        try reportingErrors {
            let path = model.path
            let m = try model.load()
            let c = m.config
            let schedule = NoiseSchedule(sqrtSteps: c.diffusionSteps)
            print("model       \(path)")
            print("blas        \(BLAS.summary)")
            if let hint = BLAS.kernelHint { print("            " + hint) }
            print("parameters  \(m.denoiser.parameterCount) (denoiser + embedding + head bias)")
            print("architecture \(c.architectureKind.rawValue) L=\(c.sequenceLength) d=\(c.embeddingDim) H=\(c.hiddenSize) layers=\(c.layers) heads=\(c.heads) ffn=\(c.ffnSize)"
                  + (c.isSelfConditioned ? " self-conditioned" : ""))
            print("vocabulary  \(m.vocabulary.count) words (PAD START END UNK + \(m.vocabulary.count - 4))")
            print(String(format: "schedule    %@, T=%d, alpha-bar %.4f -> %.6f", c.schedule, c.diffusionSteps,
                         schedule.alphaBars[0], schedule.alphaBars[schedule.count - 1]))
            if let t = c.training {
                print(String(format: "training    %d iterations, batch %d, %.1f min, data %@", t.iterations, t.batchSize,
                             t.wallSeconds / 60, t.data.joined(separator: ", ")))
                if let source = t.startedFrom { print("            started from \(source)") }
                if let share = t.fixedLengthShare { print(String(format: "            %.0f%% of sentences trained with their length fixed", share * 100)) }
            } else {
                print(c.architectureKind == .native ? "training    none (randomly initialised)"
                      : "training    elsewhere (imported; see the model card)")
            }
            if let cl = m.classifier {
                let tagged = cl.fields.indices.reduce(0) { n, k in n + cl.tags.spanLengths[k].filter { $0 > 0 }.count }
                print("classifier  \(cl.params.count) parameters, H=\(cl.config.hiddenSize) layers=\(cl.config.layers), "
                      + "\(cl.config.pooling.rawValue) pooling" + (tagged > 0 ? ", tagger: \(tagged) values scored by their best span" : ""))
                for f in cl.fields { print("  \(f.name): \(f.values.joined(separator: ", "))") }
            } else {
                print("classifier  none (controls unavailable)")
            }
        }
    }
}
