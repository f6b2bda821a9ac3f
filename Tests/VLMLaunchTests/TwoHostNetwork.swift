import Foundation

/// Two "hosts" for multi-host tests: network namespaces A and B joined by a veth pair
/// (10.X.Y.1 in A, 10.X.Y.2 in B, `lo` up in each), an sshd of the test's own in B (generated host
/// key, one generated client key, its own config on a high port), and an ssh client config that
/// checks B's host key strictly against a generated known_hosts. Names are unique per run;
/// `tearDown()` (also run by `deinit`) kills every process left in B, stops sshd, and deletes the
/// namespaces and files, whatever happened.
final class TwoHostNetwork: @unchecked Sendable {
    /// Why the test cannot run here; the tests print "skipped: …" and return.
    struct Unavailable: Error, CustomStringConvertible { let description: String }

    let nsA: String, nsB: String
    let vethA: String, vethB: String
    let addressA: String, addressB: String
    let sshPort = Int.random(in: 20000...29999)
    let directory: URL
    var sshConfig: String { directory.appendingPathComponent("ssh_config").path }
    /// VLMNODE_RUNTIME_DIR of remote nodes (set by sshd's SetEnv), private to this run.
    var remoteRuntime: String { directory.appendingPathComponent("rt-b").path }
    private var sshd: pid_t?
    private var torn = false

    /// Sets everything up, or throws `Unavailable` (not root, no `ip`, no sshd) — or any failure,
    /// after cleaning up what was made.
    init() throws {
        guard getuid() == 0 else { throw Unavailable(description: "needs root to create network namespaces") }
        let tools: [String] = ["/usr/sbin/sshd", "/usr/bin/ssh", "/usr/bin/ssh-keygen"]
        for tool in tools where access(tool, X_OK) != 0 {
            throw Unavailable(description: "\(tool) is not installed (openssh-server, openssh-client)")
        }
        let candidates: [String] = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"]
        guard let ip = candidates.first(where: { access($0, X_OK) == 0 }) else {
            throw Unavailable(description: "`ip` is not installed (iproute2)")
        }
        Self.ip = ip
        Self.removeStale()
        let id = String(format: "%04x", UInt16.random(in: 0...UInt16.max))
        nsA = "vlmA\(id)-\(getpid())"
        nsB = "vlmB\(id)-\(getpid())"
        vethA = "vla\(id)"
        vethB = "vlb\(id)"
        let subnet = "10.\(Int.random(in: 64...250)).\(Int.random(in: 1...250))"
        addressA = subnet + ".1"
        addressB = subnet + ".2"
        directory = URL(fileURLWithPath: "/tmp/vlm2h-\(id)-\(getpid())")
        do {
            try setUp()
        } catch {
            tearDown()
            throw error
        }
    }

    deinit { tearDown() }

    private static var ip = "/usr/sbin/ip"

    private func setUp() throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        try FileManager.default.createDirectory(atPath: remoteRuntime, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let probe = Self.run([Self.ip, "netns", "add", nsA])
        guard probe.status == 0 else {
            throw Unavailable(description: "cannot create a network namespace: \(probe.output.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        for step in [
            ["netns", "add", nsB],
            ["link", "add", vethA, "type", "veth", "peer", "name", vethB],
            ["link", "set", vethA, "netns", nsA],
            ["link", "set", vethB, "netns", nsB],
            ["-n", nsA, "addr", "add", addressA + "/24", "dev", vethA],
            ["-n", nsB, "addr", "add", addressB + "/24", "dev", vethB],
            ["-n", nsA, "link", "set", vethA, "up"], ["-n", nsB, "link", "set", vethB, "up"],
            ["-n", nsA, "link", "set", "lo", "up"], ["-n", nsB, "link", "set", "lo", "up"],
        ] {
            let r = Self.run([Self.ip] + step)
            guard r.status == 0 else { throw Unavailable(description: "ip \(step.joined(separator: " ")) failed: \(r.output)") }
        }
        let dir = directory.path
        for key in ["host_key", "client_key"] {
            let r = Self.run(["/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "vlmnode-test", "-f", "\(dir)/\(key)"])
            guard r.status == 0 else { throw Unavailable(description: "ssh-keygen failed: \(r.output)") }
        }
        let hostPub = try String(contentsOfFile: "\(dir)/host_key.pub", encoding: .utf8).split(separator: " ").prefix(2).joined(separator: " ")
        try String(contentsOfFile: "\(dir)/client_key.pub", encoding: .utf8)
            .write(toFile: "\(dir)/authorized_keys", atomically: true, encoding: .utf8)
        try "[\(addressB)]:\(sshPort) \(hostPub)\n".write(toFile: "\(dir)/known_hosts", atomically: true, encoding: .utf8)
        try """
            Port \(sshPort)
            ListenAddress \(addressB)
            HostKey \(dir)/host_key
            AuthorizedKeysFile \(dir)/authorized_keys
            PermitRootLogin prohibit-password
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            UsePAM no
            StrictModes no
            PidFile \(dir)/sshd.pid
            SetEnv VLMNODE_RUNTIME_DIR=\(remoteRuntime)
            LogLevel ERROR

            """.write(toFile: "\(dir)/sshd_config", atomically: true, encoding: .utf8)
        try """
            Host \(addressB)
              User root
              Port \(sshPort)
              IdentityFile \(dir)/client_key
              IdentitiesOnly yes
              UserKnownHostsFile \(dir)/known_hosts
              GlobalKnownHostsFile /dev/null
              StrictHostKeyChecking yes
              PasswordAuthentication no

            """.write(toFile: sshConfig, atomically: true, encoding: .utf8)
        // sshd's privilege separation directory (the distribution's service would create it).
        try? FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true,
                                                 attributes: [.posixPermissions: 0o755])
        guard let daemon = Self.spawn([Self.ip, "netns", "exec", nsB, "/usr/sbin/sshd", "-D", "-e", "-f", "\(dir)/sshd_config"],
                                      output: "\(dir)/sshd.log") else {
            throw Unavailable(description: "cannot start sshd")
        }
        sshd = daemon
        let deadline = Date().addingTimeInterval(20)
        var last = ""
        while Date() < deadline {
            let r = inA(["/usr/bin/ssh", "-F", sshConfig, "-p", String(sshPort), "-o", "BatchMode=yes", "-o", "ConnectTimeout=3",
                         addressB, "true"], timeout: 8)
            if r.status == 0 { return }
            last = r.output
            usleep(200_000)
        }
        let log = (try? String(contentsOfFile: "\(dir)/sshd.log", encoding: .utf8)) ?? ""
        throw Unavailable(description: "sshd in \(nsB) did not accept the test key: \(last) \(log)")
    }

    /// `ip netns exec A argv…` to completion (bounded).
    func inA(_ argv: [String], timeout: Double = 30) -> (status: Int32?, output: String) {
        Self.run([Self.ip, "netns", "exec", nsA] + argv, timeout: timeout)
    }

    func inB(_ argv: [String], timeout: Double = 30) -> (status: Int32?, output: String) {
        Self.run([Self.ip, "netns", "exec", nsB] + argv, timeout: timeout)
    }

    /// Processes in B other than the sshd listener (remote nodes, their sessions), with their
    /// command lines.
    func processesInB() -> [(pid: pid_t, command: String)] {
        let r = Self.run([Self.ip, "netns", "pids", nsB])
        let listener = sshd
        return r.output.split(whereSeparator: \.isNewline).compactMap { pid_t($0) }.filter { $0 != listener }.compactMap { pid in
            guard let cmd = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8) else { return nil }
            // A zombie has an empty command line and is gone for our purposes.
            return cmd.isEmpty ? nil : (pid, cmd.replacingOccurrences(of: "\u{0}", with: " "))
        }
    }

    /// Kills everything in B, stops sshd, deletes the namespaces and the files. Idempotent.
    func tearDown() {
        guard !torn else { return }
        torn = true
        for ns in [nsB, nsA] {
            let pids = Self.run([Self.ip, "netns", "pids", ns]).output.split(whereSeparator: \.isNewline).compactMap { pid_t($0) }
            for pid in pids { kill(pid, SIGKILL) }
        }
        if let sshd {
            kill(sshd, SIGKILL)
            var status: Int32 = 0
            while waitpid(sshd, &status, 0) < 0 && errno == EINTR {}
        }
        for ns in [nsA, nsB] { _ = Self.run([Self.ip, "netns", "del", ns]) }
        _ = Self.run([Self.ip, "link", "del", vethA])  // only there if moving it into A failed
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs `argv`; nil status when it outlives `timeout` (then it is killed). posix_spawn and
    /// waitpid directly: these helpers must not depend on Foundation's child reaping.
    static func run(_ argv: [String], timeout: Double = 30) -> (status: Int32?, output: String) {
        let out = "/tmp/vlm2h-out-\(UUID().uuidString)"
        defer { unlink(out) }
        guard let pid = spawn(argv, output: out) else { return (nil, "cannot start \(argv[0])") }
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        var exited = false
        while Date() < deadline {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid || (r < 0 && errno == ECHILD) { exited = true; break }
            usleep(10_000)
        }
        if !exited {
            kill(pid, SIGKILL)
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        }
        let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (exited ? code : nil, text)
    }

    /// Starts `argv` (an absolute path first) with stdin from /dev/null and stdout+stderr to `output`.
    static func spawn(_ argv: [String], output: String) -> pid_t? {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let cArgv = argv.map { strdup($0) } + [nil]
        defer { cArgv.forEach { free($0) } }
        var pid: pid_t = 0
        let r = posix_spawn(&pid, argv[0], &actions, nil, cArgv, environ)
        return r == 0 ? pid : nil
    }

    /// Namespaces an earlier run left behind when it was killed (its pid is in the name).
    static func removeStale() {
        for line in run([ip, "netns", "list"]).output.split(whereSeparator: \.isNewline) {
            let name = String(line.split(separator: " ").first ?? "")
            guard name.hasPrefix("vlmA") || name.hasPrefix("vlmB"), let dash = name.lastIndex(of: "-"),
                  let owner = pid_t(name[name.index(after: dash)...]), kill(owner, 0) != 0 else { continue }
            for pid in run([ip, "netns", "pids", name]).output.split(whereSeparator: \.isNewline).compactMap({ pid_t($0) }) {
                kill(pid, SIGKILL)
            }
            _ = run([ip, "netns", "del", name])
        }
    }
}
