import Foundation

/// Options of `vlmnode play`.
public struct PlaybackOptions: Sendable {
    /// Speed factor (2 = twice as fast). Must be > 0.
    public var rate = 1.0
    public var loop = false
    /// Only these topics (nil: all).
    public var topics: Set<String>?
    /// Publish messages of topic `from` on `to`.
    public var remap: [String: String] = [:]
    /// Seconds into the recording to start at.
    public var startOffset = 0.0
    /// Seconds of the recording to play (nil: to the end).
    public var duration: Double?
    public var startPaused = false

    public init() {}
}

/// What a playback did.
public struct PlaybackStats: Sendable {
    public var messages = 0
    public var bytes = 0
    public var loops = 0
    /// Largest lateness of a send past its deadline (ns), excluding pauses.
    public var maxLatenessNs: UInt64 = 0
}

/// Replays an MCAP recording with its original timing: message i is sent at
/// `origin + (logTime_i − start) / rate`, an absolute monotonic deadline, so sleep errors do not add up.
public final class Player {
    /// Where the player reads time and sleeps (a test substitutes a virtual clock).
    public struct TimeSource: Sendable {
        public var now: @Sendable () -> UInt64
        public var sleepUntil: @Sendable (UInt64) -> Void
        /// The real CLOCK_MONOTONIC: an absolute sleep to 1 ms before the deadline, then a spin,
        /// because the kernel's wake-up slack would otherwise dominate the timing error. The spin
        /// does not yield: on a busy machine `sched_yield` hands the core to another task for a
        /// whole time slice, which was the multi-millisecond tail of the interval error.
        public static let monotonic = TimeSource(now: { Clock.monotonicNs() }, sleepUntil: { target in
            let now = Clock.monotonicNs()
            if target > now + 1_000_000 { Clock.sleep(untilMonotonic: target - 1_000_000) }
            while Clock.monotonicNs() < target {}
        })

        public init(now: @escaping @Sendable () -> UInt64, sleepUntil: @escaping @Sendable (UInt64) -> Void) {
            self.now = now; self.sleepUntil = sleepUntil
        }
    }

    public let reader: MCAPReader
    /// Defaults to `.monotonic`.
    public var time = TimeSource.monotonic
    public let options: PlaybackOptions
    public let control: PauseControl
    private let windowStart: UInt64
    private let windowEnd: UInt64?

    /// Opens `path` and checks the options against it (unknown topics, remaps of unknown topics, rate).
    public init(path: String, options: PlaybackOptions) throws {
        guard options.rate > 0, options.rate.isFinite else {
            throw MCAPError.invalidUse("--rate must be a positive number, got \(options.rate)")
        }
        guard options.startOffset >= 0, (options.duration ?? 1) > 0 else {
            throw MCAPError.invalidUse("--start-offset must be >= 0 and --duration > 0")
        }
        let reader = try MCAPReader(path: path)
        self.reader = reader
        let known = Set(reader.topics)
        let unknownRemaps = Set(options.remap.keys).subtracting(known).sorted()
        if !unknownRemaps.isEmpty {
            throw MCAPError.unknownTopics(path: path, topics: unknownRemaps, available: reader.topics)
        }
        self.options = options
        control = PauseControl(paused: options.startPaused)
        // The recording's first log time anchors --start-offset.
        let first = try reader.statistics.map(\.messageStartTime) ?? reader.messages().nextMessage()?.logTime ?? 0
        // Times come from the file (and the command line): saturate, never wrap or trap.
        let start = Self.add(first, Self.nanoseconds(options.startOffset))
        windowStart = start
        windowEnd = options.duration.map { Self.add(start, Self.nanoseconds($0)) }
        _ = try reader.messages(topics: options.topics)  // unknown topics fail here, before playing
    }

    /// Plays until the end (or forever with `loop`, until `control.stop()`), calling `send` with
    /// the topic to publish on and the message parts after the topic (header, blobs) — views
    /// valid only during the call (Foxglove-native channels are turned back into wire parts,
    /// derived annotation channels skipped). Messages in another encoding are sent as one part.
    public func run(send: (String, [UnsafeRawBufferPointer]) throws -> Void) throws -> PlaybackStats {
        // The views stay valid through `send`: the message that owns them lives until the next one.
        try run(prepare: { topic, parts in (topic, parts) }, send: { try send($0.0, $0.1) })
    }

    /// As `run(send:)`, in two steps: `prepare` builds the outgoing message before the deadline
    /// (parsing, copying a frame into a socket buffer), `send` only hands it over at the deadline,
    /// so per-message work does not show up as timing error.
    public func run<Prepared>(prepare: (String, [UnsafeRawBufferPointer]) throws -> Prepared,
                              send: (Prepared) throws -> Void) throws -> PlaybackStats {
        var stats = PlaybackStats()
        var origin = time.now()
        repeat {
            let it = try reader.messages(topics: options.topics, start: windowStart, end: windowEnd)
            var lastOffset: UInt64 = 0
            while let m = try it.nextMessage() {
                if control.isStopped { return stats }
                // Derived channels (annotations) are not wire messages: nothing to republish.
                guard let parts = try RecordedChannel.wireParts(channel: m.channel, data: m.data) else { continue }
                let prepared = try prepare(options.remap[m.channel.topic] ?? m.channel.topic, parts)
                lastOffset = Self.clamped(Double(m.logTime - windowStart) / options.rate)
                origin = Self.add(origin, waitUntil(Self.add(origin, lastOffset)))
                let now = time.now()
                let due = Self.add(origin, lastOffset)
                stats.maxLatenessNs = max(stats.maxLatenessNs, now > due ? now - due : 0)
                try send(prepared)
                stats.messages += 1
                stats.bytes += m.data.count
            }
            stats.loops += 1
            // The next round starts one typical gap after this one's last message.
            origin = Self.add(Self.add(origin, lastOffset),
                              stats.messages > 1 ? lastOffset / UInt64(max(stats.messages / stats.loops - 1, 1)) : 0)
        } while options.loop && !control.isStopped && stats.messages > 0
        return stats
    }

    /// `seconds` in nanoseconds, saturating at UInt64.max (a log time 2^63 ns away, a tiny rate).
    static func nanoseconds(_ seconds: Double) -> UInt64 { clamped(seconds * 1e9) }

    /// `x` as a UInt64, saturating (a conversion out of range would trap).
    static func clamped(_ x: Double) -> UInt64 {
        x >= 18_446_744_073_709_549_568 ? .max : x > 0 ? UInt64(x) : 0
    }

    static func add(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
    }

    /// Sleeps to `deadline` in slices (so pause and stop act within 50 ms); returns time spent
    /// paused, by which the schedule shifts.
    private func waitUntil(_ deadline: UInt64) -> UInt64 {
        var shift: UInt64 = 0
        while !control.isStopped {
            let paused = control.waitWhilePaused()
            shift += paused
            let target = Self.add(deadline, shift)
            let now = time.now()
            if now >= target { break }
            if target - now > 50_000_000 {
                time.sleepUntil(now + 50_000_000)
            } else {
                time.sleepUntil(target)
                if !control.isPaused { break }
            }
        }
        return shift
    }
}
