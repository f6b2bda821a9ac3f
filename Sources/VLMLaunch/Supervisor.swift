import CVLMProcess
import Foundation
import VLMNode

/// How a launch ended; `exitCode` is what `vlmnode launch` exits with.
public struct LaunchOutcome: Sendable, Equatable {
    /// 0: clean (signal shutdown, every node done, or a required node exited 0).
    /// 2: a required node failed or a node could not be started. 3: a node failed (non-zero exit,
    /// respawns used up). 4: teardown had to SIGKILL a node that ignored SIGINT for the deadline.
    public var exitCode: Int32
    public var reason: String
}

/// Settings of one supervised launch.
public struct SupervisorOptions: Sendable {
    /// SIGINT to every group, then SIGKILL after this many seconds.
    public var shutdownTimeout: Double = 3
    /// The `vlmnode` binary built-in nodes run as.
    public var vlmnodeExecutable: String
    public var paths: LaunchPaths
    /// Colour the name prefixes; nil: when stdout is a terminal.
    public var colour: Bool?
    /// Launcher messages (`[launch] …`) on stderr.
    public var verbose = true
    /// How nodes on other machines are started (docs/multi-host.md).
    public var ssh = SSHSettings()
    /// The launcher's `vlmnode --version`; a remote `vlmnode remote-node` refuses another.
    public var vlmnodeVersion = ""

    public init(vlmnodeExecutable: String, paths: LaunchPaths) {
        self.vlmnodeExecutable = vlmnodeExecutable
        self.paths = paths
    }
}

/// Stage 4: runs a validated graph. Each node is a child in its own process group; output is
/// prefixed and logged; `respawn`, `required`, and SIGINT/SIGTERM teardown (SIGINT to every group,
/// a deadline, SIGKILL) as in docs/launch.md. One supervisor per process (it owns the signal
/// handlers); `run()` must be called on a thread that lives until it returns, because each node's
/// parent-death signal is tied to the spawning thread.
public final class Supervisor {
    final class Managed {
        let node: LaunchGraph.Node
        let index: Int
        var argv: [String] = []
        var environment: [String: String] = [:]
        var pid: pid_t?
        var pipes: [Int32] = []
        var output: NodeOutput
        var respawns = 0
        var respawnAt: UInt64?
        var done = false
        /// Remote nodes: the handover line, what of it is not yet written, and the write end of
        /// ssh's stdin (the node's lifeline: closing it stops the node).
        var handover: [UInt8] = []
        var pendingInput: [UInt8] = []
        var inputFD: Int32 = -1

        init(node: LaunchGraph.Node, index: Int, output: NodeOutput) {
            self.node = node
            self.index = index
            self.output = output
        }
    }

    let graph: LaunchGraph
    let options: SupervisorOptions
    private var managed: [Managed] = []
    /// Node output for the screen: never blocks the loop; its reader going away ends the launch.
    private let screen = ScreenWriter(fd: 1)
    private var guardian: Guardian?
    private var signalFD: Int32 = -1
    private var shutdownDeadline: UInt64?
    private var forcedKill = false
    private var killedAny = false
    private var exitCode: Int32 = 0
    private var reason = "all nodes exited"
    private let startedAt = Date().timeIntervalSince1970

    public init(graph: LaunchGraph, options: SupervisorOptions) {
        self.graph = graph
        self.options = options
    }

    /// Starts every node and supervises until the graph ends; never throws once nodes run.
    public func run() throws -> LaunchOutcome {
        let paths = options.paths
        if let problem = GraphRegistry.ownershipProblem(of: paths.registryDirectory) {
            throw LaunchError(problem, at: nil)
        }
        GraphRegistry.removeStale(environment: ["VLMNODE_RUNTIME_DIR": paths.registryDirectory.path])
        for dir in [paths.registryDirectory, paths.socketDirectory, paths.logDirectory] {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        }
        signalFD = vlm_signal_pipe_install()
        if signalFD < 0 { throw ProcessError(operation: "signal pipe", errno: -signalFD) }
        defer { vlm_signal_pipe_uninstall(); close(signalFD) }
        guardian = try Guardian(graceMilliseconds: Int32(clamping: Int64(min(max(options.shutdownTimeout, 0), 86_400) * 1000)))

        try LaunchKeys.write(graph.keyPlan, into: paths.socketDirectory.path + "/keys")
        let colour = options.colour ?? (isatty(1) != 0)
        let context = LaunchContext(launchID: graph.launchID, launcherPID: getpid(), graphFile: paths.graphFile.path,
                                    logDirectory: paths.logDirectory.path)
        for (i, node) in graph.nodes.enumerated() {
            let label = String(node.name.dropFirst())
            let logPath = paths.logDirectory.appendingPathComponent(label.replacingOccurrences(of: "/", with: ".") + ".log").path
            let m = Managed(node: node, index: i,
                            output: NodeOutput(name: label, index: i, toScreen: node.description.output == .screen,
                                               colour: colour, screen: screen, logPath: logPath))
            m.argv = try graph.commandLine(for: node, vlmnodeExecutable: options.vlmnodeExecutable, launch: context)
            m.environment = ProcessInfo.processInfo.environment.merging(node.description.environment) { $1 }
            m.environment[NodeWiring.environmentKey] = try graph.wiring(for: node, launch: context).jsonString()
            m.environment["VLMNODE_NAME"] = node.name
            m.environment["PYTHONUNBUFFERED"] = "1"
            if let machine = node.machine, node.isRemote {
                try prepareRemote(m, machine: machine, context: context)
            } else if node.spec == nil {
                m.argv[0] = resolveProgram(m.argv[0], node: node, environment: m.environment)
            }
            managed.append(m)
        }
        log("launch \(graph.launchID): \(managed.count) nodes, graph file \(paths.graphFile.path), logs in \(paths.logDirectory.path)")
        for topic in graph.topics {
            let from = topic.publisher ?? "(outside)"
            log("topic \(topic.name) (\(topic.type)) at \(topic.endpoint ?? "-"): \(from) -> \(topic.subscribers.joined(separator: ", "))")
        }
        writeGraphFile()
        GraphRegistry.makeCurrent(paths.graphFile, in: paths.registryDirectory)

        for m in managed where shutdownDeadline == nil { start(m) }
        loop()
        finish()
        return LaunchOutcome(exitCode: exitCode, reason: reason)
    }

    // MARK: the loop

    private func loop() {
        while true {
            reap()
            if shutdownDeadline == nil, screen.readerGone {
                if exitCode == 0 { reason = "stdout was closed" }
                beginShutdown("stdout was closed")
            }
            let now = DispatchTime.now().uptimeNanoseconds
            let running = managed.filter { $0.pid != nil }
            if let deadline = shutdownDeadline {
                if running.isEmpty { return }
                if now >= deadline, !forcedKill { killAll() }
            } else {
                for m in managed where m.pid == nil && !m.done {
                    if let at = m.respawnAt, now >= at { m.respawnAt = nil; start(m) }
                }
                if managed.allSatisfy({ $0.done }) { return }
            }
            var wake = now + 1_000_000_000
            if let deadline = shutdownDeadline, !forcedKill { wake = min(wake, deadline) }
            for m in managed { if let at = m.respawnAt { wake = min(wake, at) } }
            let timeout = Int32(clamping: (wake > now ? wake - now : 0) / 1_000_000 + 1)
            var fds = [pollfd(fd: signalFD, events: Int16(POLLIN), revents: 0)]
            for m in managed { for fd in m.pipes { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) } }
            for m in managed where m.inputFD >= 0 && !m.pendingInput.isEmpty {
                fds.append(pollfd(fd: m.inputFD, events: Int16(POLLOUT), revents: 0))
            }
            let n = poll(&fds, nfds_t(fds.count), timeout)
            guard n > 0 else { continue }
            if fds[0].revents != 0 { handleSignals() }
            for pfd in fds.dropFirst() where pfd.revents != 0 {
                if let m = managed.first(where: { $0.inputFD == pfd.fd && pfd.fd >= 0 }) { sendInput(m) } else { drain(pfd.fd) }
            }
        }
    }

    private func start(_ m: Managed) {
        do {
            let pipe = try ChildProcess.outputPipe()
            defer { close(pipe.write) }
            var input: (read: Int32, write: Int32) = (-1, -1)
            if m.node.isRemote { input = try ChildProcess.inputPipe() }
            defer { if input.read >= 0 { close(input.read) } }
            let pid: pid_t
            do {
                // A remote node's cwd is on its machine (the handover carries it).
                pid = try ChildProcess.spawn(argv: m.argv, environment: m.environment,
                                             cwd: m.node.isRemote ? nil : m.node.description.cwd,
                                             inFD: input.read, outFD: pipe.write)
            } catch {
                if input.write >= 0 { close(input.write) }
                throw error
            }
            guardian?.watch(group: pid)
            m.pid = pid
            m.pipes.append(pipe.read)
            m.output.note("started pid \(pid): \(m.argv.map(GraphRender.quoteIfNeeded).joined(separator: " "))")
            if input.write >= 0 {
                m.inputFD = input.write
                m.pendingInput = m.handover
                sendInput(m)
                log("started \(m.node.name) on \(m.node.machine?.name ?? "?") (ssh pid \(pid))")
            } else {
                log("started \(m.node.name) (pid \(pid))")
            }
        } catch {
            log("\(m.node.name): \(error)")
            m.done = true
            setExit(2, "node \(m.node.name) could not be started: \(error)")
            beginShutdown("node \(m.node.name) could not be started")
        }
        writeGraphFile()
    }

    /// Collects exited nodes; decides respawn, required shutdown or done.
    private func reap() {
        for m in managed {
            guard let pid = m.pid else { continue }
            var status: Int32 = 0
            let r = waitpid(pid, &status, WNOHANG)
            guard r == pid || (r < 0 && errno == ECHILD) else { continue }
            m.pid = nil
            closeInput(m)
            // The leader is gone: anything it left in its group goes too, so no orphans outlive it.
            kill(-pid, SIGKILL)
            guardian?.forget(group: pid)
            for fd in m.pipes { drain(fd) }
            var (text, success, _) = ChildProcess.describe(status: status)
            if m.node.isRemote, vlm_wifexited(status) != 0, vlm_wexitstatus(status) == 255 {
                text += " (ssh could not reach \(m.node.machine?.destination ?? "the machine"), or the link dropped)"
            }
            m.output.note(text)
            writeGraphFile()
            if shutdownDeadline != nil {
                log("\(m.node.name) \(text)")
                m.done = true
                // 137 = 128 + SIGKILL from `remote-node`: it had to kill the node at its deadline.
                if m.node.isRemote, vlm_wifexited(status) != 0, vlm_wexitstatus(status) == 128 + SIGKILL { killedAny = true }
                continue
            }
            let desc = m.node.description
            if desc.required {
                log("required node \(m.node.name) \(text); shutting down")
                m.done = true
                if !success { setExit(2, "required node \(m.node.name) \(text)") }
                else if exitCode == 0 { reason = "required node \(m.node.name) exited" }
                beginShutdown(nil)
            } else if desc.respawn, m.respawns < desc.respawnMax {
                m.respawns += 1
                log("\(m.node.name) \(text); respawning in \(desc.respawnDelay) s (\(m.respawns)/\(desc.respawnMax))")
                m.respawnAt = DispatchTime.now().uptimeNanoseconds + UInt64(min(max(desc.respawnDelay, 0), LaunchLimits.maxRespawnDelay) * 1e9)
            } else {
                let suffix = desc.respawn ? " (gave up after \(desc.respawnMax) respawns)" : ""
                log("\(m.node.name) \(text)\(suffix)")
                m.done = true
                if !success || desc.respawn {
                    setExit(3, "node \(m.node.name) \(text)\(suffix)")
                }
            }
        }
    }

    private func handleSignals() {
        var buf = [UInt8](repeating: 0, count: 64)
        while true {
            let n = read(signalFD, &buf, buf.count)
            guard n > 0 else { return }
            for sig in buf[..<n] where Int32(sig) != SIGCHLD {
                if shutdownDeadline != nil, Int32(sig) == SIGINT || Int32(sig) == SIGTERM {
                    log("second \(ChildProcess.signalName(Int32(sig))): killing every node now")
                    killAll()
                } else {
                    if exitCode == 0 { reason = "shut down by \(ChildProcess.signalName(Int32(sig)))" }
                    beginShutdown(ChildProcess.signalName(Int32(sig)))
                }
            }
        }
    }

    /// SIGINT to every running node's group, and a deadline for SIGKILL.
    private func beginShutdown(_ cause: String?) {
        guard shutdownDeadline == nil else { return }
        shutdownDeadline = DispatchTime.now().uptimeNanoseconds + UInt64(min(max(options.shutdownTimeout, 0), 86_400) * 1e9)
        for m in managed {
            m.respawnAt = nil
            if m.pid == nil { m.done = true }
        }
        let running = managed.compactMap(\.pid)
        if let cause { log("\(cause): stopping \(running.count) node\(running.count == 1 ? "" : "s")") }
        for m in managed {
            guard let pid = m.pid else { continue }
            // A remote node stops when its stdin closes (its side sends it SIGINT); a signal to the
            // ssh client would only cut the link and lose the node's last lines.
            if m.node.isRemote { closeInput(m) } else { kill(-pid, SIGINT) }
        }
    }

    private func killAll() {
        forcedKill = true
        for m in managed {
            guard let pid = m.pid else { continue }
            log("\(m.node.name) did not stop within \(options.shutdownTimeout) s; sending SIGKILL")
            killedAny = true
            kill(-pid, SIGKILL)
        }
    }

    private func drain(_ fd: Int32) {
        guard let m = managed.first(where: { $0.pipes.contains(fd) }) else { return }
        var buf = [UInt8](repeating: 0, count: 65536)
        // At most 1 MiB per call: a node that writes as fast as we read (`yes`) must not keep the
        // loop from signals and reaping; poll brings us back at once while there is more.
        for _ in 0..<16 {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                buf.withUnsafeBytes { m.output.append(UnsafeRawBufferPointer(rebasing: $0[..<n])) }
                continue
            }
            if n < 0, errno == EINTR { continue }
            if n < 0, errno == EAGAIN { return }
            // EOF: every writer (the node and anything it started) has closed it.
            m.output.flush()
            close(fd)
            m.pipes.removeAll { $0 == fd }
            return
        }
    }

    private func finish() {
        for m in managed {
            closeInput(m)
            for fd in m.pipes {
                drain(fd)
                if m.pipes.contains(fd) { close(fd) }
            }
            m.pipes.removeAll()
            m.output.flush()
        }
        guardian?.disarm()
        guardian = nil
        screen.drain(timeout: 1)
        screen.close()
        if killedAny, exitCode == 0 { setExit(4, "a node had to be killed after \(options.shutdownTimeout) s") }
        let paths = options.paths
        try? FileManager.default.removeItem(at: paths.graphFile)
        try? FileManager.default.removeItem(at: paths.socketDirectory)
        let link = GraphRegistry.currentLinkURL(in: paths.registryDirectory)
        if (try? FileManager.default.destinationOfSymbolicLink(atPath: link.path)) == paths.graphFile.lastPathComponent {
            unlink(link.path)
        }
        log("done: \(reason) (exit \(exitCode))")
    }

    // MARK: helpers

    /// Keeps the most serious outcome: 2 over 3 over 4 over 0.
    private func setExit(_ code: Int32, _ why: String) {
        if exitCode == 0 || code < exitCode {
            exitCode = code
            reason = why
        }
    }

    private func resolveProgram(_ program: String, node: LaunchGraph.Node, environment: [String: String]) -> String {
        if program.hasPrefix("/") { return program }
        if program.contains("/") {
            return (node.description.cwd ?? FileManager.default.currentDirectoryPath) + "/" + program
        }
        return GraphBuilder.findInPath(program, path: environment["PATH"]) ?? program
    }

    private func writeGraphFile() {
        let nodes = managed.map { m in
            LaunchGraphFile.Node(name: m.node.name, type: m.node.type, pid: m.pid, command: m.argv,
                                 inputs: m.node.inputs, outputs: m.node.outputs,
                                 logFile: options.paths.logDirectory.path + "/" + m.node.name.dropFirst().replacingOccurrences(of: "/", with: ".") + ".log")
        }
        let topics = graph.topics.map {
            LaunchGraphFile.Topic(name: $0.name, type: $0.type, endpoint: $0.endpoint, publisher: $0.publisher,
                                  subscribers: $0.subscribers)
        }
        let file = LaunchGraphFile(launchID: graph.launchID, file: graph.file, launcherPID: getpid(), startedAt: startedAt,
                                   runtimeDirectory: options.paths.socketDirectory.path,
                                   logDirectory: options.paths.logDirectory.path, nodes: nodes, topics: topics)
        try? GraphRegistry.write(file, to: options.paths.graphFile)
    }

    func log(_ text: String) {
        guard options.verbose else { return }
        FileHandle.standardError.write(Data("[launch] \(text)\n".utf8))
    }
}
