import Detection
import Foundation
import Grounding
import Testing
import TestSupport
import VLMBus
import VLMMessages
import VLMNode
import VLMPlugins
import VideoText

/// Issue 15, finding 3: a frame stamped Int64.min (or any negative stamp) trapped every plugin node
/// on overflow. Each built-in node type, with its tiny fixture models, in-process: the hostile frames
/// are skipped and counted, the node stays alive and processes the next valid frames.
@Suite(.serialized) struct HostileStampTests {
    final class Lines: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        var all: [String] { lock.withLock { lines } }
        var log: NodeLog { NodeLog { [self] l in lock.withLock { lines.append(l) } } }
    }

    /// Runs `plugin` on frames published here: hostile stamps first, then `valid` good frames
    /// (stamps `step` ns apart); returns the results on `output` and the image input's stats.
    func run(_ plugin: any NodePlugin.Type, params: [String: ParamValue], output: String, valid: Int,
             step: Int64 = 250_000_000) throws -> (results: [MessageHeader], stats: InputStats, log: [String]) {
        let frames = try Publisher(bind: "tcp://127.0.0.1:*", qos: .queue(capacity: 100))
        let lines = Lines()
        var o = NodeOverrides(params: params)
        o.inputs["image"] = PortOverride(endpoint: frames.endpoint)
        let wiring = NodeWiring.resolve(spec: plugin.spec, wiring: nil, overrides: o)
        let processor = try plugin.make(wiring: wiring, log: lines.log)
        let runtime = try NodeRuntime(spec: plugin.spec, wiring: wiring, log: lines.log)
        let results = try Subscriber(connect: [runtime.outputEndpoint(output)!], topics: [runtime.topic(output)!],
                                     qos: .queue(capacity: 100))
        #expect(frames.waitForSubscribers(1, timeout: 5) && runtime.publisher(output)!.waitForSubscribers(1, timeout: 5))
        let stop = StopSignal()
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread { runtime.run(processor, until: stop); done.signal() }
        let info = FrameInfo(width: 32, height: 24, encoding: .rgb8)
        func send(_ seq: UInt64, _ stamp: Int64) throws {
            try frames.publish(topic: runtime.topic("image")!, header: MessageHeader(type: "vlm/Frame", seq: seq, stampNs: stamp, fields: info.fields),
                               blobs: [try Blob([UInt8](repeating: 90, count: info.byteCount))])
        }
        // One at a time: on a latest-wins input a newer frame would overwrite an untaken one.
        func awaitLog(_ text: String) {
            let deadline = Date(timeIntervalSinceNow: 30)
            while !lines.all.contains(where: { $0.contains(text) }) && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        }
        try send(0, Int64.min)
        awaitLog("skipped frame 0")
        try send(1, -1)
        awaitLog("skipped frame 1")
        let base = BusClock.nowNs()
        var got: [MessageHeader] = []
        for i in 0 ..< valid {
            try send(UInt64(2 + i), base + Int64(i) * step)
            Thread.sleep(forTimeInterval: 0.05)
            while let m = results.receive(timeout: 0) { got.append(m.header) }
        }
        let deadline = Date(timeIntervalSinceNow: 60)
        while got.isEmpty && Date() < deadline { if let m = results.receive(timeout: 0.2) { got.append(m.header) } }
        stop.raise()
        #expect(done.wait(timeout: .now() + 30) == .success)
        return (got, runtime.stats("image"), lines.all)
    }

    @Test func detectNodeSkipsHostileStamps() throws {
        let r = try run(DetectNodeType.self, params: ["queries": .string("a red disc"), "model": .string(Fixtures.url("models/owlvit-tiny-old").path)],
                        output: "detections", valid: 1)
        #expect(r.stats.skipped == 2, "\(r.log)")
        #expect(!r.results.isEmpty && r.results.allSatisfy { ($0.sourceSeq ?? 0) >= 2 && ($0.fields["latency_ms"]?.doubleValue ?? -1) >= 0 })
        #expect(r.log.contains { $0.contains("skipped frame 0") && $0.contains("negative") })
    }

    @Test func groundNodeSkipsHostileStamps() throws {
        let r = try run(GroundNodeType.self, params: [
            "command": .string("pick up the red cup"), "threshold": .double(0),
            "detector": .string(Fixtures.url("models/owlvit-tiny-new").path),
            "segmenter": .string(Fixtures.url("models/clipseg-tiny").path)], output: "grounding", valid: 1)
        #expect(r.stats.skipped == 2, "\(r.log)")
        #expect(!r.results.isEmpty && r.results.allSatisfy { ($0.sourceSeq ?? 0) >= 2 })
    }

    @Test func videoNodeSkipsHostileStamps() throws {
        // A window of 1 s every 0.5 s: 8 frames 0.25 s apart of source time fill it.
        let r = try run(VideoNodeType.self, params: ["prompts": .string("a red disc, a blue bar"), "window": .double(1), "stride": .double(0.5),
                                                     "model": .string(Fixtures.url("models/xclip-tiny-bin").path)],
                        output: "scores", valid: 8)
        #expect(r.stats.skipped == 2, "\(r.log)")
        #expect(!r.results.isEmpty, "\(r.log)")
        #expect(r.results.allSatisfy { h in
            guard let start = h.fields["window_start_ns"]?.intValue, let end = h.fields["window_end_ns"]?.intValue else { return false }
            return start > 0 && end - start == 1_000_000_000
        })
    }
}
