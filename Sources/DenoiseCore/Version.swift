/// The program's version, as `denoise --version` prints it and trace headers record it.
public enum DenoiseVersion {
    public static let current = "0.1.0"
}
