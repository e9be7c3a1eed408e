import ArgumentParser
import DenoiseCore
import Foundation

@main
struct Denoise: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "denoise",
        abstract: "Watch and steer a continuous text diffusion model (Diffusion-LM) in the terminal.",
        subcommands: [Play.self, Sample.self, Train.self, TrainClassifier.self, Eval.self, Bench.self, Info.self, Init.self],
        defaultSubcommand: Play.self
    )
}

/// Prints `denoise: <message>` on stderr and exits 1: the one-line error contract.
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("denoise: \(message)\n".utf8))
    Foundation.exit(1)
}

/// Runs `body`, turning a `DenoiseError` into the one-line error and exit status 1.
func reportingErrors<T>(_ body: () throws -> T) -> T {
    do { return try body() } catch let e as DenoiseError { fail(e.description) } catch { fail("\(error)") }
}

/// The default model: `Models/e2e` under the repository root, found from the working
/// directory or from the executable's location (.build/<config>/denoise).
func defaultModelPath() -> String {
    let fm = FileManager.default
    var candidates = [fm.currentDirectoryPath]
    let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var dir = exe.deletingLastPathComponent()
    for _ in 0..<5 { candidates.append(dir.path); dir = dir.deletingLastPathComponent() }
    for base in candidates {
        let path = (base as NSString).appendingPathComponent("Models/e2e")
        if fm.fileExists(atPath: (path as NSString).appendingPathComponent("config.json")) { return path }
    }
    return "Models/e2e"
}
