/// A fixed-size, zero-initialised block of floats that owns its memory.
///
/// Kernels work on raw pointers (llm.c style) so that hot loops neither allocate nor pay for
/// bounds checks; a `FloatBuffer` is how those pointers are owned. It is a class so that the
/// pointer stays put for the buffer's whole life. It is not `Sendable`: whoever allocates it
/// (the trainer, or the engine's queue) owns it.
public final class FloatBuffer {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Float>

    public init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { pointer.update(from: base, count: values.count) }
        }
    }

    deinit { pointer.deallocate() }

    public subscript(i: Int) -> Float {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }

    public func zero() { pointer.update(repeating: 0, count: count) }

    public func copy(from other: FloatBuffer) {
        precondition(other.count == count, "FloatBuffer.copy: size mismatch")
        pointer.update(from: other.pointer, count: count)
    }

    public var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
}
