import Foundation
import Testing
import TestSupport
import VLMBus
import VLMMessages

private let repository = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()
private let examples = repository.appendingPathComponent("Examples/python")

private let pythonHasSDKDeps: Bool = {
    (try? runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", "import zmq, numpy, pytest"], timeout: 30))?.status == 0
}()

/// The Python SDK (python/): its unit tests, and Python nodes in a launch graph beside built-in ones.
@Suite(.serialized) struct PythonSDKTests {
    /// python/tests run here so `swift test` (the README's test command) runs them; CI installs
    /// pytest, pyzmq and numpy through Scripts/setup.sh.
    @Test func pythonSDKUnitTestsPass() throws {
        #expect(pythonHasSDKDeps, "python3 needs pyzmq, numpy and pytest: run Scripts/setup.sh")
        var env = ProcessInfo.processInfo.environment
        env["PYTHONPATH"] = repository.appendingPathComponent("python").path
        let r = try runProcess(URL(fileURLWithPath: "/usr/bin/env"),
                               ["python3", "-m", "pytest", "-q", "-p", "no:cacheprovider", repository.appendingPathComponent("python/tests").path],
                               environment: env, timeout: 300)
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains(" passed"), "\(r.stdout)")
    }

    /// Python camera node -> built-in `detect` node -> Python controller, and a Python colour
    /// detector beside them whose vlm/Detections decode as the built-in node's do.
    @Test(.enabled(if: pythonHasSDKDeps, "python3 lacks pyzmq/numpy/pytest"))
    func pythonNodesRunInALaunchGraph() throws {
        let dir = try makeTemporaryDirectory("py-graph")
        let launch = dir.appendingPathComponent("graph.launch")
        try """
        <launch>
          <node name="camera" type="exec" exec="python3" args="\(examples.path)/synthetic_camera.py">
            <output name="image" topic="/camera/image" type="vlm/Frame"/>
          </node>
          <node name="detector" type="detect">
            <param name="queries" value="a red disc, a blue bar"/>
            <param name="model" value="\(Fixtures.url("models/owlvit-tiny-old").path)"/>
            <param name="threshold" value="0"/>
            <output name="detections" endpoint="ipc://\(dir.path)/det.sock"/>
          </node>
          <node name="color" type="exec" exec="python3" args="\(examples.path)/color_detector.py">
            <param name="colors" value="red, green"/>
            <input name="image" topic="/camera/image" type="vlm/Frame"/>
            <output name="detections" topic="/color/detections" type="vlm/Detections" endpoint="ipc://\(dir.path)/color.sock"/>
          </node>
          <node name="controller" type="exec" exec="python3" args="\(examples.path)/detections_controller.py --count 3" required="true">
            <input name="detections" topic="/detections" type="vlm/Detections"/>
          </node>
        </launch>
        """.write(to: launch, atomically: true, encoding: .utf8)
        let color = try Subscriber(connect: "ipc://\(dir.path)/color.sock", topic: "/color/detections", qos: .queue(capacity: 100))
        let builtIn = try Subscriber(connect: "ipc://\(dir.path)/det.sock", topic: "/detections", qos: .queue(capacity: 100))
        let log = dir.appendingPathComponent("launch.log")
        let launcher = try VLMNodeBinary.start(["launch", launch.path, "--log-dir", dir.appendingPathComponent("logs").path], log: log)
        let running = RunningProcesses([launcher], dir: dir)
        defer { withExtendedLifetime(running) {} }
        let launchLog = { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

        let fromPython = try #require(color.receive(timeout: 60), "no colour detections: \(launchLog())")
        let fromSwift = try #require(builtIn.receive(timeout: 60), "no detections from the detect node: \(launchLog())")
        let py = try DetectionsMessage(message: fromPython)
        let swift = try DetectionsMessage(message: fromSwift)
        #expect(py.queries == ["red", "green"] && swift.queries == ["a red disc", "a blue bar"])
        let red = try #require(py.detections.first { $0.label == "red" }, "\(py)")
        #expect(red.box.count == 4 && red.box[2] > red.box[0] && red.box[3] - red.box[1] >= 20, "\(red.box)")
        #expect(!py.detections.contains { $0.label == "green" })
        // Stamped like the built-in node's results: the same standard and stamp fields.
        for h in [fromPython.header, fromSwift.header] {
            #expect(h.sourceSeq != nil && h.sourceStampNs != nil)
            #expect(ResultStamp(header: h).latencyMs != nil && ResultStamp(header: h).framesReceived != nil)
        }
        let missing = Set(fromSwift.header.fields.keys).subtracting(fromPython.header.fields.keys).subtracting(["inference_ms"])
        #expect(missing.isEmpty, "the Python result lacks \(missing)")

        // The required controller exits after 3 results, which ends the launch.
        let deadline = Date(timeIntervalSinceNow: 90)
        while launcher.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.2) }
        #expect(!launcher.isRunning, "launch still running: \(launchLog())")
        let lines = launchLog().split(separator: "\n").filter { $0.hasPrefix("[controller] frame ") }
        #expect(lines.count == 3 && lines.allSatisfy { $0.contains("| a red disc: ") }, "\(launchLog())")
    }
}
