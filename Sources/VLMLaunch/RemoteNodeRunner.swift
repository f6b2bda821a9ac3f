import CVLMProcess
import Foundation
import VLMNode

/// The remote side of a node started over ssh (`vlmnode remote-node`, hidden): reads the
/// `RemoteHandover` line from stdin, writes the key files into a fresh 0700 directory, runs the
/// node in a process group of its own with its output on our stdout (ssh carries it back), and
/// ends it — SIGINT, then SIGKILL after the handover's grace — when stdin reaches EOF or says
/// `stop` (the launcher closing the pipe, ssh dropping, sshd going) or on SIGINT/SIGTERM/SIGHUP.
/// The key directory is removed before it exits. Exits with the node's status (128+N for a signal).
public struct RemoteNodeRunner {
    public var version: String
    /// The `vlmnode` binary built-in nodes run as (this one).
    public var executable: String
    public var environment: [String: String]
    /// Seconds to wait for the handover line before giving up.
    public var handoverTimeout: Double = 30

    public init(version: String, executable: String, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.version = version
        self.executable = executable
        self.environment = environment
    }

    /// Runs one remote node; returns the exit status for the process.
    public func run(input: Int32 = 0) -> Int32 {
        let signals = vlm_signal_pipe_install()
        guard signals >= 0 else { return fail("cannot install signal handlers") }
        defer { vlm_signal_pipe_uninstall(); close(signals) }
        let handover: RemoteHandover
        switch readHandover(from: input, signals: signals) {
        case .success(let h): handover = h
        case .failure(let message): return fail(message.text)
        }
        guard handover.version <= RemoteHandover.currentVersion else {
            return fail("handover version \(handover.version) is newer than this vlmnode reads")
        }
        guard handover.vlmnodeVersion == version else {
            return fail("the launcher runs vlmnode \(handover.vlmnodeVersion), this machine has \(version) (\(executable))")
        }
        let registry = GraphRegistry.directory(environment: environment)
        if let problem = GraphRegistry.ownershipProblem(of: registry) { return fail(problem) }
        let keys: String
        do {
            try FileManager.default.createDirectory(at: registry, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            keys = try Self.makePrivateDirectory(in: registry.path)
        } catch {
            return fail("\(error)")
        }
        defer { try? FileManager.default.removeItem(atPath: keys) }
        let runDirectory = registry.path + "/" + Self.safeName(handover.launchID) + "@" + Self.safeName(handover.machine)
        do {
            try Self.writeFiles(handover.files, into: keys)
            try FileManager.default.createDirectory(atPath: runDirectory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            return fail("\(error)")
        }
        // Sockets are gone when the node is; the directory goes with the last node of the machine.
        defer { rmdir(runDirectory) }

        let launcherAddress = environment["SSH_CONNECTION"]?.split(separator: " ").first.map(String.init) ?? "127.0.0.1"
        func fill(_ text: String) -> String {
            text.replacingOccurrences(of: RemoteMarkers.keys, with: keys)
                .replacingOccurrences(of: RemoteMarkers.run, with: runDirectory)
                .replacingOccurrences(of: RemoteMarkers.launcherAddress, with: launcherAddress)
        }
        var argv = handover.argv.map(fill)
        if handover.builtin {
            argv.insert(executable, at: 0)
        } else if let program = argv.first, !program.hasPrefix("/") {
            let cwd = handover.cwd.map(fill) ?? FileManager.default.currentDirectoryPath
            argv[0] = program.contains("/") ? cwd + "/" + program
                : (GraphBuilder.findInPath(program, path: handover.environment["PATH"] ?? environment["PATH"]) ?? program)
        }
        guard !argv.isEmpty else { return fail("node \(handover.node): empty command") }
        var env = environment
        for (key, value) in handover.environment { env[key] = fill(value) }
        env["VLMNODE_KEY_DIR"] = keys
        let pid: pid_t
        do {
            pid = try ChildProcess.spawn(argv: argv, environment: env, cwd: handover.cwd.map(fill), outFD: 1)
        } catch {
            return fail("node \(handover.node): \(error)")
        }
        return supervise(pid: pid, input: input, signals: signals, grace: handover.graceSeconds)
    }

    /// Waits for the node; stops it when stdin ends or a stop signal comes.
    private func supervise(pid: pid_t, input: Int32, signals: Int32, grace: Double) -> Int32 {
        var stopDeadline: UInt64?
        var inputOpen = true
        func stop() {
            guard stopDeadline == nil else { return }
            stopDeadline = DispatchTime.now().uptimeNanoseconds + UInt64(min(max(grace, 0), 3600) * 1e9)
            kill(-pid, SIGINT)
        }
        var line: [UInt8] = []
        while true {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                kill(-pid, SIGKILL)  // anything it left in its group
                let (_, _, signal) = ChildProcess.describe(status: status)
                return signal.map { 128 + $0 } ?? vlm_wexitstatus(status)
            }
            let now = DispatchTime.now().uptimeNanoseconds
            if let deadline = stopDeadline, now >= deadline { kill(-pid, SIGKILL) }
            var fds = [pollfd(fd: signals, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: inputOpen ? input : -1, events: Int16(POLLIN), revents: 0)]
            let wait = stopDeadline.map { $0 > now ? Int32(clamping: ($0 - now) / 1_000_000 + 1) : 50 } ?? 1000
            guard poll(&fds, 2, wait) > 0 else { continue }
            if fds[0].revents != 0 {
                var buf = [UInt8](repeating: 0, count: 64)
                let n = read(signals, &buf, buf.count)
                if n > 0, buf[..<n].contains(where: { Int32($0) != SIGCHLD }) { stop() }
            }
            if inputOpen, fds[1].revents != 0 {
                var buf = [UInt8](repeating: 0, count: 4096)
                let n = read(input, &buf, buf.count)
                if n > 0 {
                    line += buf[..<n]
                    if line.contains(UInt8(ascii: "\n")) || line.count > 4096 { stop() }  // "stop\n" (or anything)
                } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
                    inputOpen = false  // EOF: the launcher closed the pipe or the link dropped
                    stop()
                }
            }
        }
    }

    private struct Failure: Error { var text: String }

    /// One line, bounded in size and time; the launcher writes it right after ssh connects.
    private func readHandover(from fd: Int32, signals: Int32) -> Result<RemoteHandover, Failure> {
        var data: [UInt8] = []
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(handoverTimeout * 1e9)
        var buf = [UInt8](repeating: 0, count: 1)
        // Byte by byte: what follows the line (a stop) must stay in the pipe for supervise().
        while true {
            let now = DispatchTime.now().uptimeNanoseconds
            guard now < deadline else { return .failure(Failure(text: "no handover on stdin within \(Int(handoverTimeout)) s")) }
            var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: signals, events: Int16(POLLIN), revents: 0)]
            guard poll(&fds, 2, Int32(clamping: (deadline - now) / 1_000_000 + 1)) > 0 else { continue }
            if fds[1].revents != 0 { return .failure(Failure(text: "stopped before the handover arrived")) }
            let n = read(fd, &buf, 1)
            if n < 0, errno == EINTR || errno == EAGAIN { continue }
            guard n == 1 else { return .failure(Failure(text: "stdin ended before the handover line")) }
            if buf[0] == UInt8(ascii: "\n") { break }
            data.append(buf[0])
            guard data.count <= RemoteHandover.maxBytes else {
                return .failure(Failure(text: "handover line is over \(RemoteHandover.maxBytes) bytes"))
            }
        }
        do {
            return .success(try JSONDecoder().decode(RemoteHandover.self, from: Data(data)))
        } catch {
            return .failure(Failure(text: "handover is not valid JSON: \(error)"))
        }
    }

    /// A new directory of mode 0700 that did not exist before (mkdtemp).
    static func makePrivateDirectory(in parent: String) throws -> String {
        var template = Array((parent + "/remote-keys-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw ProcessError(operation: "mkdtemp in \(parent)", errno: errno)
        }
        return String(cString: made)
    }

    /// Writes each file 0600 (subdirectories 0700) with O_EXCL, refusing any unsafe name.
    static func writeFiles(_ files: [String: String], into directory: String) throws {
        for (relative, text) in files.sorted(by: { $0.key < $1.key }) {
            guard RemoteHandover.isSafeRelativePath(relative) else {
                throw LaunchError("handover file name '\(relative.prefix(80))' is not a plain relative name", at: nil)
            }
            let parts = relative.split(separator: "/")
            if parts.count == 2 {
                let sub = directory + "/" + parts[0]
                if mkdir(sub, 0o700) != 0 && errno != EEXIST { throw ProcessError(operation: "mkdir \(sub)", errno: errno) }
            }
            let path = directory + "/" + relative
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
            guard fd >= 0 else { throw ProcessError(operation: "create \(path)", errno: errno) }
            let bytes = Array(text.utf8)
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            close(fd)
            guard written == bytes.count else { throw ProcessError(operation: "write \(path)", errno: errno) }
        }
    }

    static func safeName(_ text: String) -> String {
        String(text.map { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "_" || $0 == "-" ? $0 : "_" }.prefix(100))
    }

    private func fail(_ message: String) -> Int32 {
        FileHandle.standardError.write(Data("vlmnode remote-node: \(message)\n".utf8))
        return 2
    }
}
