import Foundation
import Testing
@testable import DenoiseCore

/// The maths behind the geometry view: the PCA of the embedding table and the rounding plane.
@Suite struct GeometryTests {
    /// A random table with very different spreads per dimension, so the principal axes are
    /// well separated.
    static func table(words v: Int, dim d: Int, seed: UInt64 = 3) -> [Float] {
        var rng = RandomSource(seed: seed)
        var table = [Float](repeating: 0, count: v * d)
        for w in 0..<v { for j in 0..<d { table[w * d + j] = rng.normal() * Float(d - j) / Float(d) + 0.3 } }
        return table
    }

    @Test func pcaBasisIsOrthonormalAndKeepsTheVarianceItClaims() throws {
        let v = 300, d = 16
        let table = Self.table(words: v, dim: d)
        let p = try #require(EmbeddingProjection(table: table, vocabularySize: v, dim: d))
        func dot(_ a: Int, _ b: Int) -> Double {
            (0..<d).reduce(0.0) { $0 + Double(p.axes[a * d + $1]) * Double(p.axes[b * d + $1]) }
        }
        #expect(abs(dot(0, 0) - 1) < 1e-5)
        #expect(abs(dot(1, 1) - 1) < 1e-5)
        #expect(abs(dot(0, 1)) < 1e-5)
        // Direct computation in doubles: variance of the centred words along the two axes over
        // their total variance.
        var mean = [Double](repeating: 0, count: d)
        for w in 0..<v { for j in 0..<d { mean[j] += Double(table[w * d + j]) / Double(v) } }
        var kept = 0.0, total = 0.0
        for w in 0..<v {
            var a = 0.0, b = 0.0
            for j in 0..<d {
                let c = Double(table[w * d + j]) - mean[j]
                total += c * c
                a += c * Double(p.axes[j]); b += c * Double(p.axes[d + j])
            }
            kept += a * a + b * b
            #expect(abs(a - Double(p.points[2 * w])) < 1e-4)
            #expect(abs(b - Double(p.points[2 * w + 1])) < 1e-4)
        }
        #expect(abs(kept / total - p.varianceShare) < 1e-4)
        // They are the top two axes: no coordinate axis (or pair of them) keeps more.
        #expect(p.variances[0] >= p.variances[1] && p.variances[1] >= p.variances[2])
        var coordinate = [Double](repeating: 0, count: d)
        for w in 0..<v { for j in 0..<d { let c = Double(table[w * d + j]) - mean[j]; coordinate[j] += c * c } }
        let bestPair = coordinate.sorted(by: >).prefix(2).reduce(0, +)
        #expect(kept >= bestPair * (1 - 1e-5))
    }

    @Test func pcaNeedsAUsableTable() {
        #expect(EmbeddingProjection(table: [], vocabularySize: 0, dim: 16) == nil)
        #expect(EmbeddingProjection(table: [1, 2, 3], vocabularySize: 1, dim: 16) == nil)
    }

    static func distance(_ a: [Float], _ b: ArraySlice<Float>) -> Float {
        zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
    }

    @Test func roundingPlaneDistancesAreTheSixteenDimensionalOnes() throws {
        let v = 200, d = 16
        let table = Self.table(words: v, dim: d, seed: 11)
        var rng = RandomSource(seed: 5)
        for trial in 0..<20 {
            var x = Array(table[(trial * 7 % v) * d..<(trial * 7 % v + 1) * d])
            for j in 0..<d { x[j] += rng.normal() * 0.4 }
            let plane = try #require(RoundingPlane(prediction: x, table: table, vocabularySize: v, dim: d))
            // e1 and e2 are the two nearest words, found by brute force.
            let ranked = (0..<v).map { w in (w, Self.distance(x, table[w * d..<(w + 1) * d])) }.sorted { $0.1 < $1.1 }
            #expect(Int(plane.nearest.id) == ranked[0].0 && Int(plane.second.id) == ranked[1].0)
            let p = plane.prediction
            let inPlane1 = ((p.x - plane.nearest.x) * (p.x - plane.nearest.x) + p.y * p.y).squareRoot()
            let inPlane2 = ((p.x - plane.second.x) * (p.x - plane.second.x) + p.y * p.y).squareRoot()
            #expect(abs(inPlane1 - ranked[0].1) < 1e-4 * max(1, ranked[0].1))
            #expect(abs(inPlane2 - ranked[1].1) < 1e-4 * max(1, ranked[1].1))
            #expect(abs(plane.nearest.distance - ranked[0].1) < 1e-4 * max(1, ranked[0].1))
            #expect(abs(plane.second.distance - ranked[1].1) < 1e-4 * max(1, ranked[1].1))
            #expect(plane.margin >= 0 && abs(plane.margin - (ranked[1].1 - ranked[0].1)) < 2e-4 * max(1, ranked[1].1))
            // x0-hat lies in the plane and on e1's side of the bisector x = 0.
            #expect(plane.coordinates(of: x).offPlane < 1e-3)
            #expect(p.x <= 1e-5)
            // Points of the bisector are as far from e1 as from e2 in 16-d; off it they are not.
            let e1 = table[Int(plane.nearest.id) * d..<(Int(plane.nearest.id) + 1) * d]
            let e2 = table[Int(plane.second.id) * d..<(Int(plane.second.id) + 1) * d]
            for y: Float in [-2, 0, 0.7, 3] {
                let onLine = plane.point(x: 0, y: y)
                #expect(abs(Self.distance(onLine, e1) - Self.distance(onLine, e2)) < 1e-4)
                let left = plane.point(x: -0.1 * plane.halfGap, y: y)
                #expect(Self.distance(left, e1) < Self.distance(left, e2))
            }
            // The projected words are really the next nearest, in order.
            #expect(plane.next.map { Int($0.id) } == ranked[2..<5].map(\.0))
        }
    }

    @Test func roundingPlaneOnTheLineThroughBothWords() throws {
        let table: [Float] = [0, 0, 0, 0, 2, 0, 0, 0, 9, 9, 9, 9]
        let plane = try #require(RoundingPlane(prediction: [0.5, 0, 0, 0], table: table, vocabularySize: 3, dim: 4))
        #expect(plane.nearest.id == 0 && plane.second.id == 1)
        #expect(abs(plane.prediction.x + 0.5) < 1e-6 && abs(plane.prediction.y) < 1e-6)
        // Distances 0.5 and 1.5: the margin is their difference, not that of their squares.
        #expect(abs(plane.margin - (1.5 - 0.5)) < 1e-5)
        // Words only: the specials (ids below 4) are skipped.
        let wide = [Float](repeating: 0, count: 4 * 4) + [1, 0, 0, 0, 3, 0, 0, 0]
        let words = try #require(RoundingPlane(prediction: [0, 0, 0, 0], table: wide, vocabularySize: 6, dim: 4, wordsOnly: true))
        #expect(words.nearest.id == 4 && words.second.id == 5)
    }

    @Test func chainSnapshotsCarryTheirGeometry() throws {
        let model = TinyModel.make()
        let projection = try #require(model.projection)
        let chain = try ReverseChain(model: model, settings: ChainSettings(seed: 4, steps: 10))
        let start = try #require(chain.initialSnapshot().latent)
        #expect(start.prediction.isEmpty && start.predictionPoints.isEmpty)
        let d = model.config.embeddingDim, length = model.config.sequenceLength
        for _ in 0..<10 {
            let snapshot = chain.recordedStep()
            let latent = try #require(snapshot.latent)
            #expect(latent.count == length && latent.prediction.count == length * d)
            let expected = projection.project(rows: length, chain.latent.pointer)
            let scaled = projection.project(rows: length, chain.latent.pointer, scale: Float(1 / latent.alphaBar.squareRoot()))
            for k in 0..<2 * length {
                #expect(abs(latent.latentPoints[k] - expected[k]) < 1e-4)
                #expect(abs(latent.scaledPoints[k] - scaled[k]) < 1e-3 * max(1, abs(scaled[k])))
            }
            for p in 0..<length {
                // The stored prediction rounds to the word the snapshot shows.
                let row = try #require(latent.predictionRow(p, dim: d))
                let plane = try #require(RoundingPlane(prediction: row, table: projection.table,
                                                       vocabularySize: projection.vocabularySize, dim: d,
                                                       wordsOnly: latent.wordsOnly[p]))
                #expect(plane.nearest.id == snapshot.x0[p].id || abs(plane.margin) < 1e-4)
                #expect(abs(plane.nearest.distance - snapshot.x0[p].distance) < 1e-3 * max(1, snapshot.x0[p].distance))
            }
        }
        #expect(chain.isFinished)
    }

    @Test func traceGeometryLinesAreWrittenAndSkippedOnRead() throws {
        let model = TinyModel.make()
        let projection = try #require(model.projection)
        let chain = try ReverseChain(model: model, settings: ChainSettings(seed: 4, steps: 5))
        var snapshots = [chain.initialSnapshot()]
        snapshots += Array(chain)
        let lines = Trace.latentLines(snapshots, projection: projection)
        #expect(lines.count == snapshots.count + 1)
        let basis = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(basis["kind"] as? String == "latentBasis")
        #expect((basis["axes"] as? [[Double]])?.map(\.count) == [8, 8])
        let step = try #require(try JSONSerialization.jsonObject(with: Data(lines[3].utf8)) as? [String: Any])
        #expect(step["kind"] as? String == "latent2d" && step["step"] as? Int == 2)
        #expect((step["x0"] as? [[Double]])?.count == model.config.sequenceLength)
        let directory = try TinyModel.temporaryDirectory()
        let path = (directory as NSString).appendingPathComponent("t.jsonl")
        try Trace.write(header: TraceHeader(model: model.summary, settings: chain.settings), snapshots: snapshots,
                        text: "done", to: path, extraLines: lines)
        let read = try Trace.read(path: path)
        #expect(read.snapshots.count == snapshots.count && read.text == "done")
    }
}
