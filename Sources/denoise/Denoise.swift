import ArgumentParser
import DenoiseCore
import Foundation

@main
struct Denoise: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "denoise",
        abstract: "Watch and steer a continuous text diffusion model (Diffusion-LM) in the terminal.",
        version: DenoiseVersion.current,
        subcommands: [Play.self, Tour.self, Sample.self, Forward.self, Train.self, TrainClassifier.self, Eval.self, Bench.self, Info.self, Init.self, Predict.self],
        defaultSubcommand: Play.self
    )

    /// Picks the BLAS kernels before anything else runs (it may re-execute the program with
    /// `OPENBLAS_CORETYPE` set), then parses the command line.
    static func main() {
        BLASStartup.chooseKernels()
        main(nil)
    }
}

/// Runs `body`, turning a `DenoiseError` (or any error that is not ArgumentParser's own) into
/// the one-line contract: `denoise: <message>` on stderr and exit status 1. `ExitCode`,
/// `ValidationError` and `CleanExit` pass through to ArgumentParser.
func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as ValidationError {
        throw error
    } catch let error as CleanExit {
        throw error
    } catch {
        let message = (error as? DenoiseError)?.description ?? "\(error)"
        FileHandle.standardError.write(Data("denoise: \(message)\n".utf8))
        throw ExitCode.failure
    }
}

/// A folder of the repository (`Models/e2e`, `Themes`), found from the working directory or
/// from the executable's location (.build/<config>/denoise), so `denoise` works from anywhere.
/// The location is the process's own executable, not argv[0]: a shell that finds `denoise`
/// through PATH passes the bare name, and a link on PATH must lead back to the repository.
func repositoryFolder(_ relative: String, containing marker: String? = nil) -> String? {
    let fm = FileManager.default
    var candidates = [fm.currentDirectoryPath]
    let executable = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
    var dir = executable.resolvingSymlinksInPath().deletingLastPathComponent()
    for _ in 0..<5 { candidates.append(dir.path); dir = dir.deletingLastPathComponent() }
    for base in candidates {
        let path = (base as NSString).appendingPathComponent(relative)
        let probe = marker.map { (path as NSString).appendingPathComponent($0) } ?? path
        if fm.fileExists(atPath: probe) { return path }
    }
    return nil
}

/// The default model: `Models/e2e` of this repository.
func defaultModelPath() -> String { repositoryFolder("Models/e2e", containing: "config.json") ?? "Models/e2e" }

/// The bundled corpus, `Data/e2e` of this repository (its README names the source and the
/// licence): the data `train`, `train-classifier` and `eval` read when no `--data` or `--labels`
/// is given. It is found as the default model is, so the defaults work from any folder.
enum DefaultData {
    static let folder = "Data/e2e"
    /// The sentences the bundled model was trained on.
    static let training = ["devset.csv", "testset_w_refs.csv"]
    /// The cleaned files, whose `mr` labels agree with their sentences.
    static let labels = ["devel-fixed.no-ol.csv", "test-fixed.csv"]
    /// The held-out sentences of `eval`'s forward and edit parts.
    static let heldOut = "testset_w_refs.csv"

    /// The path of the bundled file `name`, or one clear error naming the option that replaces it.
    static func path(_ name: String, replacedBy option: String) throws -> String {
        guard let dir = repositoryFolder(folder, containing: name) else {
            throw DenoiseError.invalid("no \(option) given and the default corpus file \(folder)/\(name) is missing "
                + "(looked in the working directory and beside the binary): give \(option) FILE...")
        }
        return (dir as NSString).appendingPathComponent(name)
    }

    static func paths(_ names: [String], replacedBy option: String) throws -> [String] {
        try names.map { try path($0, replacedBy: option) }
    }
}
