import Foundation

/// Where `denoise train` writes, and when it may write there.
///
/// The rule, so that no run can silently replace a model: without `--out` the output is a new
/// folder named after the first data file (`--data my.txt` writes `Models/my`). Whatever the
/// output folder, if it already holds a model (config.json, model.safetensors or a saved run),
/// training refuses to start unless `--resume` (continue the run saved there) or `--force`
/// (replace it) is given. `--init-from` only reads its model.
public enum TrainingOutput {
    /// The files whose presence makes a folder a model (or a saved run) worth protecting.
    public static let modelFiles = [ModelFolder.configFile, ModelFolder.weightsFile, Trainer.stateFile]

    /// The default output folder for these data files: `Models/<first file's name without extension>`.
    public static func defaultFolder(data: [String]) -> String {
        let name = data.first.map { (($0 as NSString).lastPathComponent as NSString).deletingPathExtension } ?? ""
        return ("Models" as NSString).appendingPathComponent(name.isEmpty ? "model" : name)
    }

    /// The output folder to use, or an error when it holds a model that neither `resume` nor
    /// `force` allows to touch.
    public static func resolve(out: String?, data: [String], resume: Bool, force: Bool) throws -> String {
        let folder = out ?? defaultFolder(data: data)
        guard !resume && !force else { return folder }
        let existing = modelFiles.filter { FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent($0)) }
        if let found = existing.first {
            let how = out == nil ? "the default output for this data" : "--out"
            throw DenoiseError.invalid(
                "\(folder) (\(how)) already holds a model (\(found)); give --out a new folder, --resume to continue that run, or --force to replace it")
        }
        return folder
    }
}
