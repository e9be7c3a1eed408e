import Foundation

/// The ticking behind "play": calls `tick` on `queue` at a fixed rate until stopped. Owned and
/// used on that queue only.
final class PlayClock {
    private let queue: DispatchQueue
    private var timer: DispatchSourceTimer?
    private(set) var stepsPerSecond: Double = 20

    init(queue: DispatchQueue) { self.queue = queue }

    var isRunning: Bool { timer != nil }

    /// (Re)starts at `rate` steps per second, clamped to 0.5...1000.
    func start(rate: Double, tick: @escaping @Sendable () -> Void) {
        stepsPerSecond = min(max(rate, 0.5), 1000)
        timer?.cancel()
        let t = DispatchSource.makeTimerSource(queue: queue)
        t.schedule(deadline: .now(), repeating: 1 / stepsPerSecond)
        t.setEventHandler(handler: tick)
        timer = t
        t.resume()
    }

    func stop() {
        timer?.cancel()
        timer = nil
    }
}
