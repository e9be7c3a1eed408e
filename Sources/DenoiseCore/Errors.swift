/// Errors with a message meant for the user: one line that names what was wrong and, where it
/// can, what is accepted. The CLI prints `denoise: <description>` and exits 1.
public enum DenoiseError: Error, CustomStringConvertible, Equatable {
    /// A file that is missing or cannot be read or written.
    case file(String, String)
    /// A file whose contents are not what they should be.
    case corrupt(file: String, String)
    /// A value the user gave that is not accepted.
    case invalid(String)

    public var description: String {
        switch self {
        case let .file(path, why): return "\(path): \(why)"
        case let .corrupt(file, why): return "\(file): \(why)"
        case let .invalid(why): return why
        }
    }
}
