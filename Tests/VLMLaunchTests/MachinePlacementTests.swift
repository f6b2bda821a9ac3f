import Foundation
import Testing
import TestSupport
import VLMLaunch
import VLMNode

/// `<machine>` and `machine=`: placement, inheritance, and how topics between machines are wired
/// (no network needed: the graph only).
@Suite struct MachinePlacementTests {
    static let file = """
        <launch>
          <machine name="here" address="127.0.0.1"/>
          <machine name="ws" address="192.0.2.7" user="robot" port="2222" vlmnode="/opt/vlmnode/bin/vlmnode"/>
          <machine name="gpu" address="gpu.example" env-loader="/opt/env.sh"/>
          <node name="camera" type="source">
            <param name="input" value="lavfi:testsrc"/>
          </node>
          <group ns="perception" machine="ws">
            <remap from="camera/image" to="/camera/image"/>
            <node name="detector" type="detect">
              <param name="queries" value="cup"/>
            </node>
            <node name="a" type="exec" args="true">
              <output name="o" topic="/ws_only" type="vlm/Text"/>
            </node>
            <node name="b" type="exec" args="true">
              <input name="i" topic="/ws_only" type="vlm/Text"/>
            </node>
          </group>
          <node name="ctl" type="exec" args="true" machine="here">
            <input name="detections" topic="/perception/detections" type="vlm/Detections"/>
          </node>
          <include file="$(dirname)/logger.launch" machine="gpu"/>
        </launch>
        """
    static let logger = """
        <launch>
          <node name="logger" type="exec" args="true">
            <input name="detections" topic="/perception/detections" type="vlm/Detections"/>
          </node>
        </launch>
        """

    static func load() throws -> LaunchGraph {
        let files = try LaunchFiles(["main.launch": file, "logger.launch": logger])
        let paths = LaunchPaths(file: files.main, launchID: "t", environment: files.environment)
        return try LaunchLoader.load(file: files.main, paths: paths, environment: files.environment, tcpPortBase: 41000)
    }

    @Test func nodesRunWhereTheirMachineSaysInheritedThroughGroupsAndIncludes() throws {
        let graph = try Self.load()
        #expect(graph.machines.map(\.name) == ["here", "ws", "gpu"])
        let detector = try #require(graph.node("/perception/detector"))
        #expect(detector.machine?.name == "ws" && detector.isRemote)
        #expect(graph.node("/perception/b")?.isRemote == true)
        #expect(graph.node("/logger")?.machine?.name == "gpu")
        #expect(graph.node("/logger")?.isRemote == true)
        // A machine at a loopback (or this host's) address runs its nodes here, without ssh.
        #expect(graph.node("/ctl")?.machine?.name == "here")
        #expect(graph.node("/ctl")?.isRemote == false)
        #expect(graph.node("/camera")?.machine == nil)
        let ws = try #require(graph.machines.first { $0.name == "ws" })
        #expect(ws.destination == "robot@192.0.2.7" && ws.port == 2222 && ws.vlmnode == "/opt/vlmnode/bin/vlmnode")
    }

    @Test func topicsBetweenMachinesAreCurveTCPAndSameHostTopicsStayIPC() throws {
        let graph = try Self.load()
        let camera = try #require(graph.node("/camera")), detector = try #require(graph.node("/perception/detector"))
        let ctl = try #require(graph.node("/ctl")), logger = try #require(graph.node("/logger"))
        // Published on the launcher's host: bound on every interface (CURVE), reached from ws at the
        // address its ssh session came from.
        #expect(camera.outputs["image"]?.endpoint == "tcp://0.0.0.0:41000")
        #expect(detector.inputs["image"]?.endpoint == "tcp://@VLMNODE_LAUNCHER_ADDRESS@:41000")
        #expect(camera.outputs["image"]?.security == PortSecurity(identity: graph.socketDirectory + "/keys/launcher-host.key",
                                                                  authorized: graph.socketDirectory + "/keys/authorized-launcher-host"))
        #expect(detector.inputs["image"]?.security == PortSecurity(identity: "@VLMNODE_KEYS@/ws.key",
                                                                   serverKey: "@VLMNODE_KEYS@/launcher-host.pub"))
        // Published on ws: bound on ws's address, reached there from here and from gpu.
        #expect(detector.outputs["detections"]?.endpoint == "tcp://192.0.2.7:41001")
        #expect(ctl.inputs["detections"]?.endpoint == "tcp://192.0.2.7:41001")
        #expect(logger.inputs["detections"]?.endpoint == "tcp://192.0.2.7:41001")
        #expect(logger.inputs["detections"]?.security?.serverKey == "@VLMNODE_KEYS@/ws.pub")
        #expect(ctl.inputs["detections"]?.security?.identity == graph.socketDirectory + "/keys/launcher-host.key")
        // Both ends on ws: ipc in the launch's directory on ws, no CURVE.
        #expect(graph.node("/perception/a")?.outputs["o"]?.endpoint == "ipc:///@VLMNODE_RUN@/ws_only.sock")
        #expect(graph.node("/perception/b")?.inputs["i"]?.endpoint == "ipc:///@VLMNODE_RUN@/ws_only.sock")
        #expect(graph.node("/perception/b")?.inputs["i"]?.security == nil)
        // Keys: a pair per host on a crossing topic; each publisher admits exactly its subscribers' hosts.
        #expect(graph.keyPlan.hosts == ["launcher-host", "ws", "gpu"])
        #expect(graph.keyPlan.authorized == ["launcher-host": ["ws"], "ws": ["launcher-host", "gpu"]])
    }

    @Test func theGraphShowsPlacementAndCurveLinks() throws {
        let text = GraphRender.text(try Self.load())
        #expect(text.contains("machines:\n  here 127.0.0.1 (this host)\n  ws robot@192.0.2.7 port 2222 (ssh)\n  gpu gpu.example (ssh)\n"), "\(text)")
        #expect(text.contains("  /perception/detector [detect] on ws (ssh)\n"), "\(text)")
        #expect(text.contains("  /ctl [exec] on here\n"), "\(text)")
        #expect(text.contains("    out detections -> /perception/detections [vlm/Detections] bound at tcp://192.0.2.7:41001 (CURVE)\n"), "\(text)")
        #expect(text.contains("  /perception/detections [vlm/Detections] tcp://192.0.2.7:41001 (CURVE, crosses machines): /perception/detector -> "), "\(text)")
    }

    @Test func sshCommandsNeverTakeTheNodeOnTheirCommandLine() throws {
        let ws = try #require(try Self.load().machines.first { $0.name == "ws" })
        let argv = SSHSettings(configFile: "/etc/cfg").argv(for: ws, remote: SSHSettings.remoteCommand(ws))
        #expect(argv == ["ssh", "-T", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "ServerAliveInterval=5",
                         "-o", "ServerAliveCountMax=2", "-F", "/etc/cfg", "-p", "2222", "-l", "robot", "--", "192.0.2.7",
                         "/opt/vlmnode/bin/vlmnode", "remote-node"])
        let gpu = try #require(try Self.load().machines.first { $0.name == "gpu" })
        #expect(SSHSettings.remoteCommand(gpu) == ["/opt/env.sh", "vlmnode", "remote-node"])
    }

    /// `--check --offline`: the shipped robot + workstation file validates and shows where each
    /// node runs, without reaching the workstation.
    @Test func robotWorkstationChecksOffline() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Launch/robot_workstation.launch").path
        let r = TwoHostNetwork.run([VLMNodeBinary.url.path, "launch", "--check", "--offline", file, "workstation:=192.0.2.7"], timeout: 60)
        #expect(r.status == 0, "\(r.output)")
        #expect(r.output.contains("machines:\n  workstation "), "\(r.output)")
        #expect(r.output.contains("  /detector [detect] on workstation (ssh) "), "\(r.output)")
        #expect(r.output.contains("    command: vlmnode node detect\n"), "\(r.output)")
        #expect(r.output.contains("  /camera/image [vlm/Frame] tcp://127.0.0.1:47100 (CURVE, crosses machines): /camera -> /detector"), "\(r.output)")
        #expect(r.output.contains("  /detections [vlm/Detections] tcp://192.0.2.7:47101 (CURVE, crosses machines): /detector -> /controller"), "\(r.output)")
        #expect(!r.output.contains("reachable"))
        let bad = TwoHostNetwork.run([VLMNodeBinary.url.path, "launch", "--check", "--offline", file, "workstation:=-oProxyCommand=x"], timeout: 60)
        #expect(bad.status == 1)
        #expect(bad.output.contains("robot_workstation.launch:20: machine 'workstation': address=\"-oProxyCommand=x\" is not a host name or IP address"), "\(bad.output)")
    }
}
