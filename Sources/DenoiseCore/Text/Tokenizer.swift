/// Splits text into words and punctuation marks, keeping case (restaurant names are proper
/// nouns). A word is a run of letters and digits (accents included: "Café"); every other
/// visible character is a token of its own ("family-friendly" -> family - friendly,
/// "£20" -> £ 20). Output text is the tokens joined by single spaces, so the word match used to
/// judge outputs sees exactly the tokens the model produced.
public enum Tokenizer {
    public static func tokenize(_ text: String) -> [String] {
        var tokens = [String]()
        var word = ""
        for ch in text {
            if ch.isLetter || ch.isNumber {
                word.append(ch)
            } else {
                if !word.isEmpty { tokens.append(word); word = "" }
                if !ch.isWhitespace { tokens.append(String(ch)) }
            }
        }
        if !word.isEmpty { tokens.append(word) }
        return tokens
    }

    public static func join(_ tokens: [String]) -> String { tokens.joined(separator: " ") }
}
