import Foundation

/// An E2E meaning representation: `name[The Eagle], eatType[coffee shop], ...`.
public struct MeaningRepresentation: Sendable, Equatable {
    /// The eight E2E fields, in the corpus's order.
    public static let fields = ["name", "eatType", "food", "priceRange", "customer rating", "area",
                                "familyFriendly", "near"]

    public var values: [String: String]

    public init(values: [String: String]) { self.values = values }

    /// Parses `field[value], field[value]`; nil when nothing parses.
    public init?(parsing text: String) {
        var values = [String: String]()
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "["), let close = rest[open...].firstIndex(of: "]") {
            let field = rest[..<open].trimmingCharacters(in: .whitespaces.union(.init(charactersIn: ",")))
            let value = rest[rest.index(after: open)..<close].trimmingCharacters(in: .whitespaces)
            if !field.isEmpty { values[field] = value }
            rest = rest[rest.index(after: close)...]
        }
        guard !values.isEmpty else { return nil }
        self.values = values
    }

    /// The canonical field name for user input: case-insensitive, spaces optional
    /// (`customer rating`, `customerRating`, `CUSTOMER_RATING`).
    public static func canonicalField(_ name: String) -> String? {
        func key(_ s: String) -> String { s.lowercased().filter { $0.isLetter } }
        return fields.first { key($0) == key(name) }
    }
}
