import Foundation
import Testing
import TestSupport
import VLMNode

/// Launches across two network namespaces (TwoHostNetwork): the launcher in A, nodes placed on
/// machine "b" started over ssh into B. Skipped, with the reason, where namespaces or sshd are
/// not available.
@Suite(.serialized) struct MultiHostLaunchTests {
    /// The network, or nil after printing why the test is skipped.
    static func network() throws -> TwoHostNetwork? {
        do {
            return try TwoHostNetwork()
        } catch let unavailable as TwoHostNetwork.Unavailable {
            print("skipped: \(unavailable.description)")
            return nil
        }
    }

    static func machine(_ net: TwoHostNetwork) -> String {
        "<machine name=\"b\" address=\"\(net.addressB)\" user=\"root\" port=\"\(net.sshPort)\" vlmnode=\"\(VLMNodeBinary.url.path)\"/>"
    }

    static func launch(_ net: TwoHostNetwork, _ file: String, portBase: Int = Int.random(in: 30000...39000)) throws -> RunningLauncher {
        try RunningLauncher(file: file, arguments: ["--ssh-config", net.sshConfig, "--tcp-port-base", String(portBase)],
                            runtime: net.directory.path + "/rt-a", wrapper: ["/usr/sbin/ip", "netns", "exec", net.nsA])
    }

    /// The network namespace of a process started in `ns` (`net:[inode]`).
    static func namespaceID(_ net: TwoHostNetwork, inB: Bool) -> String {
        let argv = ["/bin/readlink", "/proc/self/ns/net"]
        return (inB ? net.inB(argv) : net.inA(argv)).output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func remoteNodeRunsInTheOtherHostAndSIGINTEndsBothWithin3s() throws {
        guard let net = try Self.network() else { return }
        defer { net.tearDown() }
        let files = try LaunchFiles(["main.launch": """
            <launch>
              \(Self.machine(net))
              <node name="near" type="exec" args="sh -c 'echo near $$(readlink /proc/self/ns/net); exec sleep 60'"/>
              <node name="far" type="exec" machine="b"
                    args="sh -c 'echo far $$(readlink /proc/self/ns/net) $$VLMNODE_NAME; exec sleep 60'"/>
            </launch>
            """])
        let launcher = try Self.launch(net, files.main)
        defer { if launcher.process.isRunning { kill(launcher.pid, SIGKILL); _ = launcher.waitExit(timeout: 5) } }
        let nsB = Self.namespaceID(net, inB: true), nsA = Self.namespaceID(net, inB: false)
        #expect(nsA != nsB)
        let up = poll(timeout: 60) { launcher.stdout.contains("[far] far") && launcher.stdout.contains("[near] near") }
        #expect(up, "stdout: \(launcher.stdout)\nstderr: \(launcher.stderr)")
        guard up else { return }
        #expect(launcher.stdout.contains("[far] far \(nsB) /far"), "\(launcher.stdout)")
        #expect(launcher.stdout.contains("[near] near \(nsA)"), "\(launcher.stdout)")
        #expect(!net.processesInB().isEmpty)

        // The ssh client carries no wiring in its command line or environment.
        if let ssh = launcher.nodePID("/far") {
            let cmdline = (try? String(contentsOfFile: "/proc/\(ssh)/cmdline", encoding: .utf8)) ?? ""
            let environ = (try? String(contentsOfFile: "/proc/\(ssh)/environ", encoding: .utf8)) ?? ""
            #expect(cmdline.contains("remote-node"), "\(cmdline)")
            #expect(!environ.contains("VLMNODE_WIRING") && !cmdline.contains("VLMNODE_WIRING"))
        } else {
            Issue.record("no pid for /far in the graph file")
        }

        let start = Date()
        launcher.signal(SIGINT)
        let status = launcher.waitExit(timeout: 10)
        let elapsed = Date().timeIntervalSince(start)
        #expect(status == 0, "stderr: \(launcher.stderr)")
        #expect(elapsed < 3, "launcher took \(elapsed) s")
        let clean = poll(timeout: max(0.1, 3 - elapsed)) { net.processesInB().isEmpty }
        #expect(clean, "left in B 3 s after SIGINT: \(net.processesInB())")
    }

    @Test func killingTheSSHClientEndsTheRemoteNodeAndRespawnStartsANewOne() throws {
        guard let net = try Self.network() else { return }
        defer { net.tearDown() }
        let files = try LaunchFiles(["main.launch": """
            <launch>
              \(Self.machine(net))
              <node name="far" type="exec" machine="b" respawn="true" respawn_delay="0.5"
                    args="sh -c 'echo far up $$$$; exec sleep 60'"/>
            </launch>
            """])
        let launcher = try Self.launch(net, files.main)
        defer { if launcher.process.isRunning { kill(launcher.pid, SIGKILL); _ = launcher.waitExit(timeout: 5) } }
        let up = poll(timeout: 60) { launcher.stdout.contains("[far] far up") }
        #expect(up, "stdout: \(launcher.stdout)\nstderr: \(launcher.stderr)")
        guard up, let ssh = launcher.nodePID("/far") else { return }
        let first = net.processesInB().map(\.pid)
        #expect(!first.isEmpty)
        kill(ssh, SIGKILL)
        // The link is gone, so the remote side ends the node (and its session) by itself.
        let gone = poll(timeout: 10) { Set(net.processesInB().map(\.pid)).isDisjoint(with: first) }
        #expect(gone, "still in B after the ssh client was killed: \(net.processesInB()) (first: \(first))")
        #expect(poll(timeout: 5) { launcher.stderr.contains("/far killed by signal 9 (SIGKILL); respawning in 0.5 s (1/10)") },
                "\(launcher.stderr)")
        // Supervised like a local node: respawned, over a new ssh connection.
        let again = poll(timeout: 30) { launcher.stdout.components(separatedBy: "[far] far up").count == 3 }
        #expect(again, "\(launcher.stdout)")
        launcher.signal(SIGINT)
        #expect(launcher.waitExit(timeout: 10) == 0, "\(launcher.stderr)")
        #expect(poll(timeout: 3) { net.processesInB().isEmpty }, "\(net.processesInB())")
    }

    /// A remote node that ignores SIGINT is killed on its machine before the launcher's deadline;
    /// the launch says so (exit 4) and still ends within 3 s.
    @Test func remoteNodeIgnoringSIGINTIsKilledThereWithinTheDeadline() throws {
        guard let net = try Self.network() else { return }
        defer { net.tearDown() }
        let files = try LaunchFiles(["main.launch": """
            <launch>
              \(Self.machine(net))
              <node name="stubborn" type="exec" machine="b"
                    args="sh -c 'trap &quot;&quot; INT TERM; echo stubborn up; while true; do sleep 0.1; done'"/>
            </launch>
            """])
        let launcher = try Self.launch(net, files.main)
        defer { if launcher.process.isRunning { kill(launcher.pid, SIGKILL); _ = launcher.waitExit(timeout: 5) } }
        let up = poll(timeout: 60) { launcher.stdout.contains("[stubborn] stubborn up") }
        #expect(up, "stdout: \(launcher.stdout)\nstderr: \(launcher.stderr)")
        guard up else { return }
        let start = Date()
        launcher.signal(SIGINT)
        let status = launcher.waitExit(timeout: 10)
        let elapsed = Date().timeIntervalSince(start)
        #expect(status == 4, "\(launcher.stderr)")
        // A node that ignores SIGINT is killed at the 3 s shutdown deadline by design, so the exit
        // lands just after 3 s; 4 s leaves room for a loaded machine (clean nodes: < 3 s, tested above).
        #expect(elapsed < 4, "took \(elapsed) s")
        #expect(launcher.stderr.contains("/stubborn exited with status 137"), "\(launcher.stderr)")
        #expect(poll(timeout: 2) { net.processesInB().isEmpty }, "\(net.processesInB())")
    }

    /// A launcher that dies without tearing down (SIGKILL): its guardian ends the ssh clients, so
    /// the remote side sees its stdin close and ends the node.
    @Test func sigkilledLauncherStillEndsTheRemoteNode() throws {
        guard let net = try Self.network() else { return }
        defer { net.tearDown() }
        let files = try LaunchFiles(["main.launch": """
            <launch>
              \(Self.machine(net))
              <node name="far" type="exec" machine="b" args="sh -c 'echo far up; exec sleep 60'"/>
            </launch>
            """])
        let launcher = try Self.launch(net, files.main)
        defer { if launcher.process.isRunning { kill(launcher.pid, SIGKILL); _ = launcher.waitExit(timeout: 5) } }
        let up = poll(timeout: 60) { launcher.stdout.contains("[far] far up") }
        #expect(up, "stdout: \(launcher.stdout)\nstderr: \(launcher.stderr)")
        guard up else { return }
        launcher.signal(SIGKILL)
        _ = launcher.waitExit(timeout: 5)
        #expect(poll(timeout: 10) { net.processesInB().isEmpty }, "left in B after the launcher was SIGKILLed: \(net.processesInB())")
    }

    @Test func checkReachesTheMachineAndComparesVersions() throws {
        guard let net = try Self.network() else { return }
        defer { net.tearDown() }
        let files = try LaunchFiles(["main.launch": """
            <launch>
              \(Self.machine(net))
              <machine name="nobin" address="\(net.addressB)" user="root" port="\(net.sshPort)" vlmnode="/nonexistent/vlmnode"/>
              <machine name="closed" address="\(net.addressB)" user="root" port="\(net.sshPort + 1)"/>
              <arg name="m" default="b"/>
              <node name="far" type="exec" machine="$(arg m)" args="true"/>
            </launch>
            """])
        func check(_ machine: String) -> (status: Int32?, output: String) {
            net.inA([VLMNodeBinary.url.path, "launch", "--check", files.main, "m:=\(machine)", "--ssh-config", net.sshConfig], timeout: 60)
        }
        let good = check("b")
        #expect(good.status == 0, "\(good.output)")
        #expect(good.output.contains("machine b: root@\(net.addressB) port \(net.sshPort) reachable, vlmnode "), "\(good.output)")
        let missing = check("nobin")
        #expect(missing.status == 1)
        #expect(missing.output.contains("main.launch:3: machine 'nobin': /nonexistent/vlmnode is not runnable on root@\(net.addressB)"),
                "\(missing.output)")
        let closed = check("closed")
        #expect(closed.status == 1)
        #expect(closed.output.contains("main.launch:4: machine 'closed': ssh root@\(net.addressB) port \(net.sshPort + 1) failed: "),
                "\(closed.output)")
        // --offline checks the file only.
        let offline = net.inA([VLMNodeBinary.url.path, "launch", "--check", "--offline", files.main, "m:=closed"], timeout: 60)
        #expect(offline.status == 0, "\(offline.output)")
    }
}
