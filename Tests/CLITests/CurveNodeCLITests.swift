import Foundation
import Testing
import TestSupport

/// `vlmnode node detect` with the shared security options, as a user runs it across hosts (here on
/// loopback): a CURVE source, the detector a CURVE client of it and a CURVE server of its results,
/// and `topic echo` as the authorized viewer; a stranger gets nothing.
@Suite(.serialized) struct CurveNodeCLITests {
    /// source/node/viewer/stranger key pairs; auth-source admits node, auth-node admits viewer.
    static func keys(_ dir: URL) throws {
        for name in ["source", "node", "viewer", "stranger"] {
            let r = try VLMNodeBinary.run(["keys", "generate", name, "--dir", dir.path], timeout: 30)
            try #require(r.status == 0, "\(r.stderr)")
        }
        for (auth, peer) in [("auth-source", "node"), ("auth-node", "viewer")] {
            let d = dir.appendingPathComponent(auth)
            try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: dir.appendingPathComponent("\(peer).pub"), to: d.appendingPathComponent("\(peer).pub"))
        }
    }

    @Test func curveDetectNodeBetweenCurveSourceAndViewer() throws {
        let dir = try makeTemporaryDirectory("curve-node")
        try Self.keys(dir)
        let k = { dir.appendingPathComponent($0).path }
        let cam = try CurveCLITests.freePort(), det = try CurveCLITests.freePort()
        let source = try VLMNodeBinary.start(["source", "lavfi:testsrc=size=160x120:rate=10", "--bind", "tcp://127.0.0.1:\(cam)",
                                              "--identity", k("source.key"), "--authorized", k("auth-source")],
                                             log: dir.appendingPathComponent("source.log"))
        let node = try VLMNodeBinary.start(["node", "detect", "--input", "tcp://127.0.0.1:\(cam)", "--queries", "a red disc",
                                            "--model", Fixtures.url("models/owlvit-tiny-old").path, "--threshold", "0",
                                            "--bind", "tcp://127.0.0.1:\(det)", "--max-rate", "5",
                                            "--identity", k("node.key"), "--server-key", k("source.pub"), "--authorized", k("auth-node")],
                                           log: dir.appendingPathComponent("node.log"))
        defer { CurveCLITests.stop(node); CurveCLITests.stop(source) }
        let echo = { (extra: [String], timeout: Double) in
            try VLMNodeBinary.run(["topic", "echo", "/detections", "--connect", "tcp://127.0.0.1:\(det)", "--count", "2",
                                   "--timeout", "\(timeout)"] + extra, timeout: 90)
        }
        let nodeLog = { (try? String(contentsOf: dir.appendingPathComponent("node.log"), encoding: .utf8)) ?? "" }
        let good = try echo(["--identity", k("viewer.key"), "--server-key", k("node.pub")], 40)
        #expect(good.status == 0, "\(good.stderr) \(nodeLog())")
        let lines = good.stdout.split(separator: "\n")
        #expect(lines.count == 2 && lines.allSatisfy { $0.contains("\"type\":\"vlm/Detections\"") && $0.contains("\"source_seq\":") },
                "\(good.stdout)")
        let stranger = try echo(["--identity", k("stranger.key"), "--server-key", k("node.pub")], 2)
        #expect(stranger.status != 0 && stranger.stdout.isEmpty, "\(stranger.stdout)")
        CurveCLITests.stop(node)
        #expect(nodeLog().contains("refused CURVE client key"), "\(nodeLog())")
        #expect(nodeLog().components(separatedBy: "refused CURVE client key").count == 2, "logged once: \(nodeLog())")
    }

    @Test func badNodeSecurityOptionsAreOneLineBeforeAModelLoads() throws {
        let dir = try makeTemporaryDirectory("curve-node-bad")
        try Self.keys(dir)
        let k = { dir.appendingPathComponent($0).path }
        // A model that does not exist: these errors must come first.
        let base = ["node", "detect", "--input", "tcp://127.0.0.1:9", "--queries", "x", "--model", dir.appendingPathComponent("no-model").path]
        let half = try VLMNodeBinary.run(base + ["--identity", k("node.key")], timeout: 60)
        #expect(half.status != 0 && half.stderr.contains("--identity needs --authorized (ports that bind) or --server-key (ports that connect)"),
                "\(half.stderr)")
        chmod(k("node.key"), 0o644)
        let open = try VLMNodeBinary.run(base + ["--identity", k("node.key"), "--server-key", k("source.pub")], timeout: 60)
        #expect(open.status != 0, "\(open.stderr)")
        #expect(open.stderr.contains("node /detect: input 'image': \(k("node.key")) holds a secret key but is accessible by group or others (mode 644)"),
                "\(open.stderr)")
        #expect(open.stderr.split(separator: "\n").count == 1, "\(open.stderr)")
    }

    /// A `vlmnode source` CURVE server and a Python SDK node wired by `VLMNODE_WIRING` with a
    /// `"security"` object (what the launcher will hand an exec node): frames cross, both ends
    /// authenticated; the same node with a stranger's key gets none.
    @Test(.enabled(if: (try? runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", "import zmq, numpy"], timeout: 30))?.status == 0,
                   "python3 lacks pyzmq/numpy"))
    func pythonSDKNodeReceivesFromCurveSourceThroughTheWiring() throws {
        let dir = try makeTemporaryDirectory("curve-py")
        try Self.keys(dir)
        let k = { dir.appendingPathComponent($0).path }
        let cam = try CurveCLITests.freePort()
        let source = try VLMNodeBinary.start(["source", "lavfi:testsrc=size=64x48:rate=20", "--bind", "tcp://127.0.0.1:\(cam)",
                                              "--identity", k("source.key"), "--authorized", k("auth-source")],
                                             log: dir.appendingPathComponent("source.log"))
        defer { CurveCLITests.stop(source) }
        let script = """
            import sys
            from vlmnode import Node
            node = Node.from_env()
            frames = node.subscribe("image")
            got = [frames.receive(timeout=float(sys.argv[1])) for _ in range(2)]
            print("frames", sum(f is not None for f in got), got[0].width if got[0] else 0)
            """
        func run(_ identity: String, wait: Double) throws -> ProcessResult {
            let wiring = """
                {"version": 1, "name": "/py", "namespace": "/", "type": "exec", "params": {}, "outputs": {},
                 "inputs": {"image": {"topic": "/camera/image", "type": "vlm/Frame", "endpoint": "tcp://127.0.0.1:\(cam)", "bind": false,
                                      "security": {"identity": "\(k(identity))", "server_key": "\(k("source.pub"))"}}}}
                """
            var env = ProcessInfo.processInfo.environment
            env["PYTHONPATH"] = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("python").path
            env["VLMNODE_WIRING"] = wiring
            return try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", script, "\(wait)"], environment: env, timeout: 60)
        }
        let good = try run("node.key", wait: 15)
        #expect(good.status == 0 && good.stdout == "frames 2 64\n", "\(good.stdout) \(good.stderr)")
        let stranger = try run("stranger.key", wait: 1.5)
        #expect(stranger.status == 0 && stranger.stdout == "frames 0 0\n", "\(stranger.stdout) \(stranger.stderr)")
    }

    /// `vlmnode view --connect` a CURVE source with `--identity --server-key`: the Foxglove
    /// WebSocket client (Tests/Support/foxglove_ws_check.py) gets the frames that crossed CURVE.
    @Test(.enabled(if: ViewerCLITests.hasWebsockets, "python3 lacks websockets/protobuf/jsonschema: run Scripts/setup.sh"))
    func viewConnectsToACurveSource() throws {
        let dir = try makeTemporaryDirectory("curve-view")
        try Self.keys(dir)
        let k = { dir.appendingPathComponent($0).path }
        let cam = try CurveCLITests.freePort()
        let source = try VLMNodeBinary.start(["source", "lavfi:testsrc=size=320x240:rate=15", "--bind", "tcp://127.0.0.1:\(cam)",
                                              "--identity", k("source.key"), "--authorized", k("auth-source")],
                                             log: dir.appendingPathComponent("source.log"))
        let (view, port) = try ViewerCLITests.startView(["--connect", "tcp://127.0.0.1:\(cam)",
                                                         "--identity", k("node.key"), "--server-key", k("source.pub")], dir: dir)
        defer { CurveCLITests.stop(view); CurveCLITests.stop(source) }
        let check = try runProcess(URL(fileURLWithPath: "/usr/bin/env"),
                                   ["python3", ViewerCLITests.support.appendingPathComponent("foxglove_ws_check.py").path, String(port)], timeout: 180)
        let log = (try? String(contentsOf: dir.appendingPathComponent("view.log"), encoding: .utf8)) ?? ""
        #expect(check.status == 0 && check.stdout.hasSuffix("OK\n"), "\(check.stdout)\n\(check.stderr)\n\(log)")
    }
}
