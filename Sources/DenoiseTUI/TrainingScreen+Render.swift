import DenoiseCore
import Foundation

extension TrainingScreen {
    static let minimumWidth = 60, minimumHeight = 20

    /// The whole screen: header, progress bar, plots of the loss terms and the speed, the latest
    /// samples with their fluency, the checkpoints and the last log line.
    public func render(width: Int, height: Int, glyphs: Glyphs = .unicode) -> Frame {
        var frame = Frame(width: width, height: height, glyphs: glyphs)
        guard width >= Self.minimumWidth, height >= Self.minimumHeight else {
            frame.put("terminal too small: need \(Self.minimumWidth)x\(Self.minimumHeight)", x: 0, y: 0, role: .error)
            frame.put("training goes on; Ctrl-C saves and stops", x: 0, y: 1, role: .dim)
            return frame
        }
        drawHeader(into: &frame)
        drawProgress(into: &frame, y: 2)
        // The plots get whole bands of equal height; the rows left over go to the log.
        let samplesHeight = 5, belowSamples = 3
        let band = max(1, (height - 4 - samplesHeight - belowSamples - 2) / plots.count)
        let plotsRect = Rect(x: 0, y: 4, width: width, height: band * plots.count + 2)
        drawPlots(into: &frame, rect: plotsRect, band: band)
        let samplesRect = Rect(x: 0, y: plotsRect.maxY, width: width, height: samplesHeight)
        drawSamples(into: &frame, rect: samplesRect)
        drawCheckpoints(into: &frame, y: samplesRect.maxY)
        let logRows = height - 1 - (samplesRect.maxY + 1)
        for (i, line) in messages.suffix(max(0, logRows)).enumerated() {
            frame.put(line, x: 1, y: samplesRect.maxY + 1 + i, role: .dim, limit: width - 2)
        }
        frame.fill(Rect(x: 0, y: height - 1, width: width, height: 1), role: .footer)
        let keys = frame.put(" Ctrl-C ", x: 0, y: height - 1, role: .key)
        frame.put(" save and stop (resume with --resume)", x: keys, y: height - 1, role: .footer)
        return frame
    }

    func drawHeader(into frame: inout Frame) {
        frame.fill(Rect(x: 0, y: 0, width: frame.width, height: 1), role: .header)
        frame.put(" \(title)", x: 0, y: 0, role: .header, bold: true, limit: frame.width)
        guard let p = progress else { return }
        let right = String(format: "lr %.2e ", p.learningRate)
        frame.put(right, x: frame.width - right.count, y: 0, role: .header)
    }

    func drawProgress(into frame: inout Frame, y: Int) {
        guard let p = progress else {
            frame.put("loading the corpus and building the model…", x: 1, y: y, role: .dim)
            return
        }
        let fraction = Double(p.iteration) / Double(max(p.total, 1))
        let counts = "it \(p.iteration)/\(p.total)"
        let tail = String(format: " %3.0f%%  eta %@  elapsed %@", fraction * 100,
                          TrainingProgress.duration(p.secondsLeft), TrainingProgress.duration(elapsed))
        let x = 1 + frame.put(counts + " ", x: 1, y: y, bold: true)
        let barWidth = frame.width - x - tail.count - 1
        frame.bar(x: x, y: y, width: barWidth, fraction: fraction)
        frame.put(tail, x: x + barWidth, y: y)
    }

    /// One band per plot: label and newest value on the left, the history as a column chart
    /// (oldest left) filling the rest, scaled to the history's own range.
    func drawPlots(into frame: inout Frame, rect: Rect, band: Int) {
        frame.box(rect, title: "losses and speed over the run")
        let inside = rect.inset(1)
        let labelWidth = 22
        for (i, plot) in plots.enumerated() {
            let y = inside.y + i * band
            let chartHeight = max(1, band - (band > 2 ? 1 : 0))
            frame.put(plot.label, x: inside.x + 1, y: y + chartHeight - 1, role: i == plots.count - 1 ? .guided : .title)
            if let newest = plot.series.points.last {
                let value = plot.text(newest)
                frame.put(value, x: inside.x + labelWidth - 1 - value.count, y: y + chartHeight - 1, bold: true)
            }
            let chart = Rect(x: inside.x + labelWidth, y: y, width: inside.width - labelWidth - 1, height: chartHeight)
            let values = Series.bucket(plot.series.points.map { Optional($0) }, cells: chart.width)
            frame.columnChart(values, in: chart, range: Series.range(values), role: i == plots.count - 1 ? .guided : .bar)
        }
    }

    func drawSamples(into frame: inout Frame, rect: Rect) {
        guard let s = samples else {
            frame.box(rect, title: "samples from the EMA weights")
            frame.put("the first samples come once the data is loaded", x: rect.x + 2, y: rect.y + 1, role: .dim)
            return
        }
        frame.box(rect, title: String(format: "samples at it %d · fluency %.2f · %.1f s", s.iteration, s.overallFluency, s.seconds))
        for (i, sentence) in s.sentences.prefix(rect.height - 2).enumerated() {
            let y = rect.y + 1 + i
            let fluency = s.fluency[i].map { String(format: "%.2f", $0) } ?? "  - "
            frame.put(fluency, x: rect.x + 2, y: y, role: .dim)
            frame.put(sentence.isEmpty ? "(empty)" : sentence, x: rect.x + 8, y: y, limit: rect.width - 10)
        }
    }

    /// The newest checkpoints that fit on one line, newest last.
    func drawCheckpoints(into frame: inout Frame, y: Int) {
        let x = 1 + frame.put("checkpoints ", x: 1, y: y, role: .title)
        guard !checkpoints.isEmpty else {
            frame.put("none yet", x: x, y: y, role: .dim)
            return
        }
        let items = checkpoints.map { "it \($0.iteration) at \(TrainingProgress.duration($0.elapsed))\($0.final ? " (final)" : "")" }
        var shown: [String] = []
        for item in items.reversed() {
            let line = ([item] + shown).joined(separator: "  ·  ")
            if line.count > frame.width - x - 1 { break }
            shown.insert(item, at: 0)
        }
        frame.put(shown.joined(separator: "  ·  "), x: x, y: y)
    }
}
