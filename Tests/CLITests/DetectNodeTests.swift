import Foundation
import Testing
import TestSupport
import VLMBus

/// `vlmnode source` (lavfi, 30 fps) -> `vlmnode node detect` (tiny OWL-ViT, at most 5 frames/s)
/// -> subscribers in this test: every result comes from the newest frame (never a backlog), the
/// skipped frames are reported, and a query change takes effect on the next result.
@Suite(.serialized) struct DetectNodeTests {
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
        let source = try VLMNodeBinary.start(["source", "lavfi:testsrc=size=320x240:rate=30", "--bind", cam], log: dir.appendingPathComponent("source.log"))
        let node = try VLMNodeBinary.start(["node", "detect", "--input", cam, "--queries", "a red disc, a blue bar",
                                   "--model", Fixtures.url("models/owlvit-tiny-old").path, "--bind", det,
                                   "--queries-endpoint", queries, "--max-rate", "5", "--threshold", "0"],
                                  log: dir.appendingPathComponent("node.log"))
        let running = RunningProcesses([node, source], dir: dir)
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

    static let controller = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Examples/python/detections_controller.py")
    static let pythonHasZMQ: Bool =
        (try? runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", "import zmq"], timeout: 30))?.status == 0

    /// Examples/python/detections_controller.py (pyzmq only) replaces the queries through the
    /// node's bound queries input and prints the best box per query.
    @Test(.enabled(if: pythonHasZMQ, "python3 lacks pyzmq"))
    func pythonControllerChangesQueriesAndPrintsBestBoxes() throws {
        let dir = try makeTemporaryDirectory("detect-controller")
        let cam = "ipc://\(dir.path)/cam.sock", det = "ipc://\(dir.path)/det.sock", queries = "ipc://\(dir.path)/q.sock"
        let source = try VLMNodeBinary.start(["source", "lavfi:testsrc=size=320x240:rate=30", "--bind", cam], log: dir.appendingPathComponent("source.log"))
        let node = try VLMNodeBinary.start(["node", "detect", "--input", cam, "--queries", "a red disc, a blue bar",
                                   "--model", Fixtures.url("models/owlvit-tiny-new").path, "--bind", det,
                                   "--queries-endpoint", queries, "--queries-bind", "--max-rate", "10"],
                                  log: dir.appendingPathComponent("node.log"))
        let running = RunningProcesses([node, source], dir: dir)
        defer { withExtendedLifetime(running) {} }
        Thread.sleep(forTimeInterval: 1)   // the node binds its queries input
        let client = try runProcess(URL(fileURLWithPath: "/usr/bin/env"),
                                    ["python3", Self.controller.path, "--connect", det, "--count", "3", "--timeout", "20",
                                     "--queries-endpoint", queries, "--set-queries", "a photo of a cat, a red disc"], timeout: 60)
        let nodeLog = (try? String(contentsOf: dir.appendingPathComponent("node.log"), encoding: .utf8)) ?? ""
        #expect(client.status == 0, "\(client.stderr) \(nodeLog)")
        let lines = client.stdout.split(separator: "\n").filter { $0.hasPrefix("frame ") }
        #expect(lines.count == 3, "\(client.stdout)")
        #expect(lines.allSatisfy { $0.contains("queries v2") && $0.contains("| a photo of a cat: ") && $0.contains("| a red disc: ") }, "\(client.stdout)")
        #expect(client.stdout.contains("received 3 results"))
    }

    /// The detector started by `vlmnode launch` through the wiring handover (VLMNODE_WIRING):
    /// source -> detect -> the Python controller, which finds its endpoint in the wiring too.
    @Test(.enabled(if: pythonHasZMQ, "python3 lacks pyzmq"))
    func startsFromALaunchFile() throws {
        let dir = try makeTemporaryDirectory("detect-launch")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("detect.launch")
        try """
            <launch>
              <node name="camera" type="source">
                <param name="input" value="lavfi:testsrc=size=160x120:rate=30"/>
              </node>
              <node name="detector" type="detect">
                <param name="queries" value="a red disc, a blue bar" type="string"/>
                <param name="model" value="\(Fixtures.url("models/owlvit-tiny-old").path)"/>
                <param name="threshold" value="0.2"/>
                <param name="top_k" value="3"/>
              </node>
              <node name="controller" type="exec" exec="python3" args="\(Self.controller.path) --count 3" required="true">
                <input name="detections" topic="detections" type="vlm/Detections"/>
              </node>
            </launch>
            """.write(to: file, atomically: true, encoding: .utf8)
        let result = try VLMNodeBinary.run(["launch", file.path, "--log-dir", dir.appendingPathComponent("log").path],
                                           environment: ProcessInfo.processInfo.environment.merging(
                                               ["VLMNODE_RUNTIME_DIR": dir.appendingPathComponent("run").path]) { $1 })
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").filter { $0.hasPrefix("[controller] frame ") }
        #expect(lines.count == 3, "\(result.stdout)")
        #expect(lines.allSatisfy { $0.contains("| a red disc: ") && $0.contains("| a blue bar: ") && $0.contains("queries v1") })
        #expect(result.stdout.contains("[detector] queries version 1: a red disc, a blue bar"))
    }

    @Test func nodeRefusesMissingInputAndEmptyQueriesWithOneLine() throws {
        let model = Fixtures.url("models/owlvit-tiny-old").path
        for (args, needle) in [(["--queries", "cup"], "no frame input"),
                               (["--input", "ipc:///tmp/none.sock", "--queries", " , "], "no usable queries"),
                               (["--input", "ipc:///tmp/none.sock", "--queries", "cup", "--model", Fixtures.url("models/clip-tiny-new").path], "CLIPModel")] {
            let result = try VLMNodeBinary.run(["node", "detect", "--model", model] + args)
            #expect(result.status != 0)
            #expect(result.stderr.contains(needle), "\(result.stderr)")
            #expect(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count == 1, "\(result.stderr)")
        }
    }
}
