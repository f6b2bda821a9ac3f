import Foundation
import VLMMedia
import VLMNode

/// The process stop signal (`StopSignal.process`: SIGINT/SIGTERM) as an FFmpeg interrupt flag, so
/// commands that decode media stop the same way nodes do: the first signal ends the loop cleanly
/// (blocking reads return), a second ends the process at once.
public enum MediaStop {
    /// Installs the signal handlers on first use; raised within ~20 ms of `StopSignal.process`.
    public static let interrupt: InterruptFlag = {
        StopSignal.installHandlers()
        let flag = InterruptFlag()
        // A signal handler may only set a flag; this thread forwards it to FFmpeg's.
        let forward = Thread {
            while !StopSignal.process.isRaised { usleep(20_000) }
            flag.raise()
        }
        forward.start()
        return flag
    }()
}
