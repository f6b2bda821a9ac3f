import Foundation
import Testing
import TestSupport
@testable import VLMBus

/// `vlmnode node detect` (tiny OWL-ViT) fed by a same-host publisher: its frame input maps the
/// publisher's ring (its pid is in the segment's reader table, the publisher sends no inline copy)
/// and its detections equal those of the same frames sent inline (`VLMNODE_SHM=0`).
@Suite(.serialized) struct DetectNodeSharedMemoryTests {
    struct Run {
        var detections: [JSONValue] = []
        var framesWritten: UInt64 = 0
        var readerPids: [UInt64] = []
        var inlineRoute = true
        var nodePid: Int32 = 0
    }

    /// Publishes one fixture image (300x200 rgb8) until the node has answered `count` times.
    func detect(sharedMemory: Bool, count: Int = 3) throws -> Run {
        let dir = try makeTemporaryDirectory("detect-shm")
        defer { try? FileManager.default.removeItem(at: dir) }
        let cam = "ipc://\(dir.path)/cam.sock", det = "ipc://\(dir.path)/det.sock"
        let pixels = try Data(contentsOf: Fixtures.url("images/img300x200.rgb"))
        let info = FrameInfo(width: 300, height: 200, encoding: .rgb8)
        let pub = try Publisher(bind: cam, qos: .queue(capacity: 10))
        let node = try VLMNodeBinary.start(["node", "detect", "--input", cam, "--queries", "a red disc, a blue bar",
                                            "--model", Fixtures.url("models/owlvit-tiny-old").path, "--bind", det,
                                            "--threshold", "0"],
                                           log: dir.appendingPathComponent("node.log"),
                                           environment: ["VLMNODE_SHM": sharedMemory ? "1" : "0"])
        let running = RunningProcesses([node], dir: dir)
        defer { withExtendedLifetime(running) {} }
        let results = try Subscriber(connect: det, topic: "/detections", qos: .queue(capacity: 100))
        var run = Run(nodePid: node.processIdentifier)
        var seq: UInt64 = 0
        var segment: String?
        let deadline = Date(timeIntervalSinceNow: 60)
        while run.detections.count < count && Date() < deadline {
            try pub.publishFrame(topic: "/camera/image", seq: seq, stampNs: BusClock.nowNs(), frame: info,
                                 pixels: try Blob(pixels))
            seq += 1
            guard let m = results.receive(timeout: 0.3) else { continue }
            run.detections.append(m.header.fields["detections"] ?? .null)
            if segment == nil { segment = pub.withSharedMemory { $0.writer.segmentName(topic: "/camera/image") } }
        }
        if let segment, let s = try? ShmSegment.open(name: segment) {
            run.readerPids = (0 ..< s.readerCount).map { s.reader($0).advanced(by: 2).pointee }.filter { $0 != 0 }
        }
        run.framesWritten = pub.sharedMemoryStats.framesWritten
        run.inlineRoute = pub.withSharedMemory { $0.subscriptions.route("/camera/image") }.plain
        let log = (try? String(contentsOf: dir.appendingPathComponent("node.log"), encoding: .utf8)) ?? ""
        #expect(run.detections.count == count, "\(log)")
        return run
    }

    static let controller = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Examples/python/detections_controller.py")
    static let pythonHasZMQ: Bool =
        (try? runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", "import zmq"], timeout: 30))?.status == 0

    /// In a launch graph (source -> detect -> the Python controller), the detector's frame input
    /// goes through shared memory by itself: its closing summary counts torn frames, which it
    /// prints only for an input that received shared-memory frames.
    @Test(.enabled(if: pythonHasZMQ, "python3 lacks pyzmq"))
    func aLaunchedDetectorGetsItsFramesThroughSharedMemory() throws {
        let dir = try makeTemporaryDirectory("detect-launch-shm")
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
        #expect(result.stdout.split(separator: "\n").filter { $0.hasPrefix("[controller] frame ") }.count == 3, "\(result.stdout)")
        let summary = result.stdout.split(separator: "\n").first { $0.hasPrefix("[detector] detect: ") && $0.contains(" results; ") }
        #expect(summary?.contains(", torn ") == true, "\(result.stdout)")
    }

    @Test func detectReadsSameHostFramesThroughSharedMemoryAndFindsWhatInlineFinds() throws {
        let shared = try detect(sharedMemory: true)
        #expect(shared.framesWritten > 0)
        #expect(shared.readerPids.contains(UInt64(shared.nodePid)), "the node mapped the ring: \(shared.readerPids)")
        #expect(!shared.inlineRoute, "the publisher stopped sending inline copies")
        let inline = try detect(sharedMemory: false)
        #expect(inline.framesWritten == 0 && inline.inlineRoute)
        // Same frame, same model: the same boxes and scores either way.
        let first = try #require(shared.detections.first)
        #expect(shared.detections.allSatisfy { $0 == first } && inline.detections.allSatisfy { $0 == first })
        #expect((shared.detections.first?.arrayValue?.count ?? 0) > 0)
    }
}
