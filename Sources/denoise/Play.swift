import ArgumentParser
import DenoiseCore
import DenoiseTUI
import Foundation

struct Play: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open the interactive playground (the default command).")

    @OptionGroup var chain: ChainOptions
    @Option(help: "Theme name (a file in Themes/): default, light, high-contrast, colorblind, mono.") var theme = "default"
    @Option(help: "Replay an exported JSONL trace (no model needed).") var replay: String?

    func run() throws {
        try reportingErrors {
            guard isatty(STDOUT_FILENO) == 1, isatty(STDIN_FILENO) == 1 else {
                throw DenoiseError.invalid("denoise play needs a terminal: stdout or stdin is not a TTY (for scripts use `denoise sample`)")
            }
            BLAS.setThreads(1)
            let engine: any EngineHandle
            if let replay {
                engine = try ReplayEngine(tracePath: replay)
            } else {
                let model = try chain.loadModel()
                engine = try PlaygroundEngine(model: model, settings: chain.settings())
            }
            let options = PlaygroundOptions(themeName: theme, themesDirectory: repositoryFolder("Themes") ?? "Themes")
            let status: Int32
            do { status = try Playground.run(engine: engine, options: options) } catch let e as PlaygroundError {
                throw DenoiseError.invalid(e.message)
            }
            if status != 0 { throw ExitCode(status) }
        }
    }
}
