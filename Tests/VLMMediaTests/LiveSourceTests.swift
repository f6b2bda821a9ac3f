import Foundation
import Testing
import TestSupport
@testable import VLMMedia

/// A live network stream (MPEG-TS over UDP on loopback, sent by the ffmpeg CLI at its native
/// rate): never paced on top, stamped with receive time.
@Suite struct LiveSourceTests {
    @Test func udpStreamIsLiveAndStampedOnReceipt() throws {
        let port = Int.random(in: 20_000...40_000)
        let url = "udp://127.0.0.1:\(port)"
        let sender = Process()
        sender.executableURL = FFmpegCLI.executable
        sender.arguments = ["-hide_banner", "-nostdin", "-loglevel", "error", "-re", "-f", "lavfi",
                            "-i", "testsrc=size=160x120:rate=30", "-t", "3", "-c:v", "mpeg2video",
                            "-f", "mpegts", "\(url)?pkt_size=1316"]
        // Start sending shortly after the source has bound the port (early packets would just be lost).
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { try? sender.run() }
        defer { if sender.isRunning { sender.terminate() }; sender.waitUntilExit() }

        let source = try FrameSource(input: url, options: .init(maxFrames: 20, openTimeout: 10))
        #expect(source.input.isLive && !source.isPaced)
        var stamps: [UInt64] = []
        while let frame = try source.next() {
            #expect(frame.info.width == 160 && frame.info.height == 120)
            stamps.append(frame.info.stampNanoseconds)
        }
        #expect(stamps.count == 20)
        let now = UInt64(Date().timeIntervalSince1970 * 1e9)
        #expect(zip(stamps, stamps.dropFirst()).allSatisfy { $0 <= $1 })
        #expect(stamps.allSatisfy { now >= $0 && now - $0 < 10_000_000_000 })
    }

    @Test func streamThatStallsEndsWithAClearError() throws {
        let port = Int.random(in: 50_001...60_000)
        let url = "udp://127.0.0.1:\(port)"
        let sender = Process()
        sender.executableURL = FFmpegCLI.executable
        sender.arguments = ["-hide_banner", "-nostdin", "-loglevel", "error", "-re", "-f", "lavfi",
                            "-i", "testsrc=size=64x48:rate=30", "-t", "1.5", "-c:v", "mpeg2video",
                            "-f", "mpegts", "\(url)?pkt_size=1316"]
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { try? sender.run() }
        defer { sender.waitUntilExit() }
        let source = try FrameSource(input: url, options: .init(openTimeout: 1.5))
        var frames = 0
        do {
            while try source.next() != nil { frames += 1 }
            Issue.record("a stalled live stream ended without an error")
        } catch let error as MediaError {
            #expect(error.description.contains("no data for 1.5 s") && error.description.contains(url), "\(error)")
        }
        #expect(frames > 0)
    }

    @Test func silentStreamTimesOutWithAClearError() throws {
        let port = Int.random(in: 40_001...50_000)
        let started = Date()
        do {
            _ = try FrameSource(input: "udp://127.0.0.1:\(port)", options: .init(openTimeout: 1))
            Issue.record("opened a silent stream")
        } catch let error as MediaError {
            #expect(error.description.contains("udp://127.0.0.1:\(port)"))
            #expect(error.description.contains("no answer within 1.0 s"), "\(error)")
        }
        #expect(Date().timeIntervalSince(started) < 8) // 1 s, plus slack for a loaded 2-core machine
    }
}
