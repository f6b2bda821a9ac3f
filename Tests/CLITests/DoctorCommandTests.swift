import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `vlmnode doctor`: every section, problems with their fix and exit status 0.
@Suite struct DoctorCommandTests {
    /// A listening loopback tcp socket on a free port, closed in deinit: a busy port.
    final class BusyPort {
        let fd: Int32
        let port: Int

        init() throws {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p -> Bool in
                    bind(fd, p, length) == 0 && listen(fd, 1) == 0 && getsockname(fd, p, &length) == 0
                }
            }
            guard bound else {
                close(fd)
                throw POSIXError(.EADDRINUSE)
            }
            self.fd = fd
            port = Int(UInt16(bigEndian: address.sin_port))
        }

        deinit { close(fd) }
    }

    @Test func sectionsProblemsAndFixes() throws {
        let dir = try makeTemporaryDirectory("doctor")
        let busy = try BusyPort()
        // A launch file that pins the busy port through an arg, found by name on VLMNODE_LAUNCH_PATH.
        try """
            <launch>
              <arg name="cmd_port" default="\(busy.port)" doc="where commands come in"/>
              <node name="ctl" type="exec" args="true">
                <output name="commands" type="vlm/Text" endpoint="tcp://127.0.0.1:$(arg cmd_port)"/>
              </node>
            </launch>
            """.write(to: dir.appendingPathComponent("robot.launch"), atomically: true, encoding: .utf8)
        let cache = dir.appendingPathComponent("no-such-cache")
        let env = ["HF_HUB_CACHE": cache.path, "VLMNODE_LAUNCH_PATH": dir.path, "HF_HUB_OFFLINE": "0",
                   "VLMNODE_RUNTIME_DIR": dir.appendingPathComponent("run").path, "VLMNODE_THREADS": "3"]
        let result = try VLMNodeBinary.run(["doctor"], environment: env, timeout: 60)
        #expect(result.status == 0, "problems are findings, not failures: \(result.stderr)")
        let out = result.stdout
        for section in ["vlmnode", "libraries", "cpu", "directories", "launch files", "models", "cameras", "ports", "summary"] {
            #expect(out.contains("\n== \(section) ==\n"), "section \(section)")
        }
        #expect(out.contains("  version "))
        for lib in ["libzmq", "libavcodec", "libavformat", "OpenBLAS"] {
            #expect(out.range(of: "\n  \(lib) +[^\n]*\\d+\\.\\d+", options: .regularExpression) != nil, "\(lib) version")
        }
        #expect(out.contains("threads") && out.contains("3 GEMM threads (VLMNODE_THREADS=3)"))
        #expect(out.contains("runtime") && out.contains(dir.appendingPathComponent("run").path))

        // CPU flags as /proc/cpuinfo has them (read here independently).
        let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let flags = Set((cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") } ?? "").split(separator: " ").map(String.init))
        for flag in ["avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16"] {
            let expected = flags.contains(flag) ? "yes" : "no"
            #expect(out.range(of: "\n  \(flag) +\(expected) ", options: .regularExpression) != nil, "\(flag) should be \(expected)")
        }

        // The missing cache, with its fix.
        #expect(out.contains("PROBLEM: the Hugging Face cache \(cache.path) does not exist"))
        #expect(out.contains("      fix: with network access, `vlmnode models pull"))
        // The busy port, with its fix naming the arg that moves it.
        #expect(out.contains("  tcp://127.0.0.1:\(busy.port)"))
        #expect(out.contains("PROBLEM: tcp://127.0.0.1:\(busy.port) (robot.launch) is busy\n"
                             + "      fix: stop the program holding it (`ss -ltnp 'sport = :\(busy.port)'` names it), or run with cmd_port:=\(busy.port + 1)\n"),
                "\(out)")
        #expect(out.contains("robot.launch") && out.contains("VLMNODE_LAUNCH_PATH: ok, 1 node"))
        #expect(out.contains("\n== summary ==\n  ") && out.contains("problems found:"))
    }

    @Test func aFreePortAndACachedModel() throws {
        let dir = try makeTemporaryDirectory("doctor")
        let port: Int
        do { let probe = try BusyPort(); port = probe.port }   // closed again: free now
        try """
            <launch>
              <node name="ctl" type="exec" args="true">
                <output name="commands" type="vlm/Text" endpoint="tcp://127.0.0.1:\(port)"/>
              </node>
            </launch>
            """.write(to: dir.appendingPathComponent("robot.launch"), atomically: true, encoding: .utf8)
        let hub = try FakeHub(repos: ["google/owlvit-base-patch32": Fixtures.url("models/owlvit-tiny-new")])
        let cache = try makeTemporaryDirectory("hf-cache")
        let env = ["HF_HUB_CACHE": cache.path, "HF_ENDPOINT": hub.endpoint.absoluteString, "HF_HUB_OFFLINE": "0",
                   "VLMNODE_LAUNCH_PATH": dir.path, "VLMNODE_RUNTIME_DIR": dir.appendingPathComponent("run").path]
        let pull = try VLMNodeBinary.run(["models", "pull", "owlvit"], environment: env)
        #expect(pull.status == 0, "\(pull.stderr)")
        let out = try VLMNodeBinary.run(["doctor"], environment: env, timeout: 60).stdout
        #expect(out.contains("  tcp://127.0.0.1:\(port)") && out.contains("free  (robot.launch"))
        #expect(!out.contains("PROBLEM: the Hugging Face cache"))
        #expect(out.contains("\(cache.path) (1 model)"))
        #expect(out.contains("    google/owlvit-base-patch32"))
        #expect(out.contains("clip (not cached), owlvit, xclip (not cached)"))
    }
}
