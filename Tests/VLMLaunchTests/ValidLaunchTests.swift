import Foundation
import Testing
import VLMLaunch
import VLMPlugins
import VLMNode

/// One launch that must load, and what its graph must look like.
struct ValidCase: Sendable, CustomTestStringConvertible {
    let name: String
    let files: [String: String]
    var overrides: [String: String] = [:]
    let check: @Sendable (LaunchGraph, LaunchFiles) throws -> Void
    var testDescription: String { name }

    init(_ name: String, _ main: String, overrides: [String: String] = [:], more: [String: String] = [:],
         check: @escaping @Sendable (LaunchGraph, LaunchFiles) throws -> Void) {
        self.name = name
        self.files = more.merging(["main.launch": main]) { $1 }
        self.overrides = overrides
        self.check = check
    }
}

let cameraAndDetector = """
    <launch>
      <arg name="camera" default="lavfi:testsrc"/>
      <arg name="queries" default="red cup, blue bowl"/>
      <node name="cam" type="source"><param name="input" value="$(arg camera)"/></node>
      <group ns="robot">
        <remap from="camera/image" to="/camera/image"/>
        <node name="det" type="detect">
          <param name="queries" value="$(arg queries)"/>
          <param name="threshold" value="0.25"/>
        </node>
      </group>
    </launch>
    """

let validCases: [ValidCase] = [
    ValidCase("group namespace and group remap", cameraAndDetector) { g, _ in
        let det = try #require(g.node("/robot/det"))
        #expect(det.inputs["image"]?.topic == "/camera/image")
        #expect(det.inputs["image"]?.bind == false)
        #expect(det.outputs["detections"]?.topic == "/robot/detections")
        #expect(det.outputs["detections"]?.bind == true)
        #expect(det.params["queries"]?.stringListValue == ["red cup", "blue bowl"])
        #expect(det.params["threshold"] == .double(0.25))
        #expect(g.topic("/camera/image")?.publisher == "/cam")
        #expect(g.topic("/camera/image")?.subscribers == ["/robot/det"])
        #expect(det.inputs["image"]?.endpoint == g.topic("/camera/image")?.endpoint)
    },
    ValidCase("command-line overrides", cameraAndDetector, overrides: ["camera": "/dev/video1", "queries": "mug"]) { g, _ in
        #expect(g.node("/cam")?.params["input"] == .string("/dev/video1"))
        #expect(g.node("/robot/det")?.params["queries"]?.stringListValue == ["mug"])
        #expect(g.args.map(\.name) == ["camera", "queries"])
        #expect(g.args.map(\.value) == ["/dev/video1", "mug"])
    },
    ValidCase("node ns, node remap, absolute and private names", """
        <launch>
          <node name="pub" type="exec" args="true" ns="arm">
            <output name="state" type="vlm/Text"/>
            <output name="debug" topic="~debug" type="vlm/Text"/>
          </node>
          <node name="sub" type="exec" args="true" ns="/base">
            <remap from="arm_state" to="/arm/state"/>
            <input name="s" topic="arm_state" type="vlm/Text"/>
            <input name="d" topic="/arm/pub/debug"/>
          </node>
        </launch>
        """) { g, _ in
        #expect(g.node("/arm/pub")?.outputs["state"]?.topic == "/arm/state")
        #expect(g.node("/arm/pub")?.outputs["debug"]?.topic == "/arm/pub/debug")
        #expect(g.node("/base/sub")?.inputs["s"]?.topic == "/arm/state")
        #expect(g.node("/base/sub")?.inputs["d"]?.type == "any")
        #expect(g.topic("/arm/pub/debug")?.subscribers == ["/base/sub"])
    },
    ValidCase("nested groups", """
        <launch>
          <group ns="a">
            <group ns="b">
              <node name="n" type="exec" args="true"><output name="o" type="vlm/Text"/></node>
            </group>
            <group ns="/c"><node name="m" type="exec" args="true"/></group>
          </group>
        </launch>
        """) { g, _ in
        #expect(g.nodes.map(\.name) == ["/a/b/n", "/c/m"])
        #expect(g.topic("/a/b/o")?.publisher == "/a/b/n")
    },
    ValidCase("if and unless on nodes and groups", """
        <launch>
          <arg name="sim" default="true"/>
          <node name="real" type="exec" args="true" unless="$(arg sim)"/>
          <node name="fake" type="exec" args="true" if="$(arg sim)"/>
          <group if="false"><node name="never" type="exec" args="$(arg undefined_is_fine_when_skipped)"/></group>
          <group unless="0"><node name="always" type="exec" args="true"/></group>
        </launch>
        """) { g, _ in
        #expect(g.nodes.map(\.name) == ["/fake", "/always"])
    },
    ValidCase("substitutions", """
        <launch>
          <arg name="a" default="A"/>
          <arg name="b" default="$(arg a)-b"/>
          <arg name="fixed" value="F"/>
          <node name="n" type="exec" exec="echo"
                args="$(arg b) $(env VLT_SET) $(optenv VLT_UNSET fall back) $(optenv VLT_SET x) $(dirname) $(anon cam) $(anon cam) $$HOME $(optenv VLT_UNSET $(arg fixed))"/>
        </launch>
        """) { g, files in
        let n = try #require(g.node("/n"))
        #expect(n.description.program == "echo")
        let args = n.description.arguments
        #expect(Array(args[0..<6]) == ["A-b", "from-env", "fall", "back", "from-env", files.directory.path])
        #expect(args[6].hasPrefix("cam_") && args[6].count > 4)
        #expect(args[6] == args[7])
        #expect(args[8] == "$HOME")
        #expect(args[9] == "F")
    },
    ValidCase("$(endpoint) is filled in after wiring", """
        <launch>
          <arg name="frames" default="$(endpoint /camera/image)"/>
          <node name="cam" type="source"><param name="input" value="x"/></node>
          <group ns="camera">
            <node name="viewer" type="exec" exec="python3" args="view.py --connect $(endpoint image) --also=$(arg frames) --topic $(topic image)">
              <param name="where" value="$(endpoint /camera/image)"/>
              <env name="FRAMES" value="$(arg frames)"/>
            </node>
          </group>
        </launch>
        """) { g, files in
        let endpoint = "ipc://\(files.runtime)/t/camera_image.sock"
        let viewer = try #require(g.node("/camera/viewer"))
        #expect(viewer.description.arguments == ["view.py", "--connect", endpoint, "--also=\(endpoint)", "--topic", "/camera/image"])
        #expect(viewer.params["where"] == .string(endpoint))
        #expect(viewer.description.environment["FRAMES"] == endpoint)
    },
    ValidCase("exec args are split like a shell", """
        <launch>
          <node name="n" type="exec" args="sh -c 'echo &quot;a b&quot;; exit 0' second\\ word"/>
        </launch>
        """) { g, _ in
        let n = try #require(g.node("/n"))
        #expect(n.description.program == "sh")
        #expect(n.description.arguments == ["-c", "echo \"a b\"; exit 0", "second word"])
    },
    ValidCase("typed params", """
        <launch>
          <node name="n" type="exec" args="true">
            <param name="i" value="42"/>
            <param name="d" value="0.5"/>
            <param name="b" value="true"/>
            <param name="s" value="hello"/>
            <param name="forced" value="42" type="string"/>
            <param name="l" value="[a, 'b, c', 3, 1.5, false]"/>
            <param name="words" value="x, y" type="list"/>
          </node>
        </launch>
        """) { g, _ in
        let p = try #require(g.node("/n")).params
        #expect(p["i"] == .int(42))
        #expect(p["d"] == .double(0.5))
        #expect(p["b"] == .bool(true))
        #expect(p["s"] == .string("hello"))
        #expect(p["forced"] == .string("42"))
        #expect(p["l"] == .list([.string("a"), .string("b, c"), .int(3), .double(1.5), .bool(false)]))
        #expect(p["words"] == .list([.string("x"), .string("y")]))
    },
    ValidCase("include with args, ns and its own defaults", """
        <launch>
          <arg name="cam" default="lavfi:testsrc"/>
          <include file="$(dirname)/sub/camera.launch" ns="left">
            <arg name="input" value="$(arg cam)"/>
          </include>
          <include file="sub/camera.launch" ns="right">
            <arg name="input" value="/dev/video2"/>
            <arg name="fps" value="15"/>
          </include>
        </launch>
        """, more: ["sub/camera.launch": """
        <launch>
          <arg name="input"/>
          <arg name="fps" default="30"/>
          <node name="camera" type="source">
            <param name="input" value="$(arg input)"/>
            <param name="fps" value="$(arg fps)"/>
          </node>
        </launch>
        """]) { g, _ in
        #expect(g.node("/left/camera")?.params["input"] == .string("lavfi:testsrc"))
        #expect(g.node("/left/camera")?.params["fps"] == .int(30))
        #expect(g.node("/right/camera")?.params["input"] == .string("/dev/video2"))
        #expect(g.node("/right/camera")?.params["fps"] == .int(15))
        #expect(g.node("/right/camera")?.outputs["image"]?.topic == "/right/camera/image")
        #expect(g.topics.map(\.name) == ["/left/camera/image", "/right/camera/image"])
    },
    ValidCase("default endpoints are ipc sockets in the launch's runtime dir; pins are kept", """
        <launch>
          <node name="cam" type="source">
            <param name="input" value="x"/>
            <output name="image" endpoint="tcp://127.0.0.1:5555"/>
          </node>
          <node name="det" type="detect"><param name="queries" value="cup"/></node>
        </launch>
        """) { g, files in
        #expect(g.topic("/camera/image")?.endpoint == "tcp://127.0.0.1:5555")
        #expect(g.topic("/camera/image")?.pinned == true)
        #expect(g.topic("/detections")?.endpoint == "ipc://\(files.runtime)/t/detections.sock")
        #expect(g.node("/det")?.inputs["image"]?.endpoint == "tcp://127.0.0.1:5555")
        // Nothing publishes queries: the detector binds it so an outside program can connect.
        let queries = try #require(g.node("/det")?.inputs["queries"])
        #expect(queries.bind)
        #expect(queries.endpoint == "ipc://\(files.runtime)/t/detections_queries.sock")
        #expect(g.topic("/detections/queries")?.publisher == nil)
    },
    ValidCase("record subscribes to the topics it lists", """
        <launch>
          <node name="cam" type="source"><param name="input" value="x"/></node>
          <group ns="bag">
            <node name="rec" type="record">
              <param name="topics" value="[/camera/image]"/>
              <param name="output" value="out.mcap"/>
            </node>
          </group>
        </launch>
        """) { g, _ in
        let rec = try #require(g.node("/bag/rec"))
        #expect(rec.inputs["/camera/image"]?.topic == "/camera/image")
        #expect(g.topic("/camera/image")?.subscribers == ["/bag/rec"])
        #expect(try g.commandLine(for: rec, vlmnodeExecutable: "vlmnode") == ["vlmnode", "record", "-o", "out.mcap", "/camera/image"])
    },
    ValidCase("source command line from params and wiring", """
        <launch>
          <node name="cam" type="source" respawn="true" respawn_delay="0.5" respawn_max="3">
            <param name="input" value="lavfi:testsrc=size=320x240:rate=30"/>
            <param name="fps" value="10"/>
            <param name="loop" value="true"/>
            <param name="realtime" value="false"/>
            <param name="input_options" value="[video_size=1280x720, input_format=mjpeg]"/>
          </node>
        </launch>
        """) { g, files in
        let cam = try #require(g.node("/cam"))
        #expect(cam.description.respawn && cam.description.respawnDelay == 0.5 && cam.description.respawnMax == 3)
        let argv = try g.commandLine(for: cam, vlmnodeExecutable: "/bin/vlmnode")
        #expect(argv == ["/bin/vlmnode", "source", "lavfi:testsrc=size=320x240:rate=30", "--topic", "/camera/image",
                         "--bind", "ipc://\(files.runtime)/t/camera_image.sock", "--fps", "10",
                         "--input-option", "video_size=1280x720", "--input-option", "input_format=mjpeg", "--loop", "--no-realtime"])
    },
    ValidCase("env at launch, group and node level reaches the node", """
        <launch>
          <env name="A" value="1"/>
          <group><env name="B" value="2"/><node name="n" type="exec" args="true"><env name="C" value="3"/></node></group>
          <node name="m" type="exec" args="true"/>
        </launch>
        """) { g, _ in
        #expect(g.node("/n")?.description.environment == ["A": "1", "B": "2", "C": "3"])
        #expect(g.node("/m")?.description.environment == ["A": "1"])
    },
]

@Suite struct ValidLaunchTests {
    @Test(arguments: validCases)
    func loads(_ c: ValidCase) throws {
        let files = try LaunchFiles(c.files)
        let graph: LaunchGraph
        do {
            graph = try files.load(c.overrides)
        } catch {
            Issue.record("unexpected error: \(error)")
            return
        }
        try c.check(graph, files)
    }

    @Test func wiringRoundTripsThroughJSON() throws {
        let files = try LaunchFiles(["main.launch": cameraAndDetector])
        let graph = try files.load()
        let det = try #require(graph.node("/robot/det"))
        let context = LaunchContext(launchID: "t", launcherPID: 1, graphFile: "/g.json", logDirectory: "/l")
        let wiring = graph.wiring(for: det, launch: context)
        let json = try wiring.jsonString()
        #expect(try NodeWiring.fromEnvironment([NodeWiring.environmentKey: json]) == wiring)
        #expect(try NodeWiring.fromEnvironment([:]) == nil)
        // The JSON is plain enough for any language: check the keys a Python node would read.
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let inputs = try #require(object["inputs"] as? [String: [String: Any]])
        #expect(inputs["image"]?["endpoint"] as? String == det.inputs["image"]?.endpoint)
        #expect((object["launch"] as? [String: Any])?["launcher_pid"] as? Int == 1)
        #expect(throws: NodeWiringError.self) { try NodeWiring.decode(json: "{\"version\": 1}") }
    }

    @Test func graphRenderingNamesEveryEdge() throws {
        let graph = try LaunchFiles(["main.launch": cameraAndDetector]).load()
        let dot = GraphRender.dot(graph)
        #expect(dot.contains("\"n:/cam\" -> \"t:/camera/image\";"))
        #expect(dot.contains("\"t:/camera/image\" -> \"n:/robot/det\";"))
        #expect(dot.contains("\"n:/robot/det\" -> \"t:/robot/detections\";"))
        let text = GraphRender.text(graph)
        #expect(text.contains("  /robot/det [detect]\n"))
        #expect(text.contains("    in  image <- /camera/image [vlm/Frame]\n"))
    }

    /// Every shipped launch file parses and validates with its defaults (node types of other issues
    /// included: the registry knows them).
    @Test(arguments: try FileManager.default.contentsOfDirectory(atPath: launchDirectory.path)
        .filter { $0.hasSuffix(".launch") }.sorted())
    func shippedLaunchFile(_ name: String) throws {
        BuiltInPlugins.registerAll()
        let path = launchDirectory.appendingPathComponent(name).path
        var env = ProcessInfo.processInfo.environment
        env["VLMNODE_RUNTIME_DIR"] = "/tmp/vlt-shipped"
        // camera.launch is an include with a required arg; give it one.
        let overrides = name == "camera.launch" ? ["input": "lavfi:testsrc"] : [:]
        let graph = try LaunchLoader.load(file: path, overrides: overrides, paths: LaunchPaths(file: path, environment: env),
                                          environment: env)
        #expect(!graph.nodes.isEmpty)
        #expect(graph.topics.allSatisfy { $0.endpoint != nil })
    }

    @Test func cameraLaunchCanWireTheExampleFrameSubscriber() throws {
        let path = launchDirectory.appendingPathComponent("camera.launch").path
        var env = ProcessInfo.processInfo.environment
        env["VLMNODE_RUNTIME_DIR"] = "/tmp/vlt-shipped"
        let graph = try LaunchLoader.load(file: path, overrides: ["input": "lavfi:testsrc", "print_frames": "true"],
                                          paths: LaunchPaths(file: path, launchID: "c", environment: env), environment: env)
        let frames = try #require(graph.node("/camera_frames"))
        let script = try #require(frames.description.arguments.first)
        #expect(FileManager.default.fileExists(atPath: script))
        #expect(Array(frames.description.arguments.dropFirst()) == ["--connect", "ipc:///tmp/vlt-shipped/c/camera_image.sock",
                                                                     "--topic", "/camera/image"])
        #expect(graph.topic("/camera/image")?.subscribers == ["/camera_frames"])
    }

    @Test func shippedLaunchFilesExist() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: launchDirectory.path)
        for name in ["detect_camera.launch", "video_watch.launch", "pick_place.launch"] {
            #expect(names.contains(name))
        }
    }
}

let launchDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Launch")
