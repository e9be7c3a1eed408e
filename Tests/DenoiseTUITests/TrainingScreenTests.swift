import DenoiseCore
import Foundation
import Testing
@testable import DenoiseTUI

/// The training screen drawn from synthetic run events (no training, no terminal).
@Suite struct TrainingScreenTests {
    /// A run of `iterations` of `total` whose losses fall smoothly, at 8 to 10 it/s, with samples
    /// at the start and at a checkpoint at iteration 200.
    static func screen(iterations: Int = 240, total: Int = 400) -> TrainingScreen {
        var screen = TrainingScreen(title: "denoise train → Models/tiny")
        var elapsed = 0.0
        screen.apply(.message("data: 4410 training sentences, 233 held out, 29 dropped (longer than 46 tokens); vocabulary 694; 97534 parameters"),
                     elapsed: elapsed)
        screen.apply(.samples(TrainingSamples(iteration: 0, sentences: ["think think Sorrento", "per per", "restaurant customer think"],
                                              fluency: [0, nil, 0], overallFluency: 0, seconds: 0.4)), elapsed: elapsed)
        for i in 1...iterations {
            var loss = LossParts()
            let t = Float(i)
            loss.mse = 1.5 / (1 + t / 40) + 0.02 * sin(t / 7)
            loss.roundingCE = 0.05 + 2 / (1 + t / 10)
            loss.outputCE = 6 / (1 + t / 60)
            loss.prior = 0.001 * Float(i % 17)
            let seconds = 0.1 + 0.025 * Double(i % 5) / 4
            elapsed += seconds
            screen.apply(.progress(TrainingProgress(iteration: i, total: total, loss: loss, secondsPerIteration: seconds,
                                                    learningRate: 1e-3)), elapsed: elapsed)
            if i == 200 {
                screen.apply(.message("saved Models/tiny at iteration 200 (checkpoint)"), elapsed: elapsed)
                screen.apply(.saved(iteration: 200, final: false), elapsed: elapsed)
                screen.apply(.samples(TrainingSamples(
                    iteration: 200,
                    sentences: ["The Eagle is a coffee shop near Burger King in the riverside area .",
                                "Zizzi is a pub near the city centre . It is family friendly and has a high customer rating .",
                                "Cotto"],
                    fluency: [0.75, 0.6875, nil], overallFluency: 0.7143, seconds: 0.5)), elapsed: elapsed)
            }
        }
        return screen
    }

    @Test func midRun80x24() throws {
        try SnapshotTests().assertSnapshot("training-80x24", Self.screen().render(width: 80, height: 24))
    }

    @Test func midRun120x40() throws {
        try SnapshotTests().assertSnapshot("training-120x40", Self.screen().render(width: 120, height: 40))
    }

    @Test func finishedASCII80x24() throws {
        var screen = Self.screen(iterations: 400)
        screen.apply(.message("saved Models/tiny at iteration 400"), elapsed: 45)
        screen.apply(.saved(iteration: 400, final: true), elapsed: 45)
        try SnapshotTests().assertSnapshot("training-ascii-80x24", screen.render(width: 80, height: 24, glyphs: .ascii))
    }

    @Test func beforeTheFirstEvent80x24() throws {
        let screen = TrainingScreen(title: "denoise train → Models/tiny")
        try SnapshotTests().assertSnapshot("training-start-80x24", screen.render(width: 80, height: 24))
    }

    @Test func aTooSmallTerminalSaysSoAndNeverCrashes() {
        let screen = Self.screen()
        let text = screen.render(width: 40, height: 10).text
        #expect(text.contains("terminal too small"))
        for (w, h) in [(0, 0), (1, 1), (59, 30), (60, 19), (60, 20), (200, 20), (60, 80)] {
            #expect(screen.render(width: w, height: h).width == w)
        }
    }

    @Test func theNewestValuesAreShownAndTheHistoryGrows() {
        let screen = Self.screen(iterations: 50)
        #expect(screen.progress?.iteration == 50)
        #expect(screen.plots.allSatisfy { $0.series.points.count == 50 })
        #expect(screen.checkpoints.isEmpty)
        #expect(screen.samples?.iteration == 0)
        let text = screen.render(width: 80, height: 24).text
        #expect(text.contains("it 50/400"))
        #expect(text.contains(String(format: "%.4f", Double(screen.progress!.loss.mse))))
    }

    /// A term the fixed format would print as zero keeps its magnitude on screen.
    @Test func aTinyTermIsNotShownAsZero() {
        let prior = TrainingScreen.Plot(label: "prior", format: "%.4f")
        #expect(prior.text(2.3e-5) == "2.30e-05")
        #expect(prior.text(0.0123) == "0.0123")
        #expect(prior.text(0) == "0.0000")
        #expect(prior.text(-4e-6) == "-4.00e-06")
    }

    @Test func aLongSeriesKeepsBoundedMemoryAndItsMean() {
        var series = DownsampledSeries(capacity: 8)
        for i in 0..<1000 { series.append(Double(i)) }
        #expect(series.points.count < 8 && series.stride == 128)
        // Each point is the mean of `stride` consecutive values: point k covers k*128 ..< (k+1)*128.
        for (k, point) in series.points.enumerated() {
            #expect(point == Double(k * 128) + 63.5)
        }
        series.append(.nan)
        #expect(series.points.count < 8)
    }
}
