import Foundation

/// Capture stamps and native-rate pacing, both anchored at the first frame.
///
/// Files (and synthetic devices) get `wall clock at the first frame + (pts - first pts)` as their
/// stamp, so stamps follow the stream's timing whether or not it is paced; live sources get the
/// time each frame was received.
struct Pacer {
    let live: Bool
    private var anchorPts: Double?
    private var anchorMonotonic: UInt64 = 0
    private var anchorWall: UInt64 = 0

    init(live: Bool) { self.live = live }

    /// The capture stamp (ns since the Unix epoch) for a frame with this pts.
    mutating func stamp(pts: Double) -> UInt64 {
        if live { return Pacer.wallNanoseconds() }
        guard let anchor = anchorPts else {
            anchorPts = pts
            anchorMonotonic = DispatchTime.now().uptimeNanoseconds
            anchorWall = Pacer.wallNanoseconds()
            return anchorWall
        }
        return UInt64(max(0, Int64(anchorWall) + Int64((pts - anchor) * 1e9)))
    }

    /// Sleeps until the frame with this pts is due (never for live sources or past-due frames).
    /// Sleeps in short slices so a raised interrupt ends the wait promptly.
    func wait(untilPts pts: Double, interrupt: InterruptFlag) {
        guard !live, let anchor = anchorPts else { return }
        let due = Int64(anchorMonotonic) + Int64((pts - anchor) * 1e9)
        while !interrupt.isRaised {
            let remaining = due - Int64(DispatchTime.now().uptimeNanoseconds)
            if remaining <= 0 { return }
            var request = timespec(tv_sec: 0, tv_nsec: Int(min(remaining, 50_000_000)))
            nanosleep(&request, nil)
        }
    }

    static func wallNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
}
