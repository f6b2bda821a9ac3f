import Foundation
import Testing
import TestSupport
import VLMBus

/// `vlmnode view` against real clients: the Python `websockets` library speaking the Foxglove
/// WebSocket protocol (Tests/Support/foxglove_ws_check.py), and headless Chromium driving the page
/// (Tests/Support/browser_check.py) in front of a live source -> detector graph.
@Suite(.serialized) struct ViewerCLITests {
    static let support = Fixtures.root.deletingLastPathComponent().appendingPathComponent("Support")
    static func python(_ module: String) -> Bool {
        (try? runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", "import \(module)"], timeout: 60))?.status == 0
    }
    static let hasWebsockets = python("websockets, google.protobuf, jsonschema")
    static let hasChromium = (try? runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["sh", "-c", "command -v chromium || command -v chromium-headless-shell"],
                                              timeout: 10))?.status == 0

    /// Starts `vlmnode view ARGS --port 0` and returns the port it printed.
    static func startView(_ args: [String], dir: URL) throws -> (Process, Int) {
        let log = dir.appendingPathComponent("view.log")
        let view = try VLMNodeBinary.start(["view", "--port", "0"] + args, log: log)
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if let range = text.range(of: #"http://127\.0\.0\.1:(\d+)/"#, options: .regularExpression) {
                let port = text[range].split(separator: ":").last!.dropLast()
                return (view, Int(port)!)
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        view.interrupt()
        throw CLIFailure("view printed no address: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
    }

    struct CLIFailure: Error, CustomStringConvertible { let description: String; init(_ d: String) { description = d } }

    @Test(.enabled(if: hasWebsockets, "python3 lacks websockets/protobuf/jsonschema: run Scripts/setup.sh"))
    func foxgloveWebSocketConformanceWithThePythonClient() throws {
        let dir = try makeTemporaryDirectory("view-ws")
        let cam = "ipc://\(dir.path)/cam.sock", det = "ipc://\(dir.path)/det.sock"
        let source = try VLMNodeBinary.start(["source", "lavfi:testsrc=size=320x240:rate=15", "--bind", cam], log: dir.appendingPathComponent("source.log"))
        // A result publisher so a json channel exists too.
        let results = try Publisher(bind: det, qos: .queue(capacity: 64))
        let (view, port) = try Self.startView(["--connect", cam, "--connect", det], dir: dir)
        let running = RunningProcesses([view, source], dir: dir)
        defer { withExtendedLifetime(running) {} }
        let stop = ManagedFlag()
        let feeder = Thread {
            var seq: UInt64 = 0
            while !stop.isSet {
                try? results.publish(topic: "/detections", header: MessageHeader(
                    type: "vlm/Detections", seq: seq, sourceSeq: seq, sourceStampNs: BusClock.nowNs(),
                    fields: ["detections": [["label": "cup", "label_index": 0, "score": 0.5, "box": [10, 10, 50, 60]]], "queries": ["cup"],
                             "queries_version": 1, "image_size": [320, 240], "latency_ms": 1.5, "inference_ms": 1.0,
                             "frames_received": .int(Int64(seq)), "frames_dropped": 0, "frames_overwritten": 0]))
                seq += 1
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
        feeder.start()
        defer { stop.set() }
        let check = try runProcess(URL(fileURLWithPath: "/usr/bin/env"),
                                   ["python3", Self.support.appendingPathComponent("foxglove_ws_check.py").path, String(port), "--json"], timeout: 180)
        let log = (try? String(contentsOf: dir.appendingPathComponent("view.log"), encoding: .utf8)) ?? ""
        #expect(check.status == 0 && check.stdout.hasSuffix("OK\n"), "\(check.stdout)\n\(check.stderr)\n\(log)")
        print(check.stdout)
    }

    @Test(.enabled(if: hasWebsockets && hasChromium, "needs python3 websockets and Debian's chromium: run Scripts/setup.sh"))
    func browserPageShowsBoxesAndSendsQueries() throws {
        let dir = try makeTemporaryDirectory("view-browser")
        let cam = "ipc://\(dir.path)/cam.sock", det = "ipc://\(dir.path)/det.sock", queries = "ipc://\(dir.path)/q.sock"
        let source = try VLMNodeBinary.start(["source", "lavfi:testsrc=size=320x240:rate=15", "--bind", cam], log: dir.appendingPathComponent("source.log"))
        let node = try VLMNodeBinary.start(["node", "detect", "--input", cam, "--queries", "a red disc, a blue bar",
                                            "--model", Fixtures.url("models/owlvit-tiny-old").path, "--bind", det,
                                            "--queries-endpoint", queries, "--max-rate", "5", "--threshold", "0", "--top-k", "2"],
                                           log: dir.appendingPathComponent("node.log"))
        let (view, port) = try Self.startView(["--connect", cam, "--connect", det, "--text-bind", queries], dir: dir)
        let running = RunningProcesses([view, node, source], dir: dir.appendingPathComponent("keep"))
        defer { withExtendedLifetime(running) {} }
        // The detector's own results, independently of the page.
        let results = try Subscriber(connect: det, topic: "/detections", qos: .queue(capacity: 200))
        let shot = dir.appendingPathComponent("page.png")
        let check = try runProcess(URL(fileURLWithPath: "/usr/bin/env"),
                                   ["python3", Self.support.appendingPathComponent("browser_check.py").path, String(port), shot.path, "a photo of a cat"],
                                   timeout: 240)
        let logs = ["view", "node"].map { (try? String(contentsOf: dir.appendingPathComponent("\($0).log"), encoding: .utf8)) ?? "" }.joined(separator: "\n")
        #expect(check.status == 0 && check.stdout.hasSuffix("OK\n"), "\(check.stdout)\n\(check.stderr)\n\(logs)")
        print(check.stdout)
        var version2 = false
        // Bounded: the detector publishes all the time, so without a deadline a page that never sent
        // the query would keep this loop (and the test run) going forever.
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, let m = results.receive(timeout: 5) {
            if m.header.fields["queries_version"]?.intValue == 2 && m.header.fields["queries"]?.arrayValue == [.string("a photo of a cat")] {
                version2 = true
                break
            }
        }
        #expect(version2, "the detector never reported queries_version 2: \(logs)")
        #expect(FileManager.default.fileExists(atPath: shot.path))
        try? FileManager.default.removeItem(at: dir)
    }

    /// `view:=true` in the shipped detect_camera.launch: the launcher starts `vlmnode view` (node
    /// type `view`) wired to the camera and detector topics, and a client sees both.
    @Test(.enabled(if: hasWebsockets, "python3 lacks websockets/protobuf/jsonschema: run Scripts/setup.sh"))
    func shippedLaunchFileServesTheViewerWithViewTrue() throws {
        let dir = try makeTemporaryDirectory("view-launch")
        defer { try? FileManager.default.removeItem(at: dir) }
        let launchFile = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Launch/detect_camera.launch").path
        let args = ["launch", launchFile, "camera:=lavfi:testsrc=size=160x120:rate=10", "model:=\(Fixtures.url("models/owlvit-tiny-old").path)",
                    "view:=true", "view_port:=0", "--log-dir", dir.appendingPathComponent("log").path]
        let check = try VLMNodeBinary.run(["launch", "--check"] + args.dropFirst())
        #expect(check.status == 0 && check.stdout.contains("/viewer [view]") && check.stdout.contains("vlmnode view --connect")
                && check.stdout.contains("--text-bind"), "\(check.stdout)\n\(check.stderr)")
        let log = dir.appendingPathComponent("launch.log")
        let launch = try VLMNodeBinary.start(args, log: log, environment: ["VLMNODE_RUNTIME_DIR": dir.appendingPathComponent("run").path])
        let running = RunningProcesses([launch], dir: dir.appendingPathComponent("keep"))
        defer { withExtendedLifetime(running) {} }
        var port = 0
        let deadline = Date().addingTimeInterval(60)
        while port == 0 && Date() < deadline {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if let r = text.range(of: #"view: http://127\.0\.0\.1:\d+"#, options: .regularExpression) { port = Int(text[r].split(separator: ":").last!)! }
            Thread.sleep(forTimeInterval: 0.2)
        }
        #expect(port > 0, "\((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
        guard port > 0 else { return }
        let client = try runProcess(URL(fileURLWithPath: "/usr/bin/env"),
                                    ["python3", Self.support.appendingPathComponent("foxglove_ws_check.py").path, String(port), "--topics-only"], timeout: 120)
        #expect(client.status == 0 && client.stdout.contains("channel /camera/image foxglove.RawImage")
                && client.stdout.contains("channel /detections vlm/Detections"), "\(client.stdout)\n\(client.stderr)")
    }

    @Test func refusesNonLoopbackWithoutTheFlag() throws {
        let result = try VLMNodeBinary.run(["view", "--connect", "ipc:///tmp/none.sock", "--host", "0.0.0.0"])
        #expect(result.status != 0 && result.stderr.contains("--allow-remote"), "\(result.stderr)")
    }
}

/// A flag set by one thread and read by another.
final class ManagedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    func set() { lock.lock(); value = true; lock.unlock() }
}
