import Foundation
import TestSupport
import VLMNode

/// `vlmnode launch` running in the background, with its output collected and its graph file at hand.
final class RunningLauncher: @unchecked Sendable {
    let process = Process()
    let runtime: String
    let logDir: String
    let launchID: String
    private let lock = NSLock()
    private var outData = Data(), errData = Data()
    private let readers = DispatchGroup()

    /// `wrapper`: a command that execs its arguments (`ip netns exec NS`), so `pid` is still the launcher's.
    init(file: String, arguments: [String] = [], runtime: String, wrapper: [String] = []) throws {
        self.runtime = runtime
        launchID = "t\(UUID().uuidString.prefix(6))"
        logDir = runtime + "/logs"
        let argv = ["launch", file, "--launch-id", launchID, "--log-dir", logDir] + arguments
        if let program = wrapper.first {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = Array(wrapper.dropFirst()) + [VLMNodeBinary.url.path] + argv
        } else {
            process.executableURL = VLMNodeBinary.url
            process.arguments = argv
        }
        var env = ProcessInfo.processInfo.environment
        env["VLMNODE_RUNTIME_DIR"] = runtime
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        for (handle, isOut) in [(out.fileHandleForReading, true), (err.fileHandleForReading, false)] {
            DispatchQueue.global().async(group: readers) { [self] in
                while true {
                    let chunk = handle.availableData
                    if chunk.isEmpty { return }
                    lock.lock()
                    if isOut { outData.append(chunk) } else { errData.append(chunk) }
                    lock.unlock()
                }
            }
        }
    }

    var stdout: String { lock.lock(); defer { lock.unlock() }; return String(decoding: outData, as: UTF8.self) }
    var stderr: String { lock.lock(); defer { lock.unlock() }; return String(decoding: errData, as: UTF8.self) }
    var pid: pid_t { process.processIdentifier }

    var graphFile: URL { GraphRegistry.graphFileURL(launchID: launchID, in: URL(fileURLWithPath: runtime)) }
    var graph: LaunchGraphFile? { try? GraphRegistry.read(graphFile) }

    func nodePID(_ name: String) -> pid_t? { graph?.nodes.first { $0.name == name }?.pid }

    func signal(_ sig: Int32) { kill(pid, sig) }

    /// Waits for the launcher to exit; its status, or nil on timeout (then it is killed).
    func waitExit(timeout: TimeInterval) -> Int32? {
        guard poll(timeout: timeout, { !self.process.isRunning }) else {
            kill(pid, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        process.waitUntilExit()
        readers.wait()
        return process.terminationReason == .exit ? process.terminationStatus : 128 + process.terminationStatus
    }
}

/// Polls `condition` every 20 ms until it holds or `timeout` passes.
@discardableResult
func poll(timeout: TimeInterval, _ condition: () -> Bool) -> Bool {
    let end = Date().addingTimeInterval(timeout)
    while Date() < end {
        if condition() { return true }
        usleep(20_000)
    }
    return condition()
}

/// True when `pid` no longer runs. A zombie counts as gone: once the launcher has exited, reaping
/// its orphans is init's job.
func processGone(_ pid: pid_t) -> Bool {
    if kill(pid, 0) != 0 { return errno == ESRCH }
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return true }
    return stat[stat.index(close, offsetBy: 2)] == "Z"
}

/// Pids printed by test scripts as `pid NAME NUMBER` lines.
func printedPIDs(_ text: String) -> [pid_t] {
    text.split(separator: "\n").compactMap { line in
        let words = line.split(separator: " ")
        guard let i = words.firstIndex(of: "pid"), i + 2 < words.count else { return nil }
        return pid_t(words[i + 2])
    }
}
