import Foundation
import Testing
import TestSupport
import VLMBus

/// `vlmnode source` (lavfi) -> `vlmnode node ground` (tiny OWL-ViT + CLIPSeg) -> subscribers here,
/// the Python pick-and-place controller, and Launch/pick_place.launch.
@Suite(.serialized) struct GroundNodeTests {
    static let models = ["--detector", Fixtures.url("models/owlvit-tiny-new").path,
                         "--segmenter", Fixtures.url("models/clipseg-tiny").path]
    static let root = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()
    static let controller = root.appendingPathComponent("Examples/python/pick_place_controller.py")
    static let pythonHasZMQ: Bool =
        (try? runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", "import zmq"], timeout: 30))?.status == 0

    func results(_ sub: Subscriber, _ n: Int, where accept: (MessageHeader) -> Bool = { _ in true }) throws -> [MessageHeader] {
        var out: [MessageHeader] = []
        let deadline = Date().addingTimeInterval(40)
        while out.count < n, Date() < deadline {
            guard let m = sub.receive(timeout: 1) else { continue }
            #expect(m.header.type == "vlm/Grounding")
            if accept(m.header) { out.append(m.header) }
        }
        return out
    }

    @Test func commandsFromATopicAreGroundedOnTheNewestFrame() throws {
        let dir = try makeTemporaryDirectory("ground-node")
        let cam = "ipc://\(dir.path)/cam.sock", out = "ipc://\(dir.path)/g.sock", cmd = "ipc://\(dir.path)/cmd.sock"
        let control = try Publisher(bind: cmd, qos: .queue(capacity: 10))
        let source = try VLMNodeBinary.start(["source", "lavfi:testsrc=size=320x240:rate=30", "--bind", cam],
                                               log: dir.appendingPathComponent("source.log"))
        let node = try VLMNodeBinary.start(["node", "ground", "--input", cam, "--bind", out, "--commands-endpoint", cmd,
                                              "--max-rate", "5", "--threshold", "0"] + Self.models,
                                             log: dir.appendingPathComponent("node.log"))
        let running = RunningProcesses([node, source], dir: dir)
        defer { withExtendedLifetime(running) {} }
        let sub = try Subscriber(connect: out, topic: "/grounding", qos: .queue(capacity: 100))
        let nodeLog = { (try? String(contentsOf: dir.appendingPathComponent("node.log"), encoding: .utf8)) ?? "" }
        #expect(control.waitForSubscribers(1, timeout: 10))

        let command = "pick up the red cup and put it in the blue bowl"
        try control.publish(topic: "/ground/command", header: MessageHeader(type: "vlm/Text", seq: 0, fields: ["text": .string(command)]))
        let got = try results(sub, 3) { $0.fields["command"]?.stringValue == command }
        #expect(got.count == 3, "\(nodeLog())")
        let sources = got.compactMap(\.sourceSeq)
        #expect(sources.count == 3 && zip(sources, sources.dropFirst()).allSatisfy { $0 < $1 })
        #expect(got.allSatisfy { ($0.sourceStampNs ?? 0) > 0 && $0.fields["command_version"]?.intValue == 1 })
        for h in got {
            let targets = try #require(h.fields["targets"]?.arrayValue)
            #expect(targets.compactMap { $0.objectValue?["role"]?.stringValue } == ["object", "destination"])
            #expect(targets.allSatisfy { $0.objectValue?["found"] == .bool(true) && $0.objectValue?["point"]?.arrayValue?.count == 2 })
        }

        // A command that does not parse: one error result without a frame; the previous command stays active.
        try control.publish(topic: "/ground/command", header: MessageHeader(type: "vlm/Text", seq: 1, fields: ["text": .string("pick up")]))
        let refused = try results(sub, 1) { $0.fields["error"] != nil }
        #expect(refused.first?.fields["error"]?.stringValue?.contains("no object") == true, "\(nodeLog())")
        #expect(refused.first?.sourceSeq == nil && refused.first?.fields["command"]?.stringValue == "pick up")
        let still = try results(sub, 2) { $0.sourceSeq != nil }
        #expect(still.count == 2 && still.allSatisfy { $0.fields["command"]?.stringValue == command })
        #expect(nodeLog().contains("rejected command \"pick up\""))
    }

    /// The example controller (pyzmq only) sends the command and prints where to pick and place.
    @Test(.enabled(if: pythonHasZMQ, "python3 lacks pyzmq"))
    func pythonControllerPrintsPickAndPlace() throws {
        let dir = try makeTemporaryDirectory("ground-controller")
        let cam = "ipc://\(dir.path)/cam.sock", out = "ipc://\(dir.path)/g.sock", cmd = "ipc://\(dir.path)/cmd.sock"
        let source = try VLMNodeBinary.start(["source", "lavfi:testsrc=size=320x240:rate=30", "--bind", cam],
                                               log: dir.appendingPathComponent("source.log"))
        let node = try VLMNodeBinary.start(["node", "ground", "--input", cam, "--bind", out, "--commands-endpoint", cmd,
                                              "--commands-bind", "--max-rate", "10", "--threshold", "0"] + Self.models,
                                             log: dir.appendingPathComponent("node.log"))
        let running = RunningProcesses([node, source], dir: dir)
        defer { withExtendedLifetime(running) {} }
        Thread.sleep(forTimeInterval: 1)
        let client = try runProcess(URL(fileURLWithPath: "/usr/bin/env"),
                                    ["python3", Self.controller.path, "--connect", out, "--commands-endpoint", cmd, "--count", "2",
                                     "--timeout", "30", "--command", "put the red cup in the blue bowl"], timeout: 90)
        #expect(client.status == 0, "\(client.stderr)")
        let lines = client.stdout.split(separator: "\n").filter { $0.hasPrefix("pick at (") }
        #expect(lines.count == 2 && lines.allSatisfy { $0.contains(") -> place at (") }, "\(client.stdout)")
    }

    /// Launch/pick_place.launch as shipped, with a lavfi camera and the tiny models.
    @Test(.enabled(if: pythonHasZMQ, "python3 lacks pyzmq"))
    func pickPlaceLaunchRunsEndToEnd() throws {
        let dir = try makeTemporaryDirectory("ground-launch")
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = 20000 + Int(ProcessInfo.processInfo.processIdentifier % 20000)
        let result = try VLMNodeBinary.run(
            ["launch", Self.root.appendingPathComponent("Launch/pick_place.launch").path,
             "camera:=lavfi:testsrc=size=160x120:rate=30", "detector:=\(Fixtures.url("models/owlvit-tiny-old").path)",
             "segmenter:=\(Fixtures.url("models/clipseg-tiny").path)", "threshold:=0", "controller_args:=--count 2",
             "command_port:=\(port)", "--log-dir", dir.appendingPathComponent("log").path],
            environment: ProcessInfo.processInfo.environment.merging(["VLMNODE_RUNTIME_DIR": dir.appendingPathComponent("run").path]) { $1 })
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").filter { $0.hasPrefix("[controller] pick at (") }
        #expect(lines.count == 2 && lines.allSatisfy { $0.contains("-> place at (") }, "\(result.stdout)")
        #expect(result.stdout.contains("[perception/grounding] command 1: pick up the red cup and put it in the blue bowl"))
    }
}
