/// The plane through a prediction x0-hat, its nearest word e1 and its second-nearest word e2,
/// where nearest-word rounding between e1 and e2 is exact 2-D geometry: the three points lie
/// in the plane, so their distances there are the 16-d distances, and the set of points as far
/// from e1 as from e2 is a straight line (the perpendicular bisector of e1 e2).
///
/// Coordinates: the origin is the midpoint of e1 and e2, the x axis runs from e1 to e2 (e1 at
/// (-halfGap, 0), e2 at (+halfGap, 0)), the y axis points towards x0-hat (y >= 0). The
/// bisector is the line x = 0; points with x < 0 round to e1 (among the two).
public struct RoundingPlane: Sendable {
    /// A word placed in the plane: nearest, second, or one of the next words projected onto it.
    public struct Word: Sendable, Equatable {
        public var id: Int32
        public var x: Float
        public var y: Float
        /// Distance from the word to the plane (0 for e1 and e2).
        public var offPlane: Float
        /// L2 distance (not squared) from x0-hat in the full embedding space.
        public var distance: Float
    }

    public let dim: Int
    let origin: [Float]
    let xAxis: [Float]
    let yAxis: [Float]
    /// Half the distance between e1 and e2.
    public let halfGap: Float
    public let nearest: Word
    public let second: Word
    /// The next nearest words after e1 and e2, projected into the plane, nearest first.
    public let next: [Word]
    /// x0-hat's coordinates.
    public let prediction: (x: Float, y: Float)
    /// Margin of the rounding: distance to e2 minus distance to e1 (both L2, not squared), the
    /// unit of the snapshot's margins.
    public let margin: Float

    /// The k nearest words of `x` in `table` ([V, D]) as (id, squared distance), nearest first;
    /// `firstWord` skips the lower ids (positions that must hold a word skip the specials).
    public static func nearestWords<C: Collection<Float>>(_ x: C, table: [Float], vocabularySize v: Int,
                                                          dim d: Int, k: Int, firstWord: Int = 0) -> [(id: Int32, distance: Float)] {
        let point = Array(x)
        var best: [(id: Int32, distance: Float)] = []
        best.reserveCapacity(k + 1)
        for w in firstWord..<v {
            var s: Float = 0
            for j in 0..<d { let e = point[j] - table[w * d + j]; s += e * e }
            if best.count < k || s < best[best.count - 1].distance {
                if best.count == k { best.removeLast() }
                var i = best.count
                while i > 0 && best[i - 1].distance > s { i -= 1 }
                best.insert((Int32(w), s), at: i)
            }
        }
        return best
    }

    /// The plane of `prediction` (D floats) among the words of `table`; nil when the table
    /// has fewer than two eligible words or e1 and e2 coincide.
    public init?<C: Collection<Float>>(prediction x: C, table: [Float], vocabularySize v: Int, dim d: Int,
                                       wordsOnly: Bool = false, nextCount: Int = 3) {
        let firstWord = wordsOnly && v > Rounder.firstWordID + 1 ? Rounder.firstWordID : 0
        let ranked = Self.nearestWords(x, table: table, vocabularySize: v, dim: d, k: 2 + nextCount, firstWord: firstWord)
        guard ranked.count >= 2 else { return nil }
        func row(_ id: Int32) -> ArraySlice<Float> { table[Int(id) * d..<(Int(id) + 1) * d] }
        let e1 = Array(row(ranked[0].id)), e2 = Array(row(ranked[1].id)), point = Array(x)
        var origin = [Float](repeating: 0, count: d), xAxis = origin
        for j in 0..<d { origin[j] = (e1[j] + e2[j]) / 2; xAxis[j] = e2[j] - e1[j] }
        let gap = Self.norm(xAxis)
        guard gap > 0 else { return nil }
        for j in 0..<d { xAxis[j] /= gap }
        // y axis: the part of x0-hat - origin orthogonal to the x axis; when x0-hat lies on the
        // line e1 e2, any unit vector orthogonal to it (Gram-Schmidt on a coordinate axis).
        var yAxis = (0..<d).map { point[$0] - origin[$0] }
        var along = Self.dot(yAxis, xAxis)
        for j in 0..<d { yAxis[j] -= along * xAxis[j] }
        if Self.norm(yAxis) <= 1e-6 * max(gap, 1) {
            let axis = (0..<d).min { abs(xAxis[$0]) < abs(xAxis[$1]) } ?? 0
            yAxis = [Float](repeating: 0, count: d)
            yAxis[axis] = 1
            along = xAxis[axis]
            for j in 0..<d { yAxis[j] -= along * xAxis[j] }
        }
        let yNorm = Self.norm(yAxis)
        for j in 0..<d { yAxis[j] /= yNorm }
        self.dim = d; self.origin = origin; self.xAxis = xAxis; self.yAxis = yAxis; self.halfGap = gap / 2
        let l2 = Distance.unsquared(squaredDistance: ranked[0].distance, squaredMargin: ranked[1].distance - ranked[0].distance)
        nearest = Word(id: ranked[0].id, x: -gap / 2, y: 0, offPlane: 0, distance: l2.distance)
        second = Word(id: ranked[1].id, x: gap / 2, y: 0, offPlane: 0, distance: ranked[1].distance.squareRoot())
        margin = l2.margin
        next = ranked.dropFirst(2).map { r in
            let c = Self.coordinates(Array(row(r.id)), origin: origin, xAxis: xAxis, yAxis: yAxis)
            return Word(id: r.id, x: c.x, y: c.y, offPlane: c.offPlane, distance: r.distance.squareRoot())
        }
        let p = Self.coordinates(point, origin: origin, xAxis: xAxis, yAxis: yAxis)
        prediction = (p.x, p.y)
    }

    /// Coordinates in the plane of a D-float vector, and its distance from the plane.
    public func coordinates<C: Collection<Float>>(of v: C) -> (x: Float, y: Float, offPlane: Float) {
        Self.coordinates(Array(v), origin: origin, xAxis: xAxis, yAxis: yAxis)
    }

    /// The D-float vector at plane coordinates (x, y).
    public func point(x: Float, y: Float) -> [Float] {
        (0..<dim).map { origin[$0] + x * xAxis[$0] + y * yAxis[$0] }
    }

    static func coordinates(_ v: [Float], origin: [Float], xAxis: [Float], yAxis: [Float]) -> (x: Float, y: Float, offPlane: Float) {
        var x: Float = 0, y: Float = 0
        for j in 0..<origin.count {
            let r = v[j] - origin[j]
            x += r * xAxis[j]; y += r * yAxis[j]
        }
        // The residual itself, not |r|^2 - x^2 - y^2, which cancels to noise near the plane.
        var off: Float = 0
        for j in 0..<origin.count {
            let e = v[j] - origin[j] - x * xAxis[j] - y * yAxis[j]
            off += e * e
        }
        return (x, y, off.squareRoot())
    }

    static func dot(_ a: [Float], _ b: [Float]) -> Float {
        var s: Float = 0
        for j in 0..<a.count { s += a[j] * b[j] }
        return s
    }

    static func norm(_ a: [Float]) -> Float { dot(a, a).squareRoot() }
}
