import DenoiseCore
import Foundation

extension Eval {
    /// `--strengths` as numbers, each in (0, 1].
    func strengthLevels() throws -> [Double] {
        try strengths.split(separator: ",").map { text in
            guard let s = Double(text.trimmingCharacters(in: .whitespaces)) else {
                throw DenoiseError.invalid("--strengths \"\(strengths)\" is not a comma-separated list of numbers in (0, 1]")
            }
            try SentenceEdit.validate(strength: s)
            return s
        }
    }
}
