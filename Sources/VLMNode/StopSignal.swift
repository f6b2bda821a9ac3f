import Foundation
import Synchronization

/// The one way a node (or any long-running command) learns it should stop.
///
/// A flag that run loops poll. `StopSignal.process` is raised by SIGINT/SIGTERM once
/// `installHandlers()` has run: the first signal asks for a clean stop (after the current frame),
/// a second one ends the process at once (the default action is restored). Tests make their own
/// `StopSignal()` and raise it from another thread.
public final class StopSignal: Sendable {
    private let raised = Atomic<Bool>(false)

    public init() {}

    /// Asks every loop polling this flag to finish.
    public func raise() { raised.store(true, ordering: .relaxed) }
    public var isRaised: Bool { raised.load(ordering: .relaxed) }

    /// The process-wide flag the signal handlers raise.
    public static let process = StopSignal()

    /// Routes SIGINT and SIGTERM to `process` (idempotent).
    public static func installHandlers() {
        _ = process.isRaised  // initialise the global before a handler can touch it
        for sig in [SIGINT, SIGTERM] {
            signal(sig) { received in
                StopSignal.process.raise()
                signal(received, SIG_DFL)
            }
        }
    }
}
