import Testing
import VLMLaunch

/// One broken launch file and the exact line `vlmnode launch` must print for it.
struct InvalidCase: Sendable, CustomTestStringConvertible {
    let name: String
    let files: [String: String]
    var overrides: [String: String] = [:]
    /// `DIR` stands for the directory the files are written to.
    let expected: String
    var testDescription: String { name }

    init(_ name: String, _ main: String, overrides: [String: String] = [:], more: [String: String] = [:], _ expected: String) {
        self.name = name
        self.files = more.merging(["main.launch": main]) { $1 }
        self.overrides = overrides
        self.expected = expected
    }
}

let invalidCases: [InvalidCase] = [
    InvalidCase("closing tag mismatch", "<launch>\n  <node name=\"a\" type=\"exec\" args=\"true\">\n</launch>\n",
                "DIR/main.launch:3:10: malformed XML: closing tag does not match <node> opened at line 2"),
    InvalidCase("unquoted attribute", "<launch>\n <node name=a/>\n</launch>\n",
                "DIR/main.launch:2:13: malformed XML: attribute value must be quoted"),
    InvalidCase("unclosed root", "<launch>\n  <arg name=\"a\" default=\"1\"/>\n",
                "DIR/main.launch:2:30: malformed XML: <launch> opened at line 1 is never closed"),
    InvalidCase("empty file", "", "DIR/main.launch:1:1: malformed XML: the document is empty"),
    InvalidCase("wrong root", "<graph/>\n", "DIR/main.launch:1: root element must be <launch>, found <graph>"),
    InvalidCase("unknown element", "<launch>\n  <nodes/>\n</launch>\n", "DIR/main.launch:2: unknown element <nodes>"),
    InvalidCase("misplaced element", "<launch>\n  <param name=\"a\" value=\"1\"/>\n</launch>\n",
                "DIR/main.launch:2: <param> is not allowed inside <launch>"),
    InvalidCase("misspelt attribute", "<launch>\n  <node name=\"a\" type=\"exec\" args=\"true\" respwan=\"true\"/>\n</launch>\n",
                "DIR/main.launch:2: <node> has no attribute 'respwan' (accepted: name, type, exec, args, ns, respawn, respawn_delay, respawn_max, required, output, cwd, machine, if, unless)"),
    InvalidCase("unknown machine on a group", "<launch>\n  <machine name=\"ws\" address=\"10.0.0.2\"/>\n  <group machine=\"wz\">\n    <node name=\"a\" type=\"exec\" args=\"true\"/>\n  </group>\n</launch>\n",
                "DIR/main.launch:3: node '/a': unknown machine 'wz' (machines: ws)"),
    InvalidCase("unknown machine, none declared", "<launch>\n  <node name=\"a\" type=\"exec\" args=\"true\" machine=\"ws\"/>\n</launch>\n",
                "DIR/main.launch:2: node '/a': unknown machine 'ws' (no <machine> is declared)"),
    InvalidCase("unknown machine through an include", "<launch>\n  <include file=\"inc.launch\" machine=\"nope\"/>\n</launch>\n",
                more: ["inc.launch": "<launch>\n  <node name=\"a\" type=\"exec\" args=\"true\"/>\n</launch>\n"],
                "DIR/main.launch:2: node '/a': unknown machine 'nope' (no <machine> is declared)"),
    InvalidCase("machine declared twice", "<launch>\n  <machine name=\"ws\" address=\"a\"/>\n  <machine name=\"ws\" address=\"b\"/>\n</launch>\n",
                "DIR/main.launch:3: machine 'ws' is declared twice (first at DIR/main.launch:2)"),
    InvalidCase("machine address like an ssh option", "<launch>\n  <machine name=\"ws\" address=\"-oProxyCommand=sh\"/>\n</launch>\n",
                "DIR/main.launch:2: machine 'ws': address=\"-oProxyCommand=sh\" is not a host name or IP address"),
    InvalidCase("machine user with a space", "<launch>\n  <machine name=\"ws\" address=\"ws.local\" user=\"a b\"/>\n</launch>\n",
                "DIR/main.launch:2: machine 'ws': user=\"a b\" is not a login name"),
    InvalidCase("machine port out of range", "<launch>\n  <machine name=\"ws\" address=\"ws.local\" port=\"70000\"/>\n</launch>\n",
                "DIR/main.launch:2: machine 'ws': port=\"70000\" must be a whole number from 1 to 65535"),
    InvalidCase("machine vlmnode path with shell text", "<launch>\n  <machine name=\"ws\" address=\"ws.local\" vlmnode=\"vlmnode;rm\"/>\n</launch>\n",
                "DIR/main.launch:2: machine 'ws': vlmnode=\"vlmnode;rm\" must be a program path (letters, digits, / . _ - + only)"),
    InvalidCase("machine without address", "<launch>\n  <machine name=\"ws\"/>\n</launch>\n",
                "DIR/main.launch:2: <machine> needs a address= attribute"),
    InvalidCase("missing identity key of a machine", "<launch>\n  <machine name=\"ws\" address=\"ws.local\" identity=\"keys/ws.key\"/>\n</launch>\n",
                "DIR/main.launch:2: machine 'ws': identity: cannot read key file DIR/keys/ws.key: No such file or directory"),
    InvalidCase("pinned endpoint on a topic that crosses machines", "<launch>\n  <machine name=\"ws\" address=\"192.0.2.7\"/>\n  <node name=\"a\" type=\"exec\" args=\"true\">\n    <output name=\"o\" endpoint=\"tcp://127.0.0.1:5999\"/>\n  </node>\n  <node name=\"b\" type=\"exec\" args=\"true\" machine=\"ws\">\n    <input name=\"o\" topic=\"/o\"/>\n  </node>\n</launch>\n",
                "DIR/main.launch:4: node '/a': output 'o': topic '/o' crosses machines, so the launcher chooses its endpoint (CURVE tcp); remove endpoint="),
    InvalidCase("record of a topic on another machine", "<launch>\n  <machine name=\"ws\" address=\"192.0.2.7\"/>\n  <node name=\"cam\" type=\"source\" machine=\"ws\">\n    <param name=\"input\" value=\"lavfi:testsrc\"/>\n  </node>\n  <node name=\"rec\" type=\"record\">\n    <param name=\"topics\" value=\"[/camera/image]\"/>\n    <param name=\"output\" value=\"/tmp/x.mcap\"/>\n  </node>\n</launch>\n",
                "DIR/main.launch:6: node '/rec': type 'record' cannot subscribe to a topic of another machine yet ('/camera/image'); place it on the publisher's machine"),
    InvalidCase("missing type", "<launch>\n  <node name=\"a\"/>\n</launch>\n", "DIR/main.launch:2: <node> needs a type= attribute"),
    InvalidCase("unknown node type", "<launch>\n\n  <node name=\"a\" type=\"detector\"/>\n</launch>\n",
                "DIR/main.launch:3: node '/a': unknown node type 'detector' (known: detect, exec, ground, record, source, video, vqa)"),
    InvalidCase("arg with no value", "<launch>\n  <arg name=\"camera\"/>\n</launch>\n",
                "DIR/main.launch:2: arg 'camera' has no value (set it with camera:=VALUE)"),
    InvalidCase("undefined arg", "<launch>\n  <node name=\"a\" type=\"exec\" args=\"echo $(arg nope)\"/>\n</launch>\n",
                "DIR/main.launch:2: undefined arg 'nope' in $(arg nope)"),
    InvalidCase("unknown substitution", "<launch>\n  <node name=\"a\" type=\"exec\" args=\"$(find pkg)\"/>\n</launch>\n",
                "DIR/main.launch:2: unknown substitution $(find pkg) (known: arg, env, optenv, dirname, anon, endpoint, topic)"),
    InvalidCase("endpoint of an unknown topic", "<launch>\n  <node name=\"a\" type=\"exec\" args=\"echo $(endpoint chatter)\" ns=\"r\"/>\n</launch>\n",
                "DIR/main.launch:2: node '/r/a': $(endpoint chatter): no topic '/r/chatter' in this launch"),
    InvalidCase("topic name of an unknown topic", "<launch>\n  <node name=\"a\" type=\"exec\" args=\"echo $(topic /x)\"/>\n</launch>\n",
                "DIR/main.launch:2: node '/a': $(topic /x): no topic '/x' in this launch"),
    InvalidCase("unset env", "<launch>\n  <arg name=\"x\" default=\"$(env VLT_UNSET)\"/>\n</launch>\n",
                "DIR/main.launch:2: environment variable 'VLT_UNSET' is not set in $(env VLT_UNSET) (use $(optenv VLT_UNSET DEFAULT))"),
    InvalidCase("unterminated substitution", "<launch>\n  <arg name=\"x\" default=\"$(arg y\"/>\n</launch>\n",
                "DIR/main.launch:2: unterminated substitution '$(arg y'"),
    InvalidCase("unknown command-line arg", "<launch>\n  <arg name=\"camera\" default=\"a\"/>\n</launch>\n",
                overrides: ["cam": "x"],
                "DIR/main.launch: unknown arg 'cam' given on the command line (declared: camera)"),
    InvalidCase("fixed arg overridden", "<launch>\n  <arg name=\"camera\" value=\"a\"/>\n</launch>\n", overrides: ["camera": "x"],
                "DIR/main.launch:2: arg 'camera' has a fixed value and cannot be set on the command line"),
    InvalidCase("duplicate node", "<launch>\n  <node name=\"a\" type=\"exec\" args=\"true\"/>\n  <node name=\"a\" type=\"exec\" args=\"true\"/>\n</launch>\n",
                "DIR/main.launch:3: duplicate node name '/a' (first defined at DIR/main.launch:2)"),
    InvalidCase("topic with no publisher",
                "<launch>\n  <node name=\"det\" type=\"detect\">\n    <param name=\"queries\" value=\"cup\"/>\n  </node>\n</launch>\n",
                "DIR/main.launch:2: node '/det': input 'image' subscribes to '/camera/image' (vlm/Frame) but nothing publishes it"),
    InvalidCase("type mismatch", """
        <launch>
          <node name="fake" type="exec" args="true">
            <output name="image" topic="camera/image" type="vlm/Detections"/>
          </node>
          <node name="det" type="detect">
            <param name="queries" value="cup"/>
          </node>
        </launch>
        """, "DIR/main.launch:5: topic '/camera/image': node '/det' expects vlm/Frame but '/fake' publishes vlm/Detections"),
    InvalidCase("exec input type mismatch", """
        <launch>
          <node name="cam" type="source"><param name="input" value="x"/></node>
          <node name="ctl" type="exec" args="true">
            <input name="d" topic="/camera/image" type="vlm/Detections"/>
          </node>
        </launch>
        """, "DIR/main.launch:4: topic '/camera/image': node '/ctl' expects vlm/Detections but '/cam' publishes vlm/Frame"),
    InvalidCase("param of the wrong type", """
        <launch>
          <node name="cam" type="source"><param name="input" value="x"/></node>
          <node name="det" type="detect">
            <param name="queries" value="cup"/>
            <param name="threshold" value="high"/>
          </node>
        </launch>
        """, "DIR/main.launch:5: node '/det': param 'threshold' must be number, got string \"high\""),
    InvalidCase("unknown param", """
        <launch>
          <node name="cam" type="source">
            <param name="input" value="x"/>
            <param name="fsp" value="3"/>
          </node>
        </launch>
        """, "DIR/main.launch:4: node '/cam': type 'source' has no param 'fsp' (params: input, fps, size, encoding, loop, realtime, start, frames, threads, input_options)"),
    InvalidCase("missing required param", "<launch>\n  <node name=\"cam\" type=\"source\"/>\n</launch>\n",
                "DIR/main.launch:2: node '/cam': type 'source' needs param 'input'"),
    InvalidCase("param value not of its declared type", "<launch>\n  <node name=\"a\" type=\"exec\" args=\"true\">\n    <param name=\"n\" value=\"x\" type=\"int\"/>\n  </node>\n</launch>\n",
                "DIR/main.launch:3: param 'n': \"x\" is not a valid int"),
    InvalidCase("two publishers", """
        <launch>
          <node name="a" type="source"><param name="input" value="x"/></node>
          <node name="b" type="source"><param name="input" value="y"/></node>
        </launch>
        """, "DIR/main.launch:3: topic '/camera/image' has two publishers: '/a' (DIR/main.launch:2) and '/b'; a topic has one publisher"),
    InvalidCase("respawn and required", "<launch>\n  <node name=\"a\" type=\"exec\" args=\"true\" respawn=\"true\" required=\"true\"/>\n</launch>\n",
                "DIR/main.launch:2: node '/a' cannot be both respawn and required"),
    InvalidCase("bad endpoint", """
        <launch>
          <node name="cam" type="source">
            <param name="input" value="x"/>
            <output name="image" endpoint="udp://127.0.0.1:5000"/>
          </node>
        </launch>
        """, "DIR/main.launch:4: node '/cam': output 'image': endpoint must be ipc://PATH or tcp://HOST:PORT, got udp://127.0.0.1:5000"),
    InvalidCase("unknown port", """
        <launch>
          <node name="cam" type="source">
            <param name="input" value="x"/>
            <output name="frames" endpoint="tcp://127.0.0.1:5000"/>
          </node>
        </launch>
        """, "DIR/main.launch:4: node '/cam': type 'source' has no output 'frames' (outputs: image)"),
    InvalidCase("program not found", "<launch>\n  <node name=\"x\" type=\"exec\" exec=\"no-such-program-vlt\"/>\n</launch>\n",
                "DIR/main.launch:2: node '/x': program 'no-such-program-vlt' not found in PATH"),
    InvalidCase("bad condition", "<launch>\n  <node name=\"x\" type=\"exec\" args=\"true\" if=\"maybe\"/>\n</launch>\n",
                "DIR/main.launch:2: if=\"maybe\" must be true or false"),
    InvalidCase("bad respawn_delay", "<launch>\n  <node name=\"x\" type=\"exec\" args=\"true\" respawn_delay=\"soon\"/>\n</launch>\n",
                "DIR/main.launch:2: respawn_delay=\"soon\" must be a number from 0 to 86400"),
    InvalidCase("outside topic, two subscribers", """
        <launch>
          <node name="a" type="exec" args="true"><input name="cmd" endpoint="tcp://127.0.0.1:5999"/></node>
          <node name="b" type="exec" args="true"><input name="cmd" endpoint="tcp://127.0.0.1:5998"/></node>
        </launch>
        """, "DIR/main.launch:3: topic '/cmd' is published from outside the launch; only one node may subscribe to it ('/a' and '/b')"),
    InvalidCase("include cycle", "<launch>\n  <include file=\"b.launch\"/>\n</launch>\n",
                more: ["b.launch": "<launch>\n\n  <include file=\"$(dirname)/main.launch\"/>\n</launch>\n"],
                "DIR/b.launch:3: include cycle: main.launch -> b.launch -> main.launch"),
    InvalidCase("include of a missing file", "<launch>\n  <include file=\"nope.launch\"/>\n</launch>\n",
                "DIR/main.launch:2: DIR/nope.launch: no such launch file"),
    InvalidCase("include passes an undeclared arg",
                "<launch>\n  <include file=\"cam.launch\">\n    <arg name=\"inptu\" value=\"x\"/>\n  </include>\n</launch>\n",
                more: ["cam.launch": "<launch>\n  <arg name=\"input\" default=\"y\"/>\n</launch>\n"],
                "DIR/main.launch:3: include passes arg 'inptu' that DIR/cam.launch does not declare"),
    InvalidCase("included file leaves an arg without value", "<launch>\n  <include file=\"cam.launch\"/>\n</launch>\n",
                more: ["cam.launch": "<launch>\n  <arg name=\"input\"/>\n</launch>\n"],
                "DIR/cam.launch:2: arg 'input' has no value (pass it with <arg name=\"input\" value=…/> in the include)"),
    InvalidCase("error inside an included file keeps its own file:line",
                "<launch>\n  <include file=\"cam.launch\"/>\n</launch>\n",
                more: ["cam.launch": "<launch>\n\n\n  <node name=\"c\" type=\"camera\"/>\n</launch>\n"],
                "DIR/cam.launch:4: node '/c': unknown node type 'camera' (known: detect, exec, ground, record, source, video, vqa)"),
]

@Suite struct InvalidLaunchTests {
    @Test(arguments: invalidCases)
    func rejected(_ c: InvalidCase) throws {
        let files = try LaunchFiles(c.files)
        #expect(files.errorText(c.overrides) == c.expected)
    }

    @Test func validationReportsEveryProblem() throws {
        let files = try LaunchFiles(["main.launch": """
            <launch>
              <node name="a" type="cam"/>
              <node name="b" type="exec" args="true"><input name="x" type="vlm/Frame"/></node>
            </launch>
            """])
        let text = try #require(files.errorText())
        #expect(text.split(separator: "\n").count == 2)
        #expect(text.contains("DIR/main.launch:2: node '/a': unknown node type 'cam'"))
        #expect(text.contains("DIR/main.launch:3: node '/b': input 'x' subscribes to '/x' (vlm/Frame) but nothing publishes it"))
    }

    @Test func overrideSyntax() throws {
        #expect(throws: LaunchError.self) { try LaunchLoader.parseOverrides(["camera=1"]) }
        #expect(throws: LaunchError.self) { try LaunchLoader.parseOverrides(["a:=1", "a:=2"]) }
        #expect(try LaunchLoader.parseOverrides(["camera:=/dev/video1", "q:=a:=b"]) == ["camera": "/dev/video1", "q": "a:=b"])
    }
}
