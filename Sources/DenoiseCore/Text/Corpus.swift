import Foundation

/// One E2E example: the sentence and, when the file has it, its meaning representation.
public struct CorpusExample: Sendable, Equatable {
    public var text: String
    public var meaning: MeaningRepresentation?
    public init(text: String, meaning: MeaningRepresentation?) { self.text = text; self.meaning = meaning }
}

/// Reads training text: E2E CSV files (header with a `ref` column, RFC 4180 quoting) or plain
/// text (one sentence per line). Files must be UTF-8; anything else is refused with the file named.
public enum CorpusReader {
    public static func read(path: String) throws -> [CorpusExample] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DenoiseError.file(path, FileManager.default.fileExists(atPath: path)
                ? "cannot be read" : "no such file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw DenoiseError.corrupt(file: path, "not UTF-8 text")
        }
        let examples: [CorpusExample]
        if path.lowercased().hasSuffix(".csv") {
            examples = try readCSV(text, file: path)
        } else {
            examples = text.split(whereSeparator: \.isNewline)
                .map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty }
                .map { CorpusExample(text: $0, meaning: nil) }
        }
        guard !examples.isEmpty else { throw DenoiseError.corrupt(file: path, "holds no sentences") }
        return examples
    }

    static func readCSV(_ text: String, file: String) throws -> [CorpusExample] {
        let rows = try parseCSV(text, file: file)
        guard let header = rows.first else { throw DenoiseError.corrupt(file: file, "empty CSV") }
        guard let refColumn = header.firstIndex(of: "ref") else {
            throw DenoiseError.corrupt(file: file, "CSV header has no \"ref\" column (found: \(header.joined(separator: ", ")))")
        }
        let mrColumn = header.firstIndex(of: "mr")
        var out = [CorpusExample]()
        for (n, row) in rows.dropFirst().enumerated() {
            if row.count == 1 && row[0].isEmpty { continue }
            guard row.count > refColumn else {
                throw DenoiseError.corrupt(file: file, "row \(n + 2) has \(row.count) fields, expected \(header.count)")
            }
            let meaning = mrColumn.flatMap { $0 < row.count ? MeaningRepresentation(parsing: row[$0]) : nil }
            out.append(CorpusExample(text: row[refColumn], meaning: meaning))
        }
        return out
    }

    /// RFC 4180: fields separated by commas, optionally quoted, "" inside quotes is a quote,
    /// quoted fields may hold commas and newlines.
    public static func parseCSV(_ text: String, file: String) throws -> [[String]] {
        var rows = [[String]]()
        var row = [String]()
        var field = ""
        var inQuotes = false
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        func next() -> Unicode.Scalar? {
            if let p = pending { pending = nil; return p }
            return iterator.next()
        }
        while let c = next() {
            if inQuotes {
                if c == "\"" {
                    if let n = next() {
                        if n == "\"" { field.unicodeScalars.append("\"") } else { inQuotes = false; pending = n }
                    } else { inQuotes = false }
                } else { field.unicodeScalars.append(c) }
            } else {
                switch c {
                case "\"": inQuotes = true
                case ",": row.append(field); field = ""
                case "\r": continue
                case "\n": row.append(field); rows.append(row); row = []; field = ""
                default: field.unicodeScalars.append(c)
                }
            }
        }
        if inQuotes { throw DenoiseError.corrupt(file: file, "unterminated quoted field at end of file") }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }
}
