import Foundation
import Testing
import TestSupport
@testable import VLMRecord

/// Player timing and selection, and the recorder's splitting, without a bus (a closure stands in
/// for the publisher). The live record → play round trip over ZeroMQ is in CLITests.
@Suite(.serialized) struct PlaybackTests {
    /// 60 messages, 10-14 ms apart, on /cam (with a blob) and /det.
    static func recording(in dir: URL) throws -> (path: String, times: [UInt64], parts: [[[UInt8]]]) {
        let path = dir.appendingPathComponent("p.mcap").path
        let writer = try WireRecordingWriter(path: path)
        var times: [UInt64] = [], parts: [[[UInt8]]] = []
        var t: UInt64 = 1_000_000_000_000
        for i in 0..<60 {
            t += 10_000_000 + UInt64((i * 7919) % 5) * 1_000_000
            let topic = i % 3 == 0 ? "/det" : "/cam"
            let header = Array(#"{"v":1,"type":"test","seq":\#(i),"stamp_ns":\#(t)}"#.utf8)
            let p: [[UInt8]] = topic == "/cam" ? [header, [UInt8](repeating: UInt8(i), count: 1000 + i)] : [header]
            try writer.write(topic: topic, parts: p, receiveTime: t)
            times.append(t)
            parts.append(p)
        }
        try writer.finish()
        return (path, times, parts)
    }

    /// A virtual monotonic clock: sleeping advances it exactly to the deadline, so the schedule the
    /// player asks for is observable without any scheduling noise.
    final class VirtualClock: @unchecked Sendable {
        private let lock = NSLock()
        private var t: UInt64 = 5_000_000_000
        var now: UInt64 { lock.lock(); defer { lock.unlock() }; return t }
        func sleep(until target: UInt64) { lock.lock(); t = max(t, target); lock.unlock() }
        var source: Player.TimeSource { Player.TimeSource(now: { self.now }, sleepUntil: { self.sleep(until: $0) }) }
    }

    @Test func sendsExactPartsAtAbsoluteDeadlines() throws {
        let (path, times, parts) = try Self.recording(in: try makeTemporaryDirectory())
        for rate in [1.0, 2.5] {
            var options = PlaybackOptions()
            options.rate = rate
            let player = try Player(path: path, options: options)
            let clock = VirtualClock()
            player.time = clock.source
            let origin = clock.now
            var sent: [(topic: String, parts: [[UInt8]], at: UInt64)] = []
            let stats = try player.run { topic, p in
                sent.append((topic, p.map(Array.init), clock.now))
                clock.sleep(until: clock.now + 3_000_000)  // a slow send must not delay later deadlines
            }
            #expect(stats.messages == 60)
            #expect(sent.map(\.parts) == parts)
            #expect(sent.map(\.topic) == (0..<60).map { $0 % 3 == 0 ? "/det" : "/cam" })
            let want = times.map { origin + UInt64(Double($0 - times[0]) / rate) }
            #expect(sent.map(\.at) == want, "rate \(rate)")
        }
    }

    @Test func realTimePacingMatchesTheRecording() throws {
        let (path, times, _) = try Self.recording(in: try makeTemporaryDirectory())
        let player = try Player(path: path, options: PlaybackOptions())
        var sent: [UInt64] = []
        _ = try player.run { _, _ in sent.append(Clock.monotonicNs()) }
        var errors: [Double] = []
        for i in 1..<sent.count {
            errors.append(abs(Double(Int64(sent[i] - sent[i - 1]) - Int64(times[i] - times[i - 1]))) / 1e6)
        }
        let verdict = timingVerdict(errors)
        #expect(verdict.ok, "interval error \(verdict.message)")
    }

    @Test func rateTopicsRemapAndWindow() throws {
        let (path, times, _) = try Self.recording(in: try makeTemporaryDirectory())
        var options = PlaybackOptions()
        options.rate = 4
        options.topics = ["/cam"]
        options.remap = ["/cam": "/replay/cam"]
        options.startOffset = Double(times[5] - times[0]) / 1e9
        options.duration = Double(times[15] - times[5]) / 1e9
        let player = try Player(path: path, options: options)
        var sent: [(String, UInt64)] = []
        let start = Clock.monotonicNs()
        _ = try player.run { topic, _ in sent.append((topic, Clock.monotonicNs())) }
        let expected = (5..<15).filter { $0 % 3 != 0 }
        #expect(sent.count == expected.count)
        #expect(sent.allSatisfy { $0.0 == "/replay/cam" })
        let span = Double(sent.last!.1 - start) / 1e9
        let want = Double(times[expected.last!] - times[5]) / 1e9 / 4
        // Gross bound (the machine may be loaded): a rate ignored would be off by 3x `want`.
        #expect(abs(span - want) < 0.05, "played \(span) s, want \(want) s at rate 4")
    }

    @Test func rejectsUnknownTopicsRemapsAndBadRates() throws {
        let (path, _, _) = try Self.recording(in: try makeTemporaryDirectory())
        var o = PlaybackOptions(); o.topics = ["/nope"]
        #expect(throws: MCAPError.unknownTopics(path: path, topics: ["/nope"], available: ["/cam", "/det"])) { try Player(path: path, options: o) }
        o = PlaybackOptions(); o.remap = ["/x": "/y"]
        #expect(throws: MCAPError.self) { try Player(path: path, options: o) }
        o = PlaybackOptions(); o.rate = 0
        #expect(throws: MCAPError.self) { try Player(path: path, options: o) }
    }

    @Test func startPausedWaitsForToggleAndLoopRepeats() throws {
        let (path, _, _) = try Self.recording(in: try makeTemporaryDirectory())
        var o = PlaybackOptions(); o.startPaused = true; o.loop = true; o.rate = 20
        let player = try Player(path: path, options: o)
        let control = player.control
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) { control.toggle() }
        let start = Clock.monotonicNs()
        var first: UInt64 = 0, count = 0
        _ = try player.run { _, _ in
            if count == 0 { first = Clock.monotonicNs() }
            count += 1
            if count == 150 { control.stop() }
        }
        #expect(Double(first - start) / 1e9 >= 0.19)
        #expect(count == 150)  // more than two rounds of 60: looping works
    }

    @Test func recorderSplitsAtMaxSize() throws {
        let dir = try makeTemporaryDirectory()
        var options = RecordOptions(path: dir.appendingPathComponent("s.mcap").path)
        options.maxSize = 3_000_000
        let recorder = try Recorder(options: options)
        let blob = [UInt8](repeating: 7, count: 1_000_000)
        for i in 0..<10 {
            try recorder.record(topic: "/cam", parts: [Array(#"{"v":1,"type":"vlm/Frame","seq":\#(i),"stamp_ns":\#(i)}"#.utf8), blob],
                                receiveTime: UInt64(i + 1) * 1_000_000)
        }
        try recorder.finish()
        #expect(recorder.files.count >= 4)
        var total = 0
        for file in recorder.files {
            let size = try FileManager.default.attributesOfItem(atPath: file)[.size] as! Int
            #expect(size <= 3_000_000, "\(file) is \(size) bytes")
            total += try readAll(file).count
        }
        #expect(total == 10)
        #expect(recorder.files.first!.hasSuffix("s_0.mcap"))
    }
}

/// What a killed recorder leaves: the writer never finishes, yet everything flushed is readable.
@Suite struct AbandonedRecordingTests {
    @Test func unfinishedRecordingKeepsEveryFlushedMessage() throws {
        let path = try makeTemporaryDirectory().appendingPathComponent("killed.mcap").path
        var options = RecordOptions(path: path)
        options.idleFlushNs = 0
        do {
            let recorder = try Recorder(options: options)
            let frame = [UInt8](repeating: 9, count: 700_000)
            for i in 0..<20 {
                let header = Array(#"{"v":1,"type":"t","seq":\#(i),"stamp_ns":\#(i)}"#.utf8)
                try recorder.record(topic: i % 4 == 0 ? "/frame" : "/small", parts: i % 4 == 0 ? [header, frame] : [header],
                                    receiveTime: UInt64(i) * 1_000_000)
                if i == 14 { try recorder.tick() }  // idle flush: small messages 0…14 reach the file
            }
            // No finish(): the process "dies" here with messages 15…19's small ones unflushed.
        }
        let reader = try MCAPReader(path: path)
        #expect(!reader.usedSummary && reader.damage != nil)
        let seqs = try readAll(path).map(\.sequence)
        // All of 0…14, plus the frame at 16 (frames are written as they arrive).
        #expect(seqs == Array(0...14) + [16])
    }
}
