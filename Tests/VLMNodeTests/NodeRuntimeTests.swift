import Foundation
import Testing
import VLMBus
import VLMMessages
@testable import VLMNode

/// A node for the runtime tests: counts what it gets and publishes one `vlm/Detections` per frame
/// with the active labels (replaced by text on its `labels` control input).
final class EchoProcessor: NodeProcessor, @unchecked Sendable {
    var labels: [String]
    var version = 1
    var seqs: [UInt64] = []
    var controls: [String] = []
    var fail = false

    init(labels: [String]) { self.labels = labels }

    func process(_ message: BusMessage, input role: String, runtime: NodeRuntime) throws {
        if fail { throw NodeWiringError("refused on purpose") }
        let frame = try FrameMessage(message: message)
        seqs.append(message.header.seq)
        let found = labels.enumerated().map { i, l in
            DetectionsMessage.Detection(label: l, labelIndex: i, score: 0.5, box: [0, 0, Double(frame.width), Double(frame.height)])
        }
        try runtime.publish(DetectionsMessage(detections: found, queries: labels, queriesVersion: version,
                                              imageSize: [frame.width, frame.height]),
                            on: "out", stampedFrom: message)
    }

    func control(_ text: TextMessage, input role: String, runtime: NodeRuntime) throws {
        let list = text.commaList
        guard !list.isEmpty else { throw NodeWiringError("no labels") }
        labels = list
        version += 1
        controls.append(text.text)
        runtime.log("labels version \(version): \(list.joined(separator: ", "))")
    }

    func started(runtime: NodeRuntime) {}
}

/// Lines a runtime logged.
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }
    var log: NodeLog { NodeLog { [self] line in lock.lock(); lines.append(line); lock.unlock() } }
}

/// A frames publisher, a control publisher and a runtime wired to both, plus a results subscriber.
struct RuntimeRig {
    static let spec = NodeTypeSpec(
        name: "echo", summary: "test node",
        inputs: [PortSpec("image", topic: "camera/image", type: MessageType.frame),
                 PortSpec("labels", topic: "echo/labels", type: MessageType.text, optional: true)],
        outputs: [PortSpec("out", topic: "echo/out", type: MessageType.detections)],
        params: [ParamSpec("labels", .stringList, default: .string("cup"), doc: "labels")])

    let frames: Publisher
    let controls: Publisher
    let runtime: NodeRuntime
    let results: Subscriber
    let logs = LogLines()

    init(maxRate: Double? = nil) throws {
        frames = try Publisher(bind: "tcp://127.0.0.1:*", qos: .queue(capacity: 100))
        controls = try Publisher(bind: "tcp://127.0.0.1:*", qos: .queue(capacity: 100))
        var o = NodeOverrides()
        o.inputs["image"] = PortOverride(endpoint: frames.endpoint)
        o.inputs["labels"] = PortOverride(endpoint: controls.endpoint)
        let wiring = NodeWiring.resolve(spec: Self.spec, wiring: nil, overrides: o)
        runtime = try NodeRuntime(spec: Self.spec, wiring: wiring, options: .init(maxRate: maxRate), log: logs.log)
        results = try Subscriber(connect: [runtime.outputEndpoint("out")!], topics: ["/echo/out"], qos: .queue(capacity: 100))
        #expect(frames.waitForSubscribers(1, timeout: 5) && controls.waitForSubscribers(1, timeout: 5))
        #expect(runtime.publisher("out")!.waitForSubscribers(1, timeout: 5))
    }

    func sendFrame(seq: UInt64, stampNs: Int64 = BusClock.nowNs(), type: String = FrameInfo.messageType) throws {
        let info = FrameInfo(width: 4, height: 2, encoding: .rgb8)
        let header = MessageHeader(type: type, seq: seq, stampNs: stampNs, fields: info.fields)
        try frames.publish(topic: "/camera/image", header: header, blobs: [try Blob([UInt8](repeating: 7, count: info.byteCount))])
    }

    func sendText(_ text: String, seq: UInt64) throws {
        try controls.publish(topic: "/echo/labels", header: try TextMessage(text: text).header(seq: seq))
    }

    /// Waits until the runtime's image input has received `n` messages (nothing is taken yet).
    func awaitReceived(_ n: UInt64) {
        let deadline = Date(timeIntervalSinceNow: 10)
        while runtime.stats("image").received < n && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
    }

    /// Runs the runtime on a thread until `until` holds for the results so far (or 10 s), then stops it.
    func run(_ processor: EchoProcessor, collect count: Int) -> [MessageHeader] {
        let stop = StopSignal()
        let done = DispatchSemaphore(value: 0)
        let runtime = self.runtime
        Thread.detachNewThread { runtime.run(processor, until: stop); done.signal() }
        var got: [MessageHeader] = []
        let deadline = Date(timeIntervalSinceNow: 10)
        while got.count < count && Date() < deadline {
            if let m = results.receive(timeout: 0.1) { got.append(m.header) }
        }
        stop.raise()
        #expect(done.wait(timeout: .now() + 5) == .success, "run did not return after stop")
        return got
    }
}

@Suite(.serialized) struct NodeRuntimeTests {
    @Test func latestWinsInputHandsOverOnlyTheNewestFrame() throws {
        let rig = try RuntimeRig()
        for seq in 0 ..< 5 { try rig.sendFrame(seq: UInt64(seq)) }
        rig.awaitReceived(5)
        let echo = EchoProcessor(labels: ["cup"])
        let got = rig.run(echo, collect: 1)
        #expect(echo.seqs == [4])
        #expect(got.count == 1 && got.first?.sourceSeq == 4)
        let s = rig.runtime.stats("image")
        #expect(s.received == 5 && s.overwritten == 4 && s.dropped == 4 && s.skipped == 0)
        // The result carries the counters of its source input as they were when it was computed.
        #expect(got.first?.fields["frames_overwritten"]?.intValue == 4)
        #expect(got.first?.fields["frames_received"]?.intValue == 5)
    }

    @Test func textControlInputIsAppliedBeforeTheNextFrame() throws {
        let rig = try RuntimeRig()
        try rig.sendText("red cup, blue bowl", seq: 0)
        try rig.sendText("  ,  ", seq: 1)  // no labels: refused, the previous ones stay
        // Give the control messages time to arrive first; then a frame.
        Thread.sleep(forTimeInterval: 0.3)
        try rig.sendFrame(seq: 0)
        rig.awaitReceived(1)
        let echo = EchoProcessor(labels: ["cup"])
        let got = rig.run(echo, collect: 1)
        let result = try DetectionsMessage(header: try #require(got.first))
        #expect(result.queries == ["red cup", "blue bowl"] && result.queriesVersion == 2)
        #expect(result.detections.map(\.label) == ["red cup", "blue bowl"])
        #expect(rig.logs.all.contains("labels version 2: red cup, blue bowl"))
        #expect(rig.logs.all.contains { $0.hasPrefix("ignored labels \"  ,  \": ") })
    }

    @Test func resultsAreStampedWithTheirSource() throws {
        let rig = try RuntimeRig()
        let echo = EchoProcessor(labels: ["cup"])
        let stop = StopSignal()
        let done = DispatchSemaphore(value: 0)
        let runtime = rig.runtime
        Thread.detachNewThread { runtime.run(echo, until: stop); done.signal() }
        var got: [MessageHeader] = []
        let stamp = BusClock.nowNs() - 5_000_000  // 5 ms ago
        for seq in 0 ..< 3 {
            try rig.sendFrame(seq: UInt64(10 + seq), stampNs: stamp + Int64(seq))
            if let m = rig.results.receive(timeout: 5) { got.append(m.header) }
        }
        stop.raise()
        #expect(done.wait(timeout: .now() + 5) == .success)
        #expect(got.map(\.seq) == [0, 1, 2])
        #expect(got.map(\.sourceSeq) == [10, 11, 12])
        #expect(got.map(\.sourceStampNs) == [stamp, stamp + 1, stamp + 2])
        #expect(got.allSatisfy { $0.type == "vlm/Detections" && ($0.fields["latency_ms"]?.doubleValue ?? -1) >= 5 })
        #expect(got.allSatisfy { $0.stampNs >= stamp })
        #expect(rig.runtime.published["out"] == 3)
    }

    @Test func stopEndsTheLoopWithoutInput() throws {
        let rig = try RuntimeRig()
        let stop = StopSignal()
        let done = DispatchSemaphore(value: 0)
        let runtime = rig.runtime
        let echo = EchoProcessor(labels: ["cup"])
        Thread.detachNewThread { runtime.run(echo, until: stop); done.signal() }
        Thread.sleep(forTimeInterval: 0.2)
        #expect(done.wait(timeout: .now() + 0.05) == .timedOut, "run returned before stop")
        stop.raise()
        #expect(done.wait(timeout: .now() + 5) == .success)
        #expect(echo.seqs.isEmpty)
    }

    /// Issue 15, finding 3: `stamp_ns` = Int64.min trapped on overflow in every plugin node.
    @Test func hostileStampsAreSkippedAndCountedAndTheNodeLivesOn() throws {
        let rig = try RuntimeRig()
        let echo = EchoProcessor(labels: ["cup"])
        let stop = StopSignal()
        let done = DispatchSemaphore(value: 0)
        let runtime = rig.runtime
        Thread.detachNewThread { runtime.run(echo, until: stop); done.signal() }
        try rig.sendFrame(seq: 0, stampNs: Int64.min)
        try rig.sendFrame(seq: 1, stampNs: -1)
        try rig.sendFrame(seq: 2, stampNs: Int64.max)  // far future: allowed, latency is negative but finite
        let late = try #require(rig.results.receive(timeout: 5)?.header)
        try rig.sendFrame(seq: 3)
        let fine = try #require(rig.results.receive(timeout: 5)?.header)
        stop.raise()
        #expect(done.wait(timeout: .now() + 5) == .success)
        #expect(late.sourceSeq == 2 && (late.fields["latency_ms"]?.doubleValue ?? 0) < 0)
        #expect(fine.sourceSeq == 3)
        #expect(rig.runtime.stats("image").skipped == 2)
        #expect(rig.logs.all.contains { $0.contains("skipped frame 0") && $0.contains("negative") })
        #expect(ResultStamp.latencyMs(nowNs: BusClock.nowNs(), sourceStampNs: .min) == nil)
        #expect(ResultStamp.latencyMs(nowNs: .min, sourceStampNs: .max) == nil)
    }

    /// Issue 15, finding 14: control characters from the wire never reach a log raw.
    @Test func controlCharactersFromTheWireAreEscapedInLogs() throws {
        let rig = try RuntimeRig()
        let echo = EchoProcessor(labels: ["cup"])
        let stop = StopSignal()
        let done = DispatchSemaphore(value: 0)
        let runtime = rig.runtime
        Thread.detachNewThread { runtime.run(echo, until: stop); done.signal() }
        try rig.sendFrame(seq: 0, type: "vlm/\u{1b}[2J\u{1b}]0;owned\u{7}Frame\u{9b}")
        try rig.sendText("evil\u{1b}[31m, label\ninjected line", seq: 0)
        try rig.sendFrame(seq: 1)
        _ = rig.results.receive(timeout: 5)
        stop.raise()
        #expect(done.wait(timeout: .now() + 5) == .success)
        let lines = rig.logs.all
        #expect(lines.contains { $0.contains("skipped frame 0") && $0.contains("\\u{1b}[2J") })
        #expect(lines.contains { $0.contains("evil\\u{1b}[31m") && $0.contains("label\\u{a}injected") })
        #expect(lines.allSatisfy { !$0.unicodeScalars.contains { $0.value < 0x20 || (0x7f ... 0x9f).contains($0.value) } })
        #expect(NodeLog.escape("plain text ✓") == "plain text ✓")
    }

    @Test func processErrorsAreSkippedAndCounted() throws {
        let rig = try RuntimeRig()
        let echo = EchoProcessor(labels: ["cup"])
        echo.fail = true
        try rig.sendFrame(seq: 0)
        rig.awaitReceived(1)
        let stop = StopSignal()
        let done = DispatchSemaphore(value: 0)
        let runtime = rig.runtime
        Thread.detachNewThread { runtime.run(echo, until: stop); done.signal() }
        let deadline = Date(timeIntervalSinceNow: 10)
        while rig.logs.all.isEmpty && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        stop.raise()
        #expect(done.wait(timeout: .now() + 5) == .success)
        #expect(rig.runtime.stats("image").skipped == 1)
        #expect(rig.logs.all.contains("skipped frame 0: refused on purpose"))
    }
}

@Suite struct WiringResolutionTests {
    @Test func optionsBeatWiringBeatDefaults() throws {
        let spec = RuntimeRig.spec
        let standalone = NodeWiring.resolve(spec: spec, wiring: nil)
        #expect(standalone.inputs["image"]?.topic == "/camera/image" && standalone.inputs["image"]?.endpoint == nil)
        #expect(standalone.outputs["out"]?.topic == "/echo/out" && standalone.outputs["out"]?.bind == true)
        #expect(standalone.params["labels"] == .string("cup"))
        let launched = NodeWiring(name: "/robot/echo", namespace: "/robot", type: "echo", params: ["labels": .string("bowl")],
                                  inputs: ["image": TopicBinding(topic: "/cam", type: MessageType.frame, endpoint: "ipc:///x", bind: false)])
        var o = NodeOverrides()
        o.inputs["labels"] = PortOverride(endpoint: "tcp://127.0.0.1:5999", bind: true)
        o.param("labels", nil)
        let w = NodeWiring.resolve(spec: spec, wiring: launched, overrides: o)
        #expect(w.inputs["image"]?.endpoint == "ipc:///x" && w.inputs["image"]?.topic == "/cam")
        #expect(w.inputs["labels"]?.topic == "/robot/echo/labels" && w.inputs["labels"]?.bind == true)
        #expect(w.outputs["out"]?.topic == "/robot/echo/out")
        #expect(w.params["labels"] == .string("bowl"))
        o.param("labels", .string("plate"))
        #expect(NodeWiring.resolve(spec: spec, wiring: launched, overrides: o).params["labels"] == .string("plate"))
    }

    @Test func aRequiredInputWithoutEndpointIsAnErrorNamingIt() throws {
        let w = NodeWiring.resolve(spec: RuntimeRig.spec, wiring: nil)
        #expect(throws: NodeWiringError.self) { try NodeRuntime(spec: RuntimeRig.spec, wiring: w) }
        do { _ = try NodeRuntime(spec: RuntimeRig.spec, wiring: w) } catch {
            #expect("\(error)".contains("input 'image' is not wired"))
        }
    }
}
