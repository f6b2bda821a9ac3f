import Foundation
import Testing
import TestSupport

/// Whether `python3` on PATH has pyzmq (CI installs it; see Scripts/setup.sh).
let pythonHasZMQ: Bool = {
    guard let python = PythonPath.python3,
          let result = try? runProcess(URL(fileURLWithPath: python), ["-c", "import zmq"], timeout: 30) else { return false }
    return result.status == 0
}()

let wireScripts: [String: String] = [
    // Publishes on its wired output, as any-language nodes do: endpoint and topic from VLMNODE_WIRING.
    "pub.py": """
        import json, os, time, zmq
        w = json.loads(os.environ["VLMNODE_WIRING"])
        out = w["outputs"]["chatter"]
        assert out["bind"]
        s = zmq.Context().socket(zmq.PUB)
        s.bind(out["endpoint"])
        i = 0
        while True:
            header = {"v": 1, "type": out["type"], "seq": i, "stamp_ns": time.time_ns()}
            s.send_multipart([out["topic"].encode(), json.dumps(header).encode(), b"hello %d" % i])
            i += 1
            time.sleep(0.02)
        """,
    // Receives N messages on its wired input (binding it when the launch says so), then exits.
    "sub.py": """
        import json, os, sys, zmq
        w = json.loads(os.environ["VLMNODE_WIRING"])
        role, count = sys.argv[1], int(sys.argv[2])
        inp = w["inputs"][role]
        s = zmq.Context().socket(zmq.SUB)
        (s.bind if inp["bind"] else s.connect)(inp["endpoint"])
        s.setsockopt_string(zmq.SUBSCRIBE, inp["topic"])
        s.setsockopt(zmq.RCVTIMEO, 10000)
        for _ in range(count):
            topic, header, blob = s.recv_multipart()
            assert json.loads(header)["type"] == inp["type"] or inp["type"] == "any"
        print("got", count, "messages on", topic.decode(), "last", blob.decode().split()[0])
        """,
    // An outside program: finds the topic in the launch's graph file and publishes into it.
    "outside.py": """
        import glob, json, os, sys, time, zmq
        d = os.environ["VLMNODE_RUNTIME_DIR"]
        deadline = time.time() + 10
        while time.time() < deadline:
            graphs = [json.load(open(p)) for p in glob.glob(os.path.join(d, "graph-*.json"))]
            topics = [t for g in graphs for t in g["topics"] if t["name"] == sys.argv[1]]
            if topics:
                break
            time.sleep(0.05)
        t = topics[0]
        assert t["publisher"] is None
        s = zmq.Context().socket(zmq.PUB)
        s.connect(t["endpoint"])
        # Long enough for the slow-joiner handshake; the subscriber exits after three messages.
        for _ in range(100):
            s.send_multipart([t["name"].encode(), json.dumps({"v": 1, "type": t["type"], "seq": 0, "stamp_ns": 0}).encode(), b"cmd go"])
            time.sleep(0.02)
        """,
]

@Suite(.serialized, .enabled(if: pythonHasZMQ, "python3 with pyzmq is needed"))
struct WiringEndToEndTests {
    @Test func messagesFlowBetweenExecNodesOverTheirWiredEndpoints() throws {
        let files = try LaunchFiles(wireScripts.merging(["main.launch": """
            <launch>
              <node name="talker" type="exec" exec="python3" args="$(dirname)/pub.py">
                <output name="chatter" type="vlm/Text"/>
              </node>
              <group ns="robot">
                <node name="listener" type="exec" exec="python3" args="$(dirname)/sub.py chatter 5" required="true">
                  <input name="chatter" topic="/chatter" type="vlm/Text"/>
                </node>
              </group>
            </launch>
            """]) { $1 })
        let launcher = try RunningLauncher(file: files.main, runtime: files.runtime)
        #expect(launcher.waitExit(timeout: 20) == 0)
        #expect(launcher.stdout.contains("[robot/listener] got 5 messages on /chatter last hello\n"))
    }

    @Test func topicToolsFindARunningLaunchsTopicsByName() throws {
        let files = try LaunchFiles(wireScripts.merging(["main.launch": """
            <launch>
              <node name="talker" type="exec" exec="python3" args="$(dirname)/pub.py">
                <output name="chatter" type="vlm/Text"/>
              </node>
              <node name="sink" type="exec" args="sleep 60"><input name="chatter" type="vlm/Text"/></node>
            </launch>
            """]) { $1 })
        let launcher = try RunningLauncher(file: files.main, runtime: files.runtime)
        defer { launcher.signal(SIGINT); _ = launcher.waitExit(timeout: 5) }
        #expect(poll(timeout: 10) { launcher.graph != nil })
        let env = ["VLMNODE_RUNTIME_DIR": files.runtime]
        let list = try VLMNodeBinary.run(["topic", "list", "--verbose", "--duration", "0.5"], environment: env, timeout: 30)
        #expect(list.status == 0, "\(list.stderr)")
        let lines = list.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        let row = lines.last.map(String.init) ?? ""
        #expect(row.hasPrefix("/chatter  vlm/Text  ipc://\(files.runtime)/\(launcher.launchID)/chatter.sock  /talker -> /sink  "))
        // pub.py sends every 20 ms: about 50 Hz, far from zero on any machine.
        let hz = Double(row.split(separator: " ").dropLast().last ?? "") ?? 0
        #expect(hz > 10 && hz < 60)
        let echo = try VLMNodeBinary.run(["topic", "echo", "/chatter", "--count", "3", "--timeout", "10"], environment: env, timeout: 30)
        #expect(echo.status == 0, "\(echo.stderr)")
        #expect(echo.stdout.split(separator: "\n").count == 3)
        #expect(echo.stdout.contains("\"type\":\"vlm/Text\""))
        let missing = try VLMNodeBinary.run(["topic", "echo", "/nope", "--count", "1"], environment: env, timeout: 30)
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("topic /nope is not in the running launch (topics: /chatter)"))
    }

    @Test func outsideProgramPublishesIntoABoundInputFoundInTheGraphFile() throws {
        let files = try LaunchFiles(wireScripts.merging(["main.launch": """
            <launch>
              <node name="robot" type="exec" exec="python3" args="$(dirname)/sub.py commands 3" required="true">
                <input name="commands" topic="/robot/commands" type="vlm/Text" endpoint="ipc://$(dirname)/commands.sock"/>
              </node>
            </launch>
            """]) { $1 })
        let launcher = try RunningLauncher(file: files.main, runtime: files.runtime)
        let python = try #require(PythonPath.python3)
        let outside = try runProcess(URL(fileURLWithPath: python), [files.path("outside.py"), "/robot/commands"],
                                     environment: ["VLMNODE_RUNTIME_DIR": files.runtime], timeout: 30)
        #expect(outside.status == 0, "\(outside.stderr)")
        #expect(launcher.waitExit(timeout: 20) == 0)
        #expect(launcher.stdout.contains("[robot] got 3 messages on /robot/commands last cmd\n"))
    }
}

/// The `python3` the launcher would start (first on PATH).
enum PythonPath {
    static var python3: String? {
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        let candidates: [String] = dirs.map { $0 + "/python3" }
        return candidates.first { access($0, X_OK) == 0 }
    }
}
