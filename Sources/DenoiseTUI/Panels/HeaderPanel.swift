import DenoiseCore

/// The top line: model, seed, step, noise level, play state, clamping (and the sampling
/// temperature when it is not 1, the sampler when a branch uses DDIM), branch.
enum HeaderPanel {
    static func draw(_ frame: inout Frame, _ rect: Rect, _ c: PanelContext) {
        let s = c.snapshot, e = c.engine, g = c.glyphs
        let model = modelText(c.summary)
        let computing = e.computing ? " \(g.separator) computing\(g.ellipsis)" : ""
        let play = (e.playing ? "\(g.playing) playing \(Describe.speed(e.stepsPerSecond))/s" : "\(g.paused) paused") + computing
        let playShort = (e.playing ? "\(g.playing) \(Describe.speed(e.stepsPerSecond))/s" : "\(g.paused) paused") + computing
        let temperature = e.settings.temperature == 1 ? "" : " temp " + Describe.trimmed(Double(e.settings.temperature))
        // DDPM is the default and goes unsaid until some branch uses DDIM, so B's two chains say which is which.
        let ddim = e.settings.samplerKind == .ddim || e.branches.contains { $0.settings.samplerKind == .ddim }
        let sampler = ddim ? " \(g.separator) " + e.settings.samplerDescription : ""
        // A discrete chain has nothing to clamp; it names its unmasking rule (masked) instead.
        let clamp = s.isDiscrete
            ? (s.discrete?.unmask.map { "unmask \($0.rawValue)" + temperature } ?? "temp " + Describe.trimmed(Double(e.settings.temperature)))
            : "clamp \(e.settings.clamp ? "on" : "off")" + temperature + sampler
        let branch = e.branches.count > 1 ? "branch \(e.branchIndex + 1) of \(e.branches.count)" : "branch \(e.branchIndex + 1)"
        let branchShort = e.branches.count > 1 ? "br \(e.branchIndex + 1)/\(e.branches.count)" : "br \(e.branchIndex + 1)"
        // A forward walk counts up in t, clean to noise; an edit is a chain started from one.
        let step = (e.direction == .forward ? "forward " : e.source != nil ? "edit " : "") + "step \(s.step)/\(s.totalSteps)"
        // A trace without a header does not say which seed made it.
        let seed = c.summary.replay?.settingsRecorded == false ? "seed ?" : "seed \(e.settings.seed)"
        let t = "t=\(s.t)/\(c.summary.diffusionSteps)"
        let sep = " \(g.separator) "
        let candidates = [
            (["denoise", model, seed, step, t, play, clamp, branch], true),
            ([model, seed, step, t, play, clamp, branch], true),
            ([model, seed, step, t, playShort, clamp, branchShort], false),
            ([c.summary.name, seed, step, "t=\(s.t)", playShort, clamp, branchShort], false),
        ]
        frame.fill(rect, role: .header)
        let line = candidates.map { " " + $0.0.joined(separator: sep) }.first { $0.count <= rect.width }
            ?? " " + candidates.last!.0.joined(separator: sep)
        frame.put(line, x: rect.x, y: rect.y, role: .header, bold: true, limit: rect.width)
    }

    /// The model and its size; a replay says so, and names its file when the trace does not
    /// name the model.
    static func modelText(_ summary: ModelSummary) -> String {
        // A masked or uniform model says so right after its name.
        let kind = summary.kind == .continuous ? "" : " \(Glyphs.unicode.separator) \(summary.kind.label)"
        let model = "\(summary.name) (\(Describe.count(summary.parameterCount)))" + kind
        guard let replay = summary.replay else { return model }
        return replay.settingsRecorded ? "\(model) replay" : "replay of \(replay.file)"
    }

    /// Before the engine's first state: the model name and a waiting note.
    static func drawWaiting(_ frame: inout Frame, _ layout: Layout, summary: ModelSummary) {
        frame.fill(layout.header, role: .header)
        frame.put(" denoise \(frame.glyphs.separator) \(modelText(summary))",
                  x: 0, y: 0, role: .header, bold: true, limit: layout.width)
        let note = "waiting for the engine\(frame.glyphs.ellipsis)"
        frame.put(note, x: max(0, (layout.width - note.count) / 2), y: layout.height / 2, role: .dim)
    }
}
