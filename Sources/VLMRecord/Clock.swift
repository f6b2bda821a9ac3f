import Foundation

/// Monotonic and wall clocks in nanoseconds, and sleeping to an absolute monotonic deadline.
public enum Clock {
    /// CLOCK_MONOTONIC in ns: for pacing (never jumps).
    public static func monotonicNs() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// CLOCK_REALTIME in ns since the Unix epoch: what log_time records.
    public static func wallNs() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// Sleeps until CLOCK_MONOTONIC reaches `deadline` (absolute, so errors never accumulate).
    public static func sleep(untilMonotonic deadline: UInt64) {
        var ts = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nil) == EINTR {}
    }
}

/// A thread-safe play/pause switch (toggled from a keyboard thread, read by the player).
public final class PauseControl: @unchecked Sendable {
    private let condition = NSCondition()
    private var paused: Bool
    private var stopped = false

    public init(paused: Bool = false) { self.paused = paused }

    public var isPaused: Bool { condition.lock(); defer { condition.unlock() }; return paused }
    public var isStopped: Bool { condition.lock(); defer { condition.unlock() }; return stopped }

    public func toggle() { set(paused: !isPaused) }

    public func set(paused value: Bool) {
        condition.lock(); paused = value; condition.broadcast(); condition.unlock()
    }

    /// Asks the player (and anyone waiting) to stop.
    public func stop() {
        condition.lock(); stopped = true; condition.broadcast(); condition.unlock()
    }

    /// Blocks while paused; returns how long it waited (ns) so the caller can shift its schedule.
    func waitWhilePaused() -> UInt64 {
        condition.lock(); defer { condition.unlock() }
        guard paused && !stopped else { return 0 }
        let start = Clock.monotonicNs()
        while paused && !stopped { condition.wait() }
        return Clock.monotonicNs() - start
    }
}
