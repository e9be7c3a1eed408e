import DenoiseCore

/// The vocabulary's special tokens as the UI recognises them (START, END, PAD, in any of the
/// usual spellings).
enum TokenText {
    static func isPad(_ text: String) -> Bool {
        switch text.lowercased() {
        case "pad", "<pad>", "[pad]": return true
        default: return false
        }
    }

    static func isSpecial(_ text: String) -> Bool {
        switch text.lowercased() {
        case "pad", "<pad>", "[pad]", "start", "<s>", "[start]", "<bos>", "end", "</s>", "[end]", "<eos>":
            return true
        default:
            return false
        }
    }

    /// The sentence the tokens read as: words joined by spaces, special tokens left out.
    static func sentence(_ tokens: [RoundedToken]) -> String {
        tokens.map(\.text).filter { !isSpecial($0) }.joined(separator: " ")
    }
}

/// Short human forms of numbers and settings.
enum Describe {
    /// 951_234 -> "0.95M", 12_300 -> "12.3k", 2_500_000_000 -> "2.5B".
    static func count(_ n: Int) -> String {
        let value = Double(n)
        if n >= 1_000_000_000 { return trimmed(value / 1e9) + "B" }
        if n >= 100_000 { return fixed(value / 1e6, 2) + "M" }
        if n >= 1_000 { return trimmed(value / 1e3) + "k" }
        return "\(n)"
    }

    /// Up to two decimals, without trailing zeros.
    static func trimmed(_ value: Double) -> String {
        var text = fixed(value, 2)
        while text.contains("."), text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// `value` with `digits` decimals (no Foundation formatting: this runs for every frame).
    static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf") }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        let negative = value < 0 && scaled > 0
        let whole = Int(scaled / scale)
        var text = (negative ? "-" : "") + String(whole)
        if digits > 0 {
            let fraction = String(Int(scaled - Double(whole) * scale))
            text += "." + String(repeating: "0", count: digits - fraction.count) + fraction
        }
        return text
    }

    static func speed(_ stepsPerSecond: Double) -> String {
        stepsPerSecond == stepsPerSecond.rounded() ? "\(Int(stepsPerSecond))" : trimmed(stepsPerSecond)
    }

    static func controls(_ settings: ChainSettings) -> String {
        var parts = settings.controls.map(\.description)
        if let length = settings.lengthMode.exactLength { parts.append("length \(length)") }
        if settings.lengthMode.template != nil { parts.append("infill") }
        return parts.isEmpty ? "none" : parts.joined(separator: ", ")
    }
}
