import Foundation

/// What every engine behind an `EngineHandle` shares: the serial queue its requests run on,
/// the play clock that ticks on that queue, and the mailbox the newest published state waits
/// in until the UI thread takes it.
///
/// The mailbox is the only part touched from two threads: `post` (the engine's queue) and
/// `take` (the UI thread) each hold its lock for a single assignment, so neither ever waits on
/// the other's work.
final class EngineLoop: @unchecked Sendable {
    let queue: DispatchQueue
    /// Used on `queue` only.
    let clock: PlayClock
    private let lock = NSLock()
    private var mailbox: EngineState?      // guarded by lock

    init(label: String, qos: DispatchQoS = .unspecified) {
        queue = DispatchQueue(label: label, qos: qos)
        clock = PlayClock(queue: queue)
    }

    /// Replaces whatever state is waiting with `state`.
    func post(_ state: EngineState) {
        lock.lock()
        mailbox = state
        lock.unlock()
    }

    /// The state posted since the last call, or nil.
    func take() -> EngineState? {
        lock.lock()
        defer { lock.unlock() }
        let state = mailbox
        mailbox = nil
        return state
    }
}
