import Foundation

/// Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON
/// header {name: {dtype, shape, data_offsets}, "__metadata__": {string: string}}, then raw
/// little-endian data. Only F32 tensors are used by Denoise. Every malformed input is a thrown
/// `DenoiseError.corrupt` naming the file and the problem, never a trap.
public enum Safetensors {
    public struct Tensor: Sendable, Equatable {
        public var shape: [Int]
        public var values: [Float]
        public init(shape: [Int], values: [Float]) { self.shape = shape; self.values = values }
    }

    /// Largest header accepted; real headers are a few KiB.
    static let maxHeaderBytes = 16 << 20

    public static func encode(_ tensors: [(name: String, shape: [Int], values: UnsafeBufferPointer<Float>)],
                              metadata: [String: String] = [:]) throws -> Data {
        var header = [String: Any]()
        var offset = 0
        for t in tensors {
            let bytes = t.values.count * 4
            header[t.name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + bytes]]
            offset += bytes
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        // Pad the header with spaces to a multiple of 8 so the data section is aligned.
        while (json.count % 8) != 0 { json.append(0x20) }
        var out = Data(capacity: 8 + json.count + offset)
        var length = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &length) { out.append(contentsOf: $0) }
        out.append(json)
        for t in tensors {
            // Little-endian hosts (x86_64, arm64) store Float exactly as the format wants.
            out.append(UnsafeBufferPointer(start: UnsafeRawPointer(t.values.baseAddress!)
                .assumingMemoryBound(to: UInt8.self), count: t.values.count * 4))
        }
        return out
    }

    public static func decode(_ bytes: Data, file: String) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        // Offsets below are from the start of the file: rebase a slice to index 0.
        let data = bytes.startIndex == 0 ? bytes : Data(bytes)
        func fail(_ why: String) -> DenoiseError { .corrupt(file: file, why) }
        guard data.count >= 8 else { throw fail("too short for a safetensors file (\(data.count) bytes)") }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | (UInt64($1.element) << (8 * UInt64($1.offset))) }
        guard headerLength <= UInt64(maxHeaderBytes), Int(headerLength) <= data.count - 8 else {
            throw fail("header length \(headerLength) does not fit the file (\(data.count) bytes)")
        }
        let headerData = try JSONText.checked(data.subdata(in: 8..<(8 + Int(headerLength))), file: file)
        guard let header = (try? JSONSerialization.jsonObject(with: headerData)) as? [String: Any] else {
            throw fail("header is not a JSON object")
        }
        let dataStart = 8 + Int(headerLength)
        let dataCount = data.count - dataStart
        var metadata = [String: String]()
        var tensors = [String: Tensor]()
        for (name, value) in header {
            if name == "__metadata__" {
                guard let m = value as? [String: String] else { throw fail("__metadata__ must map strings to strings") }
                metadata = m
                continue
            }
            guard let entry = value as? [String: Any] else { throw fail("tensor \"\(name)\" is not a JSON object") }
            guard let dtype = entry["dtype"] as? String else { throw fail("tensor \"\(name)\" has no dtype") }
            guard dtype == "F32" else { throw fail("tensor \"\(name)\" has dtype \(dtype) (accepted: F32)") }
            guard let shapeAny = entry["shape"] as? [Any], let shape = intArray(shapeAny), shape.allSatisfy({ $0 >= 0 && $0 < (1 << 31) }) else {
                throw fail("tensor \"\(name)\" has a malformed shape")
            }
            guard let offAny = entry["data_offsets"] as? [Any], let offsets = intArray(offAny), offsets.count == 2 else {
                throw fail("tensor \"\(name)\" has malformed data_offsets")
            }
            let (begin, end) = (offsets[0], offsets[1])
            var elements = 1
            for s in shape {
                let (p, overflow) = elements.multipliedReportingOverflow(by: s)
                guard !overflow, p < (1 << 40) else { throw fail("tensor \"\(name)\" shape is too large") }
                elements = p
            }
            guard begin >= 0, end >= begin, end <= dataCount else {
                throw fail("tensor \"\(name)\" data_offsets [\(begin), \(end)] run past the end of the data (\(dataCount) bytes)")
            }
            guard end - begin == elements * 4 else {
                throw fail("tensor \"\(name)\" holds \(end - begin) bytes but shape \(shape) needs \(elements * 4)")
            }
            var values = [Float](repeating: 0, count: elements)
            values.withUnsafeMutableBytes { dst in
                data.copyBytes(to: dst.bindMemory(to: UInt8.self), from: (dataStart + begin)..<(dataStart + end))
            }
            tensors[name] = Tensor(shape: shape, values: values)
        }
        return (tensors, metadata)
    }

    static func intArray(_ a: [Any]) -> [Int]? {
        var out = [Int]()
        for v in a {
            guard let n = v as? NSNumber else { return nil }
            let d = n.doubleValue
            guard d == d.rounded(), d >= -1e15, d <= 1e15 else { return nil }
            out.append(Int(d))
        }
        return out
    }
}

/// Writing files so an interruption never leaves a broken one: write to a temporary name in the
/// same folder, then rename over the target (atomic on POSIX file systems).
public enum AtomicFile {
    public static func write(_ data: Data, to path: String) throws {
        let tmp = path + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: tmp, contents: data) else {
            throw DenoiseError.file(path, "cannot be written (folder missing or not writable)")
        }
        guard rename(tmp, path) == 0 else {
            unlink(tmp)
            throw DenoiseError.file(path, "cannot be replaced: \(String(cString: strerror(errno)))")
        }
    }
}
