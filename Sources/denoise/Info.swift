import ArgumentParser
import DenoiseCore
import Foundation

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show a model's parameters, vocabulary, schedule and controls.")
    @OptionGroup var model: ModelOption
    @Option(help: "Output format: text or json.") var format = ReportFormat.text

    func run() throws {
        try reportingErrors {
            let info = ModelInfo(model: try model.load(), path: model.path)
            switch format {
            case .text: info.lines.forEach { print($0) }
            case .json: print(info.json)
            }
        }
    }
}
