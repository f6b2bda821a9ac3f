import Foundation
import Testing
import TestSupport

/// `vlmnode launch` and `vlmnode graph` on bad input: one line, non-zero exit, nothing started.
@Suite struct LaunchCLITests {
    static let broken: [(name: String, text: String?, args: [String], expected: String)] = [
        ("missing file", nil, [], "vlmnode: DIR/main.launch: no such launch file"),
        ("bad XML", "<launch>\n  <node name=\"m\" type=\"exec\" args=\"touch MARKER\"/>\n  <node name=\"x\" type=\"exec\" args=\"true\">\n</launch>\n", [],
         "vlmnode: DIR/main.launch:4:10: malformed XML: closing tag does not match <node> opened at line 3"),
        ("unknown node type", "<launch>\n  <node name=\"m\" type=\"exec\" args=\"touch MARKER\"/>\n  <node name=\"d\" type=\"detektor\"/>\n</launch>\n", [],
         "vlmnode: DIR/main.launch:3: node '/d': unknown node type 'detektor' (known: detect, exec, ground, record, source, video, view, vqa)"),
        ("arg with no value", "<launch>\n  <arg name=\"camera\"/>\n  <node name=\"m\" type=\"exec\" args=\"touch MARKER\"/>\n</launch>\n", [],
         "vlmnode: DIR/main.launch:2: arg 'camera' has no value (set it with camera:=VALUE)"),
        ("unknown arg", "<launch>\n  <node name=\"m\" type=\"exec\" args=\"touch MARKER\"/>\n</launch>\n", ["camera:=x"],
         "vlmnode: DIR/main.launch: unknown arg 'camera' given on the command line (it declares none)"),
        ("bad override", "<launch>\n  <node name=\"m\" type=\"exec\" args=\"touch MARKER\"/>\n</launch>\n", ["camera=x"],
         "vlmnode: 'camera=x' is not an arg override (write name:=value)"),
    ]

    @Test(arguments: 0..<broken.count)
    func launchRefuses(_ index: Int) throws {
        let c = Self.broken[index]
        let dir = try makeTemporaryDirectory("launch-cli")
        let file = dir.appendingPathComponent("main.launch")
        let marker = dir.appendingPathComponent("MARKER")
        if let text = c.text {
            try text.replacingOccurrences(of: "MARKER", with: marker.path).write(to: file, atomically: true, encoding: .utf8)
        }
        let runtime = dir.appendingPathComponent("run").path
        for command in ["launch", "graph"] {
            let result = try VLMNodeBinary.run([command, file.path] + c.args, environment: ["VLMNODE_RUNTIME_DIR": runtime], timeout: 20)
            #expect(result.status == 1, "\(command): \(c.name)")
            #expect(result.stdout.isEmpty)
            #expect(result.stderr.replacingOccurrences(of: dir.path, with: "DIR") == c.expected + "\n", "\(command): \(c.name)")
        }
        #expect(!FileManager.default.fileExists(atPath: marker.path))
        #expect(!FileManager.default.fileExists(atPath: runtime))
    }

    @Test func checkPrintsTheGraphAndStartsNothing() throws {
        let dir = try makeTemporaryDirectory("launch-cli")
        let marker = dir.appendingPathComponent("MARKER")
        let file = dir.appendingPathComponent("main.launch")
        try """
            <launch>
              <node name="cam" type="source"><param name="input" value="lavfi:testsrc"/></node>
              <node name="m" type="exec" args="touch \(marker.path)"><input name="frames" topic="camera/image" type="vlm/Frame"/></node>
            </launch>
            """.write(to: file, atomically: true, encoding: .utf8)
        let env = ["VLMNODE_RUNTIME_DIR": dir.appendingPathComponent("run").path]
        let check = try VLMNodeBinary.run(["launch", "--check", file.path], environment: env)
        #expect(check.status == 0)
        #expect(check.stdout.contains("launch \(file.path): 2 nodes, 1 topic\n"))
        #expect(check.stdout.contains("  /camera/image [vlm/Frame] ipc://"))
        #expect(check.stdout.contains(": /cam -> /m\n"))
        let dot = try VLMNodeBinary.run(["graph", "--dot", file.path], environment: env)
        #expect(dot.status == 0)
        #expect(dot.stdout.hasPrefix("digraph "))
        #expect(dot.stdout.contains("\"t:/camera/image\" -> \"n:/m\";"))
        #expect(!FileManager.default.fileExists(atPath: marker.path))
    }
}
