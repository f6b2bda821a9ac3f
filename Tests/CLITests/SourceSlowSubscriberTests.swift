import Foundation
import Testing
import TestSupport
import VLMBus

/// A subscriber that sleeps 1 s per message neither slows `vlmnode source` down nor makes it
/// queue frames: it sees the newest frame each time, and the source reports the drops.
@Suite struct SourceSlowSubscriberTests {
    @Test func slowSubscriberGetsNewestFramesAndDropsAreReported() throws {
        let endpoint = "ipc://\(try makeTemporaryDirectory().path)/slow.sock"
        let source = Process()
        source.executableURL = VLMNodeBinary.url
        source.arguments = ["source", "lavfi:testsrc=size=320x240:rate=30", "--frames", "120",
                            "--bind", endpoint, "--wait-subscribers", "1", "--wait-timeout", "20"]
        let out = Pipe()
        source.standardOutput = out
        try source.run()
        let subscriber = try Subscriber(connect: endpoint, topic: "/camera/image", qos: .latest)
        var seqs: [UInt64] = []
        while source.isRunning || seqs.isEmpty, let message = subscriber.receive(timeout: 6) {
            seqs.append(message.header.seq)
            Thread.sleep(forTimeInterval: 1)
        }
        source.waitUntilExit()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(source.terminationStatus == 0)

        // Paced at 30 fps for 4 s, whatever the subscriber does.
        let summary = try #require(text.split(separator: "\n").first { $0.hasPrefix("published ") }, "\(text)")
        let seconds = Double(summary.split(separator: " ")[4]) ?? -1
        #expect(summary.hasPrefix("published 120 frames"))
        #expect(seconds > 3.7 && seconds < 5.0, "\(summary)")
        // One message per second out of 30: each one the newest, far apart in seq.
        #expect(seqs.count >= 3 && seqs.count <= 6, "\(seqs)")
        #expect(zip(seqs, seqs.dropFirst()).allSatisfy { $1 > $0 + 15 }, "\(seqs)")
        let dropped = summary.components(separatedBy: " dropped for slow subscribers").first?
            .split(separator: " ").last.flatMap { Int($0) } ?? -1
        #expect(dropped > 50, "\(summary)")
    }
}
