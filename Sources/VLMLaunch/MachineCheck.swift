import Foundation

/// `vlmnode launch --check` for machines: each machine that runs a node is reached with the same
/// ssh command the launch would use, and must answer `vlmnode --version` with the launcher's
/// version. One line per machine; problems are `file:line: machine 'x': …` errors.
public struct MachineCheck {
    public var ssh: SSHSettings
    public var version: String
    /// Seconds per machine before the check gives up on it.
    public var timeout: Double = 20

    public init(ssh: SSHSettings, version: String) {
        self.ssh = ssh
        self.version = version
    }

    /// Report lines for the machines that pass; throws every problem at once.
    public func check(_ graph: LaunchGraph) throws -> [String] {
        var used: [String: MachineDescription] = [:]
        for node in graph.nodes where node.isRemote { if let m = node.machine { used[m.name] = m } }
        var lines: [String] = [], errors: [LaunchError] = []
        for machine in used.values.sorted(by: { $0.name < $1.name }) {
            let words = (machine.envLoader.map { [$0] } ?? []) + [machine.vlmnode ?? "vlmnode", "--version"]
            let argv = ssh.argv(for: machine, remote: words)
            let (status, output) = Self.run(argv, timeout: timeout)
            let text = output.trimmingCharacters(in: .whitespacesAndNewlines)
            let last = text.split(separator: "\n").last.map(String.init) ?? ""
            let target = "\(machine.destination)\(machine.port.map { " port \($0)" } ?? "")"
            if status == nil {
                errors.append(LaunchError("machine '\(machine.name)': ssh \(target) did not answer within \(Int(timeout)) s", at: machine.location))
            } else if status == 255 {
                errors.append(LaunchError("machine '\(machine.name)': ssh \(target) failed: \(last.isEmpty ? "exit 255" : last)", at: machine.location))
            } else if status != 0 {
                errors.append(LaunchError("machine '\(machine.name)': \(machine.vlmnode ?? "vlmnode") is not runnable on \(target) (exit \(status!)\(last.isEmpty ? "" : ": " + last))",
                                          at: machine.location))
            } else if last != version {
                errors.append(LaunchError("machine '\(machine.name)': \(target) has vlmnode \(last), this launcher is \(version); install the same version",
                                          at: machine.location))
            } else {
                lines.append("machine \(machine.name): \(target) reachable, vlmnode \(last)")
            }
        }
        if !errors.isEmpty { throw LaunchValidationError(errors) }
        return lines
    }

    /// Runs `argv` with stdin from /dev/null; nil status when it did not end in time (then killed).
    static func run(_ argv: [String], timeout: Double) -> (Int32?, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: GraphBuilder.findInPath(argv[0], path: ProcessInfo.processInfo.environment["PATH"]) ?? argv[0])
        process.arguments = Array(argv.dropFirst())
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { return (127, "\(error)") }
        let collected = OutputBox()
        let reader = Thread {
            collected.data = pipe.fileHandleForReading.readDataToEndOfFile()
            collected.done.signal()
        }
        reader.start()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            _ = collected.done.wait(timeout: .now() + 2)
            return (nil, "")
        }
        process.waitUntilExit()
        _ = collected.done.wait(timeout: .now() + 5)
        return (process.terminationStatus, String(decoding: collected.data, as: UTF8.self))
    }
}

private final class OutputBox: @unchecked Sendable {
    var data = Data()
    let done = DispatchSemaphore(value: 0)
}
