import Foundation

/// The gate every JSON file passes before a JSON parser sees it: the bytes must be UTF-8.
///
/// Swift 6.0's JSONDecoder (the toolchain Debian 13 ships) stops the process on invalid UTF-8
/// inside a string instead of throwing, so without this check a damaged config, vocabulary,
/// theme, trace or safetensors header would crash `denoise` instead of giving its one-line error.
/// JSONSerialization readers go through the same gate, so all readers reject the same files.
public enum JSONText {
    /// What the error says is accepted.
    public static let accepted = "not UTF-8 text (accepted: JSON in UTF-8)"

    /// Whether `data` is well-formed UTF-8 (no overlong forms, surrogates or values past U+10FFFF).
    public static func isUTF8(_ data: Data) -> Bool {
        data.withUnsafeBytes { raw in
            var bytes = raw.makeIterator()
            var decoder = UTF8()
            while true {
                switch decoder.decode(&bytes) {
                case .scalarValue: continue
                case .emptyInput: return true
                case .error: return false
                }
            }
        }
    }

    /// `data` itself when it is UTF-8; otherwise a `DenoiseError` naming `file`.
    @discardableResult
    public static func checked(_ data: Data, file: String) throws -> Data {
        guard isUTF8(data) else { throw DenoiseError.corrupt(file: file, accepted) }
        return data
    }
}
