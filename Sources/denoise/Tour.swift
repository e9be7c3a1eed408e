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
            guard isatty(STDOUT_FILENO) == 1, isatty(STDIN_FILENO) == 1 else {
                throw DenoiseError.invalid("denoise tour needs a terminal: stdout or stdin is not a TTY (for scripts use `denoise sample`)")
            }
            BLAS.setThreads(1)
            let engine = try PlaygroundEngine(model: try modelOption.load(), settings: ChainSettings())
            let options = PlaygroundOptions(themeName: theme, themesDirectory: repositoryFolder("Themes") ?? "Themes",
                                            startTour: true)
            let status: Int32
            do { status = try Playground.run(engine: engine, options: options) } catch let e as PlaygroundError {
                throw DenoiseError.invalid(e.message)
            }
            if status != 0 { throw ExitCode(status) }
        }
    }
}
