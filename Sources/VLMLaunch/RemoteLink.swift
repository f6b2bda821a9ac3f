import Foundation
import VLMBus

/// What the launcher sends a remote node over ssh's stdin, as one JSON line, before anything
/// else: the node's command, environment (with `VLMNODE_WIRING`) and key files. Secrets travel
/// only here — never on ssh's command line nor in its environment. `vlmnode remote-node` reads it,
/// writes `files` into a fresh 0700 directory (removed at exit), replaces `RemoteMarkers`, runs the
/// node and ends it when its stdin closes.
public struct RemoteHandover: Codable, Sendable {
    public static let currentVersion = 1
    /// A handover larger than this is refused (a launcher sends a few KiB).
    public static let maxBytes = 16 << 20

    public var version = RemoteHandover.currentVersion
    /// The launcher's `vlmnode --version`: the remote side refuses to run with another.
    public var vlmnodeVersion: String
    public var node: String
    public var launchID: String
    public var machine: String
    /// Built-in nodes: the arguments after the `vlmnode` executable (the remote side prepends its
    /// own). `exec` nodes: the program (looked up in the remote PATH) and its arguments.
    public var builtin: Bool
    public var argv: [String]
    /// Added to the remote side's own environment.
    public var environment: [String: String]
    public var cwd: String?
    /// Relative path (`ws.key`, `authorized-ws/launcher-host.pub`) -> file text, written 0600.
    public var files: [String: String]
    /// Seconds between SIGINT and SIGKILL when the remote side stops the node (shorter than the
    /// launcher's own deadline, so the node is gone before the launcher kills ssh).
    public var graceSeconds: Double

    public init(vlmnodeVersion: String, node: String, launchID: String, machine: String, builtin: Bool, argv: [String],
                environment: [String: String], cwd: String?, files: [String: String], graceSeconds: Double) {
        self.vlmnodeVersion = vlmnodeVersion
        self.node = node
        self.launchID = launchID
        self.machine = machine
        self.builtin = builtin
        self.argv = argv
        self.environment = environment
        self.cwd = cwd
        self.files = files
        self.graceSeconds = graceSeconds
    }

    enum CodingKeys: String, CodingKey {
        case version, node, machine, builtin, argv, environment, cwd, files
        case vlmnodeVersion = "vlmnode_version", launchID = "launch_id", graceSeconds = "grace_seconds"
    }

    /// Only names the remote side may create: one or two plain components (`dir/file`).
    public static func isSafeRelativePath(_ path: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count) else { return false }
        return parts.allSatisfy { part in
            !part.isEmpty && part != "." && part != ".." && part.count <= 128
                && part.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || "._-".contains($0) }
        }
    }
}

/// How the launcher reaches machines: the OpenSSH client, non-interactive.
public struct SSHSettings: Sendable {
    /// The ssh program (`ssh` from PATH by default).
    public var program: String = "ssh"
    /// `ssh -F FILE`: a config of its own (tests, or a launch-specific jump host).
    public var configFile: String?

    public init(program: String = "ssh", configFile: String? = nil) {
        self.program = program
        self.configFile = configFile
    }

    /// `ssh … DESTINATION -- REMOTE WORDS`. No tty, no password prompts, a dead link noticed
    /// within ~10 s (keepalives), and no host key accepted silently (the user's known_hosts,
    /// as their own ssh would check it).
    public func argv(for machine: MachineDescription, remote words: [String]) -> [String] {
        var argv = [program, "-T", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10",
                    "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=2"]
        if let configFile { argv += ["-F", configFile] }
        if let port = machine.port { argv += ["-p", String(port)] }
        if let user = machine.user { argv += ["-l", user] }
        return argv + ["--", machine.address] + words
    }

    /// The command run on the machine: `[ENV_LOADER] VLMNODE remote-node` (validated words: no
    /// shell quoting needed by the remote login shell).
    public static func remoteCommand(_ machine: MachineDescription) -> [String] {
        (machine.envLoader.map { [$0] } ?? []) + [machine.vlmnode ?? "vlmnode", "remote-node"]
    }
}

/// Writes the launch's CURVE keys into `<runtime dir>/keys` and gathers the files a remote node needs.
enum LaunchKeys {
    /// Generates (or copies, for `<machine identity=…>`) one pair per host in the plan, and one
    /// authorized directory per publishing host. The directory is created 0700, files 0600.
    static func write(_ plan: KeyPlan, into directory: String) throws {
        guard !plan.isEmpty else { return }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        var certificates: [String: CurveCertificate] = [:]
        for host in plan.hosts.sorted() {
            let cert = try plan.givenIdentity[host].map { try CurveCertificate.load($0, requireSecret: true) }
                ?? CurveCertificate.generate()
            try cert.write(name: host, directory: directory, force: true)
            certificates[host] = cert
        }
        for (publisher, subscribers) in plan.authorized {
            let dir = directory + "/" + KeyPlan.authorizedDirectory(publisher)
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            for sub in subscribers {
                guard let cert = certificates[sub] else { continue }
                let path = dir + "/" + KeyPlan.publicFile(sub)
                guard FileManager.default.createFile(atPath: path, contents: Data(cert.fileText(secret: false).utf8),
                                                     attributes: [.posixPermissions: 0o600]) else {
                    throw LaunchError("cannot write \(path)", at: nil)
                }
            }
        }
    }

    /// The key files a remote node's security paths name (`@VLMNODE_KEYS@/…`), read from `directory`.
    static func files(for node: LaunchGraph.Node, from directory: String) throws -> [String: String] {
        var files: [String: String] = [:]
        let prefix = RemoteMarkers.keys + "/"
        let paths = (Array(node.inputs.values) + Array(node.outputs.values)).compactMap(\.security)
            .flatMap { [$0.identity, $0.serverKey, $0.authorized].compactMap { $0 } }
        for path in paths where path.hasPrefix(prefix) {
            let relative = String(path.dropFirst(prefix.count))
            let local = directory + "/" + relative
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: local, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                for name in try FileManager.default.contentsOfDirectory(atPath: local) {
                    files[relative + "/" + name] = try String(contentsOfFile: local + "/" + name, encoding: .utf8)
                }
            } else {
                files[relative] = try String(contentsOfFile: local, encoding: .utf8)
            }
        }
        return files
    }
}
