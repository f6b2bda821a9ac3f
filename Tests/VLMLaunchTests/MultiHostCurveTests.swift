import Foundation
import Testing
import TestSupport
import VLMNode

/// The robot + workstation graph across two network namespaces: a camera (lavfi source) on A, a
/// detector (tiny OWL-ViT) on B started over ssh, a Python controller on A. Frames go A -> B and
/// detections B -> A over CURVE tcp with keys the launch generated; a capture on the veth finds
/// no header text (and does find it in a plain-tcp control run over the same link).
@Suite(.serialized) struct MultiHostCurveTests {
    static let controller = """
        import json, os, sys, zmq, zmq.auth
        w = json.loads(os.environ["VLMNODE_WIRING"])
        d = w["inputs"]["detections"]
        sec = d.get("security") or {}
        s = zmq.Context().socket(zmq.SUB)
        if sec:
            s.curve_publickey, s.curve_secretkey = zmq.auth.load_certificate(sec["identity"])
            s.curve_serverkey, _ = zmq.auth.load_certificate(sec["server_key"])
        s.setsockopt(zmq.SUBSCRIBE, d["topic"].encode())
        s.connect(d["endpoint"])
        print("controller", "curve" if sec else "plain", d["endpoint"], flush=True)
        n = 0
        while True:
            frames = s.recv_multipart()
            n += 1
            header = json.loads(frames[1])
            if n <= 3:
                print("controller got", frames[0].decode(), header.get("type"), flush=True)
            if n == 3:
                print("CONTROLLER OK", flush=True)
        """

    static func launchFile(_ net: TwoHostNetwork) -> String {
        """
        <launch>
          \(MultiHostLaunchTests.machine(net))
          <node name="camera" type="source">
            <param name="input" value="lavfi:testsrc=size=128x96:rate=5"/>
          </node>
          <group machine="b">
            <node name="detector" type="detect">
              <param name="model" value="\(Fixtures.url("models/owlvit-tiny-old").path)"/>
              <param name="queries" value="cat, dog"/>
              <param name="threshold" value="0.0"/>
            </node>
          </group>
          <node name="controller" type="exec" exec="python3" args="$(dirname)/controller.py" required="true">
            <input name="detections" topic="/detections" type="vlm/Detections"/>
          </node>
        </launch>
        """
    }

    /// tcpdump on A's end of the veth while `body` runs; the capture, or nil when tcpdump cannot run.
    static func capture(_ net: TwoHostNetwork, name: String, _ body: () throws -> Void) rethrows -> Data? {
        let candidates: [String] = ["/usr/bin/tcpdump", "/usr/sbin/tcpdump"]
        guard let tcpdump = candidates.first(where: { access($0, X_OK) == 0 }) else { return nil }
        let file = net.directory.appendingPathComponent("\(name).pcap").path
        let log = net.directory.appendingPathComponent("\(name).tcpdump.log").path
        guard let pid = TwoHostNetwork.spawn(["/usr/sbin/ip", "netns", "exec", net.nsA, tcpdump, "-i", net.vethA,
                                              "--immediate-mode", "-U", "-s", "0", "-w", file, "tcp"], output: log) else { return nil }
        defer {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        }
        let listening = poll(timeout: 10) { ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("listening on") }
        guard listening else { return nil }
        try body()
        sleep(1)
        return FileManager.default.contents(atPath: file)
    }

    static let needles = ["vlm/Frame", "\"stamp_ns\"", "/camera/image"].map { Data($0.utf8) }

    @Test func cameraOnADetectorOnBControllerOnAOverCurve() throws {
        guard let net = try MultiHostLaunchTests.network() else { return }
        defer { net.tearDown() }
        let files = try LaunchFiles(["main.launch": Self.launchFile(net), "controller.py": Self.controller])
        var launcher: RunningLauncher?
        defer {
            if let l = launcher, l.process.isRunning { kill(l.pid, SIGKILL); _ = l.waitExit(timeout: 5) }
        }
        var exitStatus: Int32?, elapsed = 0.0
        let portBase = Int.random(in: 30000...39000)  // /camera/image, the first topic by name, gets this port
        let sealed = try Self.capture(net, name: "curve") {
            let l = try MultiHostLaunchTests.launch(net, files.main, portBase: portBase)
            launcher = l
            let ok = poll(timeout: 120) { l.stdout.contains("CONTROLLER OK") || !l.process.isRunning }
            #expect(ok && l.stdout.contains("CONTROLLER OK"), "stdout: \(l.stdout)\nstderr: \(l.stderr)")
            #expect(l.stdout.contains("[controller] controller curve tcp://\(net.addressB):"), "\(l.stdout)")
            #expect(l.stdout.contains("[controller] controller got /detections vlm/Detections"), "\(l.stdout)")
            #expect(l.stderr.contains("topic /camera/image (vlm/Frame) at tcp://"), "\(l.stderr)")
            #expect(!net.processesInB().isEmpty)
            // The detector's keys went over ssh's stdin: not on its command line, not in its environment.
            if let ssh = l.nodePID("/detector") {
                let seen = ["cmdline", "environ"].map { (try? String(contentsOfFile: "/proc/\(ssh)/\($0)", encoding: .utf8)) ?? "" }
                #expect(seen[0].contains("remote-node"))
                #expect(!seen.contains { $0.contains("secret-key") || $0.contains("VLMNODE_WIRING") })
            }
            // A subscriber on B without the launch's keys gets nothing from the camera, and is counted.
            let stranger = net.inB([VLMNodeBinary.url.path, "topic", "echo", "/camera/image", "--connect",
                                    "tcp://\(net.addressA):\(portBase)", "--count", "1", "--timeout", "2"], timeout: 30)
            #expect(stranger.status != 0 && stranger.output.contains("no message on /camera/image"), "\(stranger.output)")
            let start = Date()
            l.signal(SIGINT)
            exitStatus = l.waitExit(timeout: 10)
            elapsed = Date().timeIntervalSince(start)
            let clean = poll(timeout: max(0.1, 3 - elapsed)) { net.processesInB().isEmpty }
            #expect(clean, "left in B 3 s after SIGINT: \(net.processesInB())")
        }
        // The camera's summary at its stop counts the stranger.
        let summary = launcher?.stdout.split(separator: "\n").first { $0.hasPrefix("[camera] published ") } ?? ""
        #expect(summary.contains(", CURVE: ") && !summary.contains(" accepted, 0 refused"), "\(launcher?.stdout ?? "")")
        print("multi-host launch: SIGINT to exit \(String(format: "%.2f", elapsed)) s")
        #expect(exitStatus == 0, "stderr: \(launcher?.stderr ?? "")")
        #expect(elapsed < 3, "the launch took \(elapsed) s to end after SIGINT")
        // The launch's keys went with it: nothing secret is left on either side.
        let leftovers = (try? FileManager.default.subpathsOfDirectory(atPath: net.remoteRuntime)) ?? []
        #expect(!leftovers.contains { $0.hasSuffix(".key") }, "\(leftovers)")

        guard let sealed else {
            print("skipped: capture part: tcpdump cannot capture on the veth here")
            return
        }
        #expect(sealed.count > 20_000, "captured only \(sealed.count) bytes")
        for needle in Self.needles {
            #expect(sealed.range(of: needle) == nil, "\(String(decoding: needle, as: UTF8.self)) crossed the veth in plaintext")
        }
        // The control: a plain (--insecure) tcp publisher on A read from B over the same veth puts
        // the header text on the wire, so the search above can fail.
        let port = Int.random(in: 40000...49000)
        let plain = try Self.capture(net, name: "plain") {
            let log = net.directory.appendingPathComponent("plain-source.log").path
            guard let source = TwoHostNetwork.spawn(["/usr/sbin/ip", "netns", "exec", net.nsA, VLMNodeBinary.url.path, "source",
                                                     "lavfi:testsrc=size=64x48:rate=30", "--frames", "900", "--insecure",
                                                     "--bind", "tcp://\(net.addressA):\(port)"], output: log) else { return }
            defer {
                kill(source, SIGKILL)
                var status: Int32 = 0
                while waitpid(source, &status, 0) < 0 && errno == EINTR {}
            }
            let echo = net.inB([VLMNodeBinary.url.path, "topic", "echo", "/camera/image", "--connect",
                                "tcp://\(net.addressA):\(port)", "--count", "2", "--timeout", "10"], timeout: 30)
            #expect(echo.status == 0 && echo.output.contains("vlm/Frame"), "\(echo.output)")
        }
        let control = try #require(plain)
        #expect(Self.needles.allSatisfy { control.range(of: $0) != nil }, "the plain capture lacks the header text (\(control.count) bytes)")
    }

    /// The shipped robot + workstation file, as a user would start it on the robot: the example
    /// controller gets detections from the workstation over CURVE; SIGINT ends it cleanly.
    @Test func shippedRobotWorkstationLaunchRunsAcrossTheTwoHosts() throws {
        guard let net = try MultiHostLaunchTests.network() else { return }
        defer { net.tearDown() }
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Launch/robot_workstation.launch").path
        let launcher = try RunningLauncher(
            file: file,
            arguments: ["workstation:=\(net.addressB)", "user:=root", "ws_vlmnode:=\(VLMNodeBinary.url.path)",
                        "camera:=lavfi:testsrc=size=128x96:rate=5", "size:=128x96", "fps:=5",
                        "model:=\(Fixtures.url("models/owlvit-tiny-old").path)",
                        "--ssh-config", net.sshConfig, "--tcp-port-base", String(Int.random(in: 30000...39000))],
            runtime: net.directory.path + "/rt-a", wrapper: ["/usr/sbin/ip", "netns", "exec", net.nsA])
        defer { if launcher.process.isRunning { kill(launcher.pid, SIGKILL); _ = launcher.waitExit(timeout: 5) } }
        let ok = poll(timeout: 120) { launcher.stdout.contains("[controller] frame ") || !launcher.process.isRunning }
        #expect(ok && launcher.stdout.contains("[controller] frame "), "stdout: \(launcher.stdout)\nstderr: \(launcher.stderr)")
        let start = Date()
        launcher.signal(SIGINT)
        #expect(launcher.waitExit(timeout: 10) == 0, "\(launcher.stderr)")
        #expect(Date().timeIntervalSince(start) < 3)
        #expect(poll(timeout: 3) { net.processesInB().isEmpty }, "\(net.processesInB())")
    }
}
