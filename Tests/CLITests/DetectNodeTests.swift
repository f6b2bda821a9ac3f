import Foundation
import Testing
import TestSupport
import VLMBus

/// `vlmnode source` (lavfi, 30 fps) -> `vlmnode node detect` (tiny OWL-ViT, at most 5 frames/s)
/// -> subscribers in this test: every result comes from the newest frame (never a backlog), the
/// skipped frames are reported, and a query change takes effect on the next result.
@Suite(.serialized) struct DetectNodeTests {
    final class Running {
        let processes: [Process]
        let dir: URL
        init(_ processes: [Process], dir: URL) { self.processes = processes; self.dir = dir }
        deinit {
            for p in processes where p.isRunning { p.interrupt() }
            for p in processes { p.waitUntilExit() }
            try? FileManager.default.removeItem(at: dir)
        }
    }

    static func start(_ args: [String], log: URL) throws -> Process {
        let p = Process()
        p.executableURL = VLMNodeBinary.url
        p.arguments = args
        FileManager.default.createFile(atPath: log.path, contents: nil)
        p.standardOutput = try FileHandle(forWritingTo: log)
        p.standardError = p.standardOutput
        try p.run()
        return p
    }

    func result(_ sub: Subscriber, timeout: Double = 20) throws -> MessageHeader {
        let message = try #require(sub.receive(timeout: timeout), "no detections within \(timeout) s")
        #expect(message.header.type == "vlm/Detections")
        return message.header
    }

    @Test func newestFrameDropsReportedAndQueryChangeOnTheNextResult() throws {
        let dir = try makeTemporaryDirectory("detect-node")
        let cam = "ipc://\(dir.path)/cam.sock", det = "ipc://\(dir.path)/det.sock", queries = "ipc://\(dir.path)/q.sock"
        // The controller binds; the node connects to it (the launch case: a publisher in the graph).
        let control = try Publisher(bind: queries, qos: .queue(capacity: 10))
        let source = try Self.start(["source", "lavfi:testsrc=size=320x240:rate=30", "--bind", cam], log: dir.appendingPathComponent("source.log"))
        let node = try Self.start(["node", "detect", "--input", cam, "--queries", "a red disc, a blue bar",
                                   "--model", Fixtures.url("models/owlvit-tiny-old").path, "--bind", det,
                                   "--queries-endpoint", queries, "--max-rate", "5", "--threshold", "0"],
                                  log: dir.appendingPathComponent("node.log"))
        let running = Running([node, source], dir: dir)
        defer { withExtendedLifetime(running) {} }
        Thread.sleep(forTimeInterval: 0.5)
        let frames = try Subscriber(connect: cam, topic: "/camera/image", qos: .latest)
        let results = try Subscriber(connect: det, topic: "/detections", qos: .queue(capacity: 100))

        var headers: [MessageHeader] = []
        var newestAtReceipt: [UInt64] = []
        var newestFrame: UInt64 = 0
        while headers.count < 6 {
            let h = try result(results)
            while let f = frames.receive(timeout: 0) { newestFrame = max(newestFrame, f.header.seq) }
            headers.append(h)
            newestAtReceipt.append(newestFrame)
        }
        let nodeLog = { (try? String(contentsOf: dir.appendingPathComponent("node.log"), encoding: .utf8)) ?? "" }
        let sources = headers.compactMap(\.sourceSeq)
        #expect(sources.count == headers.count)
        // At 5 results/s from a 30 fps source, consecutive results are ~6 frames apart: no backlog.
        #expect(zip(sources, sources.dropFirst()).dropFirst().allSatisfy { $1 >= $0 + 3 }, "\(sources) \(nodeLog())")
        // Each result's frame is the newest one the node could have had (a frame or two of transit).
        for (s, newest) in zip(sources, newestAtReceipt).dropFirst() where newest > 0 {
            #expect(newest <= s + 3, "result from frame \(s), newest frame \(newest)")
        }
        let dropped = headers.map { $0.fields["frames_dropped"]?.intValue ?? -1 }
        #expect(dropped.last! > dropped[1] && dropped.last! >= 10, "\(dropped)")
        #expect(headers.allSatisfy { $0.fields["queries_version"]?.intValue == 1 && ($0.fields["latency_ms"]?.doubleValue ?? -1) >= 0 })
        let boxes = try #require(headers.last?.fields["detections"]?.arrayValue)
        #expect(!boxes.isEmpty && boxes.allSatisfy { ($0.objectValue?["box"]?.arrayValue?.count ?? 0) == 4 })

        // Replace the queries (a vlm/Text message): the result after the one in flight uses them.
        #expect(control.waitForSubscribers(1, timeout: 10))
        let sentAt = BusClock.nowNs()
        try control.publish(topic: "/detections/queries",
                            header: MessageHeader(type: "vlm/Text", seq: 0, fields: ["text": .string("a photo of a cat")]))
        var after: [MessageHeader] = []
        while after.count < 3 { after.append(try result(results)) }
        let changed = try #require(after.firstIndex { $0.fields["queries_version"]?.intValue == 2 }, "\(nodeLog())")
        // At most one result was already being computed when the message arrived.
        #expect(changed <= 1)
        #expect(after[changed...].allSatisfy { $0.fields["queries"]?.arrayValue == [.string("a photo of a cat")] })
        #expect(after[changed...].allSatisfy { h in
            (h.fields["detections"]?.arrayValue ?? []).allSatisfy { $0.objectValue?["label"]?.stringValue == "a photo of a cat" }
        })
        #expect(after[changed].stampNs > sentAt && after[changed].sourceSeq! > sources.last!)
        #expect(nodeLog().contains("queries version 2: a photo of a cat"))
    }
}
