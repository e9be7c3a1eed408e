import ArgumentParser
import DenoiseCore
import DenoiseTUI
import Foundation

struct Tour: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open the playground on a live chain with the guided tour (Esc leaves it, the playground stays).")

    @OptionGroup var modelOption: ModelOption
    @Option(help: "Theme name (a file in Themes/): default, light, high-contrast, colorblind, mono.") var theme = "default"

    func run() throws {
        try reportingErrors {
            try BLAS.withThreads(1) {
                let engine = try PlaygroundEngine(model: try modelOption.load(), settings: ChainSettings())
                try Play.open(engine, command: "tour", options: PlaygroundOptions(
                    themeName: theme, themesDirectory: repositoryFolder("Themes") ?? "Themes", startTour: true))
            }
        }
    }
}
