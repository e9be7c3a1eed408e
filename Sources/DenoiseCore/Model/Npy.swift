import Foundation

/// NumPy's `.npy` format for float32 arrays, so latents and predictions can be exchanged with
/// Python: version 1.0, dtype '<f4', C order. Other dtypes, Fortran order and other versions are
/// refused with an error that says what is accepted.
public enum Npy {
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY

    /// Reads a float32 array: its shape and its values in C order.
    public static func read(path: String) throws -> (shape: [Int], values: [Float]) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DenoiseError.file(path, FileManager.default.fileExists(atPath: path) ? "cannot be read" : "no such file")
        }
        return try decode(data, file: path)
    }

    public static func decode(_ data: Data, file: String) throws -> (shape: [Int], values: [Float]) {
        let bytes = [UInt8](data)
        func fail(_ why: String) -> DenoiseError {
            .corrupt(file: file, "\(why) (accepted: .npy version 1.0, dtype float32 '<f4', C order)")
        }
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else { throw fail("not a .npy file") }
        guard bytes[6] == 1, bytes[7] == 0 else { throw fail("format version \(bytes[6]).\(bytes[7])") }
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        guard bytes.count >= 10 + headerLength,
              let header = String(bytes: bytes[10..<(10 + headerLength)], encoding: .ascii) else {
            throw fail("truncated header")
        }
        guard let descr = field("descr", in: header) else { throw fail("header has no descr") }
        guard descr == "'<f4'" else { throw fail("dtype \(descr)") }
        guard field("fortran_order", in: header) == "False" else { throw fail("Fortran order") }
        guard let shapeText = field("shape", in: header) else { throw fail("header has no shape") }
        let inner = shapeText.trimmingCharacters(in: CharacterSet(charactersIn: "()"))
        var shape = [Int]()
        for part in inner.split(separator: ",") {
            let text = part.trimmingCharacters(in: .whitespaces)
            guard let n = Int(text), n >= 0 else { throw fail("shape \(shapeText)") }
            shape.append(n)
        }
        let (count, overflow) = shape.reduce((1, false)) { acc, n in
            let (p, o) = acc.0.multipliedReportingOverflow(by: n)
            return (p, acc.1 || o)
        }
        let start = 10 + headerLength
        guard !overflow, bytes.count - start == count * 4 else {
            throw fail("shape \(shapeText) needs \(overflow ? "too many" : String(count * 4)) data bytes, the file has \(bytes.count - start)")
        }
        var values = [Float](repeating: 0, count: count)
        values.withUnsafeMutableBytes { out in
            bytes.withUnsafeBytes { out.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[start...])) }
        }
        for i in values.indices { values[i] = Float(bitPattern: UInt32(littleEndian: values[i].bitPattern)) }
        return (shape, values)
    }

    /// The value text of `'key': value` in a header dict (a tuple value runs to its ')').
    static func field(_ key: String, in header: String) -> String? {
        guard let range = header.range(of: "'\(key)':") else { return nil }
        let rest = header[range.upperBound...].drop { $0 == " " }
        if rest.first == "(" {
            guard let close = rest.firstIndex(of: ")") else { return nil }
            return String(rest[...close])
        }
        let end = rest.firstIndex { $0 == "," || $0 == "}" } ?? rest.endIndex
        return rest[..<end].trimmingCharacters(in: .whitespaces)
    }

    public static func encode(shape: [Int], values: [Float]) -> Data {
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
        let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(dims)), }"
        // Magic, version and length take 10 bytes; the header ends in '\n' and the total is a
        // multiple of 64, as NumPy writes it.
        let padding = (64 - (10 + header.utf8.count + 1) % 64) % 64
        header += String(repeating: " ", count: padding) + "\n"
        var data = Data(magic + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)])
        data.append(Data(header.utf8))
        values.withUnsafeBufferPointer { buffer in
            data.append(contentsOf: buffer.map { $0.bitPattern.littleEndian }.withUnsafeBytes { Data($0) })
        }
        return data
    }

    /// Writes a float32 array (atomically).
    public static func write(path: String, shape: [Int], values: [Float]) throws {
        try AtomicFile.write(encode(shape: shape, values: values), to: path)
    }
}
