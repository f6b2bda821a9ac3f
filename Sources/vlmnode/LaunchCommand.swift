import ArgumentParser
import Foundation
import VLMBus
import VLMLaunch

/// `vlmnode launch FILE [name:=value…] [--check]`: parse, expand, validate, then run and supervise.
/// `FILE` is a path or a name looked up like a command (`LaunchSearchPath`); `--list` shows them all.
struct LaunchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "launch",
        abstract: "Start and supervise a graph of nodes from a launch file (docs/launch.md).",
        discussion: """
            FILE is a path, or a name (with or without .launch) looked up in the current directory, then \
            each directory of VLMNODE_LAUNCH_PATH (colon-separated), then PREFIX/share/vlmnode/launch next \
            to this binary, then the Launch/ folder of the source checkout it was built from; --list shows \
            every file found.

            Exit status: 0 clean shutdown, 1 launch file error (nothing started), 2 a required node \
            failed or a node could not start, 3 a node failed, 4 a node had to be SIGKILLed at shutdown.
            """)

    @Argument(help: "The launch file: a path, or a name such as pick_place.launch or pick_place.",
              completion: LaunchFileLookup.completion)
    var file: String?

    @Argument(help: "Arg overrides, name:=value.")
    var overrides: [String] = []

    @Flag(help: "Parse, expand and validate only; print the graph and start nothing.")
    var check = false

    @Flag(help: "List every launch file found by name: where, its args and their docs, shadowed copies.")
    var list = false

    @Option(help: "Seconds between SIGINT and SIGKILL when stopping nodes.")
    var shutdownTimeout: Double = 3

    @Option(help: "Directory for per-node log files (default: ~/.local/state/vlmnode/log/<launch id>).")
    var logDir: String?

    @Option(help: "Launch id (default: <file stem>-<pid>); names the graph file and socket directory.")
    var launchID: String?

    @Option(help: ArgumentHelp("ssh config file for reaching <machine>s (ssh -F).", valueName: "file"))
    var sshConfig: String?

    @Option(help: "First tcp port of topics that cross machines (one port per such topic, upwards).")
    var tcpPortBase: Int = GraphBuilder.defaultTCPPortBase

    @Flag(help: "With --check: do not reach the machines over ssh (checks the file only).")
    var offline = false

    func run() throws {
        if list {
            guard file == nil else {
                printError("--list takes no launch file")
                throw ExitCode(1)
            }
            print(LaunchFileLookup.listing(), terminator: "")
            return
        }
        guard let name = file else {
            printError("give a launch file (a path or a name such as pick_place.launch), or --list to see them")
            throw ExitCode(1)
        }
        if let launchID, launchID.isEmpty || !launchID.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) {
            printError("--launch-id '\(launchID)' may only use letters, digits, '_' and '-'")
            throw ExitCode(1)
        }
        // Shared-memory frame rings left by SIGKILLed publishers of an earlier run (docs/protocol.md §8).
        SharedMemoryJanitor.reclaimStale()
        let file: String
        do { file = try LaunchFileLookup.resolve(name) } catch {
            printError(error)
            throw ExitCode(1)
        }
        let paths = LaunchPaths(file: file, launchID: launchID, logDirectory: logDir.map { URL(fileURLWithPath: $0) })
        let graph: LaunchGraph
        do {
            guard (1...65535).contains(tcpPortBase) else { throw CLIError("--tcp-port-base must be from 1 to 65535") }
            graph = try LaunchLoader.load(file: file, overrides: try LaunchLoader.parseOverrides(overrides), paths: paths,
                                          tcpPortBase: tcpPortBase)
        } catch {
            printError(error)
            throw ExitCode(1)
        }
        let executable = CurrentExecutable.path
        let ssh = SSHSettings(configFile: sshConfig)
        if check {
            print(GraphRender.text(graph, vlmnodeExecutable: executable), terminator: "")
            guard !offline else { return }
            do {
                for line in try MachineCheck(ssh: ssh, version: VLMNodeCommand.version).check(graph) { print(line) }
            } catch {
                printError(error)
                throw ExitCode(1)
            }
            return
        }
        guard shutdownTimeout >= 0, shutdownTimeout.isFinite else {
            printError("--shutdown-timeout must be a non-negative number of seconds")
            throw ExitCode(1)
        }
        var options = SupervisorOptions(vlmnodeExecutable: executable, paths: paths)
        options.shutdownTimeout = shutdownTimeout
        options.ssh = ssh
        options.vlmnodeVersion = VLMNodeCommand.version
        // Each node's parent-death signal is tied to the thread that spawned it: supervise on a
        // thread of our own that lives exactly as long as the launch.
        let settings = options
        let box = OutcomeBox()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            do { box.result = .success(try Supervisor(graph: graph, options: settings).run()) }
            catch { box.result = .failure(error) }
            done.signal()
        }
        thread.stackSize = 1 << 22
        thread.start()
        done.wait()
        switch box.result {
        case .success(let outcome)?:
            if outcome.exitCode != 0 { throw ExitCode(outcome.exitCode) }
        case .failure(let error)?:
            printError(error)
            throw ExitCode(2)
        case nil:
            throw ExitCode(2)
        }
    }
}

private final class OutcomeBox: @unchecked Sendable {
    var result: Result<LaunchOutcome, Error>?
}

/// The running `vlmnode` binary: built-in nodes are started as `<this binary> source …`.
enum CurrentExecutable {
    static var path: String {
        if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return resolved }
        return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
    }
}

/// One line on stderr, prefixed with the program name.
func printError(_ error: Any) {
    FileHandle.standardError.write(Data("vlmnode: \(error)\n".utf8))
}
