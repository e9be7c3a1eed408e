// Embedding lookup: out[n] = table[ids[n]] (rows of width D); backward scatters into the table.

public enum Embedding {
    public static func forward(out: UnsafeMutablePointer<Float>, table: UnsafePointer<Float>,
                               ids: UnsafePointer<Int32>, count: Int, width d: Int) {
        for n in 0..<count { (out + n * d).update(from: table + Int(ids[n]) * d, count: d) }
    }

    public static func backward(dtable: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                                ids: UnsafePointer<Int32>, count: Int, width d: Int) {
        for n in 0..<count {
            let row = dtable + Int(ids[n]) * d, g = dout + n * d
            for j in 0..<d { row[j] += g[j] }
        }
    }
}
