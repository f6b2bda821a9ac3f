import Foundation
import Testing
import TestSupport

/// `vlmnode keys` and the CURVE options of source and topic echo, as a user runs them
/// (docs/multi-host.md). Every server here binds loopback, except the one test of the 0.0.0.0
/// refusal and its --insecure override (a few seconds, connected through loopback).
@Suite(.serialized) struct CurveCLITests {
    /// A tcp port free at the moment of asking (the kernel picks it).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0
            }
        }
        try #require(ok, "no free port")
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// server.key/.pub, client.key/.pub, stranger.key/.pub, and auth/ holding client.pub only.
    static func makeKeys(_ dir: URL) throws {
        for name in ["server", "client", "stranger"] {
            let r = try VLMNodeBinary.run(["keys", "generate", name, "--dir", dir.path], timeout: 30)
            try #require(r.status == 0, "\(r.stderr)")
        }
        let auth = dir.appendingPathComponent("auth")
        try FileManager.default.createDirectory(at: auth, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: dir.appendingPathComponent("client.pub"), to: auth.appendingPathComponent("client.pub"))
    }

    static func source(_ dir: URL, port: Int, _ extra: [String], log: String) throws -> Process {
        try VLMNodeBinary.start(["source", "lavfi:testsrc=size=64x48:rate=30", "--frames", "900", "--bind",
                                 "tcp://127.0.0.1:\(port)"] + extra, log: dir.appendingPathComponent(log))
    }

    static func echo(port: Int, _ extra: [String], timeout: Double = 10) throws -> ProcessResult {
        try VLMNodeBinary.run(["topic", "echo", "/camera/image", "--connect", "tcp://127.0.0.1:\(port)", "--count", "2",
                               "--timeout", "\(timeout)"] + extra, timeout: 60)
    }

    /// SIGINT (the clean stop a user gives), then SIGKILL if the process is still there after 5 s.
    static func stop(_ p: Process, signal sig: Int32 = SIGINT) {
        if p.isRunning { kill(p.processIdentifier, sig) }
        let deadline = Date(timeIntervalSinceNow: 5)
        while p.isRunning && Date() < deadline { usleep(20_000) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
    }

    @Test func keysGenerateWritesZcertFilesAndRefusesOverwrite() throws {
        let dir = try makeTemporaryDirectory("keys-cli")
        let keys = dir.appendingPathComponent("keys")
        let r = try VLMNodeBinary.run(["keys", "generate", "robot", "--dir", keys.path])
        #expect(r.status == 0, "\(r.stderr)")
        let secret = keys.appendingPathComponent("robot.key").path, pub = keys.appendingPathComponent("robot.pub").path
        let attributes = try FileManager.default.attributesOfItem(atPath: secret)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let before = try String(contentsOfFile: secret, encoding: .utf8)
        #expect(before.contains("\ncurve\n    public-key = \"") && before.contains("    secret-key = \""))
        let pubText = try String(contentsOfFile: pub, encoding: .utf8)
        #expect(!pubText.contains("secret-key"))

        let again = try VLMNodeBinary.run(["keys", "generate", "robot", "--dir", keys.path])
        #expect(again.status != 0)
        #expect(again.stderr.contains("\(secret) exists; not overwriting it (use --force"), "\(again.stderr)")
        #expect(try String(contentsOfFile: secret, encoding: .utf8) == before)
        let forced = try VLMNodeBinary.run(["keys", "generate", "robot", "--dir", keys.path, "--force"])
        let after = try String(contentsOfFile: secret, encoding: .utf8)
        #expect(forced.status == 0 && after != before)

        // pyzmq reads the certificates (zmq.auth.load_certificate), and finds the same key pair.
        let check = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", """
            import sys, zmq, zmq.auth
            pub, sec = zmq.auth.load_certificate(sys.argv[1])
            pub2, none = zmq.auth.load_certificate(sys.argv[2])
            assert sec is not None and none is None and pub == pub2, (pub, pub2, sec, none)
            assert zmq.curve_public(sec) == pub
            print("ok")
            """, secret, pub], timeout: 30)
        if check.stderr.contains("No module named 'zmq'") {
            print("skipped: pyzmq cross-check (python3 cannot import zmq)")
        } else {
            #expect(check.stdout == "ok\n", "\(check.stderr)")
        }
    }

    @Test func groupReadableIdentityIsRefusedLikeSSH() throws {
        let dir = try makeTemporaryDirectory("keys-perm")
        try Self.makeKeys(dir)
        let key = dir.appendingPathComponent("server.key").path
        chmod(key, 0o644)
        let r = try VLMNodeBinary.run(["source", "lavfi:testsrc=size=64x48:rate=30", "--frames", "1",
                                       "--identity", key, "--authorized", dir.appendingPathComponent("auth").path], timeout: 60)
        #expect(r.status != 0)
        #expect(r.stderr.contains("\(key) holds a secret key but is accessible by group or others (mode 644); run chmod 600 \(key)"),
                "\(r.stderr)")
    }

    @Test func curveSourceServesOnlyTheAuthorizedSubscriber() throws {
        let dir = try makeTemporaryDirectory("curve-cli")
        try Self.makeKeys(dir)
        let k = { dir.appendingPathComponent($0).path }
        let port = try Self.freePort()
        let source = try Self.source(dir, port: port, ["--identity", k("server.key"), "--authorized", k("auth")], log: "source.log")
        defer { Self.stop(source) }

        let good = try Self.echo(port: port, ["--identity", k("client.key"), "--server-key", k("server.pub")])
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout.split(separator: "\n").count == 2 && good.stdout.contains("\"type\":\"vlm/Frame\""), "\(good.stdout)")

        let stranger = try Self.echo(port: port, ["--identity", k("stranger.key"), "--server-key", k("server.pub")], timeout: 2)
        #expect(stranger.status != 0 && stranger.stdout.isEmpty, "\(stranger.stdout)")
        #expect(stranger.stderr.contains("no message on /camera/image"), "\(stranger.stderr)")
        let plain = try Self.echo(port: port, [], timeout: 2)
        #expect(plain.status != 0 && plain.stdout.isEmpty, "\(plain.stdout)")

        Self.stop(source)
        let log = try String(contentsOf: dir.appendingPathComponent("source.log"), encoding: .utf8)
        let strangerKey = try #require(try String(contentsOfFile: k("stranger.pub"), encoding: .utf8)
            .split(separator: "\"").dropFirst().first)
        // Logged once per key however often it retried; the plain peer once; all counted.
        #expect(log.components(separatedBy: "refused CURVE client key \(strangerKey)").count == 2, "\(log)")
        // The plain peer: libzmq reports a mechanism mismatch or, when the client hung up first, a
        // dropped handshake; either is one line. Its address is read from the accepted socket, which
        // a client that already hung up no longer has ("an unknown address", docs/multi-host.md).
        let plainLines = log.split(separator: "\n").filter {
            $0.hasPrefix("vlmbus: refused a peer from 127.0.0.1 on tcp://127.0.0.1:\(port): ")
                || $0.hasPrefix("vlmbus: refused a peer from an unknown address on tcp://127.0.0.1:\(port): ")
        }
        #expect(plainLines.count == 1, "\(log)")
        let summary = try #require(log.split(separator: "\n").first { $0.hasPrefix("published ") })
        #expect(summary.contains("CURVE: 1 accepted, "), "\(summary)")
        let refused = Int(summary.components(separatedBy: "accepted, ").last?.split(separator: " ").first ?? "") ?? 0
        #expect(refused >= 2, "\(summary)")
    }

    @Test func nonLoopbackBindNeedsCurveOrInsecure() throws {
        let dir = try makeTemporaryDirectory("insecure-cli")
        let refused = try VLMNodeBinary.run(["source", "lavfi:testsrc=size=64x48:rate=30", "--frames", "1",
                                             "--bind", "tcp://0.0.0.0:0"], timeout: 60)
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("cannot bind tcp://0.0.0.0:0: 0.0.0.0 is not a loopback address"), "\(refused.stderr)")

        let port = try Self.freePort()
        let source = try VLMNodeBinary.start(["source", "lavfi:testsrc=size=64x48:rate=30", "--frames", "900",
                                              "--bind", "tcp://0.0.0.0:\(port)", "--insecure"],
                                             log: dir.appendingPathComponent("source.log"))
        defer { Self.stop(source) }
        let echo = try Self.echo(port: port, [])
        #expect(echo.status == 0, "\(echo.stderr)")
        Self.stop(source)
        let log = try String(contentsOf: dir.appendingPathComponent("source.log"), encoding: .utf8)
        let warnings = log.split(separator: "\n").filter { $0.hasPrefix("warning: --insecure: tcp://0.0.0.0:\(port) accepts anyone") }
        #expect(warnings.count == 1, "\(log)")
    }

    @Test func benchBusCurveRowsSitBesidePlainTCP() throws {
        // A smoke run (tiny frames, few messages): the figures themselves come from release builds.
        let r = try VLMNodeBinary.run(["bench", "bus", "--count", "10", "--spacing-ms", "1", "--duration", "0.1",
                                       "--sizes", "64x48", "--transports", "tcp", "--curve", "--subscribers", "1"])
        #expect(r.status == 0, "\(r.stderr)")
        let rows = r.stdout.split(separator: "\n").filter { $0.hasPrefix("64x48 rgb8 0.0 MB") }
        let curve = rows.filter { $0.contains(" curve ") }
        #expect(curve.count == 3 && rows.count == 6, "\(r.stdout)")
        let sealed = try #require(curve.first { $0.contains("VLMBus") })
        // delivered = received/sent of the throughput run: CURVE frames arrived.
        let delivered = try #require(sealed.split(separator: " ").last?.split(separator: "/").compactMap { Int($0) })
        #expect(delivered.count == 2 && delivered[0] > 0, "\(sealed)")
        #expect(curve.contains { $0.contains("vs tcp") } && curve.contains { $0.contains("+ms/hop") })
    }

    static let tcpdump: String? = ["/usr/bin/tcpdump", "/usr/sbin/tcpdump"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Captures loopback traffic on `port` while `body` runs; nil (with the reason) when capturing
    /// is not possible here.
    static func capture(port: Int, dir: URL, _ body: () throws -> Void) throws -> Result<Data, SkipReason> {
        guard let tcpdump else { return .failure(SkipReason("tcpdump is not installed (Scripts/setup.sh installs it)")) }
        let file = dir.appendingPathComponent("lo-\(port).pcap")
        let log = dir.appendingPathComponent("tcpdump-\(port).log")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tcpdump)
        p.arguments = ["-i", "lo", "--immediate-mode", "-U", "-s", "0", "-w", file.path, "tcp", "port", "\(port)"]
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        p.standardError = try FileHandle(forWritingTo: log)
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let deadline = Date(timeIntervalSinceNow: 10)
        while p.isRunning, Date() < deadline,
              !((try? String(contentsOf: log, encoding: .utf8)) ?? "").contains("listening on") { usleep(50_000) }
        guard p.isRunning else {
            return .failure(SkipReason("tcpdump cannot capture here: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")"))
        }
        // SIGKILL: a child of the test runner inherits a signal mask that blocks SIGINT and SIGTERM;
        // with --immediate-mode and -U each packet is written as it arrives (1 s of grace anyway).
        defer { stop(p, signal: SIGKILL) }
        try body()
        sleep(1)
        stop(p, signal: SIGKILL)
        return .success(try Data(contentsOf: file))
    }

    struct SkipReason: Error { let text: String; init(_ t: String) { text = t } }

    @Test func captureShowsNoPlaintextHeadersWithCurve() throws {
        let dir = try makeTemporaryDirectory("curve-capture")
        try Self.makeKeys(dir)
        let k = { dir.appendingPathComponent($0).path }
        func run(curve: Bool) throws -> Result<Data, SkipReason> {
            let port = try Self.freePort()
            return try Self.capture(port: port, dir: dir) {
                let source = try Self.source(dir, port: port, curve ? ["--identity", k("server.key"), "--authorized", k("auth")] : [],
                                             log: "source-\(port).log")
                defer { Self.stop(source) }
                let echo = try Self.echo(port: port, curve ? ["--identity", k("client.key"), "--server-key", k("server.pub")] : [])
                #expect(echo.status == 0 && echo.stdout.contains("vlm/Frame"), "\(echo.stderr)")
            }
        }
        let needles = ["vlm/Frame", "\"stamp_ns\"", "/camera/image"].map { Data($0.utf8) }
        switch try run(curve: false) {
        case .failure(let why):
            print("skipped: capture test: \(why.text)")
            return
        case .success(let plain):
            // The control: without CURVE the header JSON is on the wire, so the search can find it.
            #expect(needles.allSatisfy { plain.range(of: $0) != nil }, "plain capture lacks the header text (\(plain.count) bytes)")
        }
        let sealed = try run(curve: true).get()
        #expect(sealed.count > 20_000, "captured only \(sealed.count) bytes")
        for needle in needles {
            #expect(sealed.range(of: needle) == nil, "\(String(decoding: needle, as: UTF8.self)) crossed in plaintext under CURVE")
        }
    }
}
