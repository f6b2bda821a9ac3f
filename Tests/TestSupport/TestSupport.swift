import Foundation

/// Shared helpers for every test target: committed fixtures, the built `vlmnode` binary, temp dirs.
public enum Fixtures {
    /// `Tests/Fixtures` in the source tree.
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures", isDirectory: true)

    /// A path below `Tests/Fixtures`, e.g. `Fixtures.url("models/clip-tiny-old")`.
    public static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }
}

/// What a finished child process left behind.
public struct ProcessResult: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
}

public enum VLMNodeBinary {
    /// The build products folder (where both the test bundle and `vlmnode` are built).
    public static var productsDirectory: URL {
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        // macOS runs tests from inside an .xctest bundle; step out of it.
        while dir.pathExtension == "xctest" || dir.lastPathComponent == "MacOS" || dir.lastPathComponent == "Contents" {
            dir = dir.deletingLastPathComponent()
        }
        return dir
    }

    /// The `vlmnode` executable built alongside the tests.
    public static var url: URL { productsDirectory.appendingPathComponent("vlmnode") }

    /// Runs `vlmnode args…` to completion (killed after `timeout` seconds) and captures its output.
    public static func run(_ args: [String], environment: [String: String]? = nil,
                           timeout: TimeInterval = 120) throws -> ProcessResult {
        try runProcess(url, args, environment: environment, timeout: timeout)
    }
}

/// Runs any program to completion, capturing stdout and stderr (read concurrently, so a chatty
/// child never blocks on a full pipe). The child is killed if it outlives `timeout`.
public func runProcess(_ executable: URL, _ args: [String], environment: [String: String]? = nil,
                       timeout: TimeInterval = 120) throws -> ProcessResult {
    let process = Process()
    process.executableURL = executable
    process.arguments = args
    if let environment {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let group = DispatchGroup()
    nonisolated(unsafe) var outData = Data(), errData = Data()
    DispatchQueue.global().async(group: group) { outData = out.fileHandleForReading.readDataToEndOfFile() }
    DispatchQueue.global().async(group: group) { errData = err.fileHandleForReading.readDataToEndOfFile() }
    let deadline = DispatchTime.now() + timeout
    if group.wait(timeout: deadline) == .timedOut {
        // SIGKILL, not terminate(): children started from test threads can inherit a signal mask
        // that blocks SIGTERM, and a child that ignores it would hang the test forever.
        kill(process.processIdentifier, SIGKILL)
        group.wait()
    }
    process.waitUntilExit()
    return ProcessResult(status: process.terminationStatus,
                         stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
}

/// A fresh, empty temporary directory (removed by the OS's tmp cleaning, not by the test).
public func makeTemporaryDirectory(_ label: String = "vlmnode-test") throws -> URL {
    let dir = FileManager.default.temporaryDirectory
        .appendingPathComponent("\(label)-\(UUID().uuidString.prefix(8))", isDirectory: true)
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}


extension VLMNodeBinary {
    /// Starts `vlmnode args…` in the background with stdout and stderr going to `log`.
    public static func start(_ args: [String], log: URL, environment: [String: String]? = nil) throws -> Process {
        let p = Process()
        p.executableURL = url
        p.arguments = args
        if let environment {
            p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        FileManager.default.createFile(atPath: log.path, contents: nil)
        p.standardOutput = try FileHandle(forWritingTo: log)
        p.standardError = p.standardOutput
        p.standardInput = FileHandle.nullDevice
        try p.run()
        return p
    }
}

/// Background processes a test started: interrupted, reaped, and their folder removed when the test
/// lets go of this object, even when an expectation failed halfway.
public final class RunningProcesses {
    public let processes: [Process]
    public let dir: URL

    public init(_ processes: [Process], dir: URL) { (self.processes, self.dir) = (processes, dir) }

    deinit {
        for p in processes where p.isRunning { p.interrupt() }
        for p in processes { p.waitUntilExit() }
        try? FileManager.default.removeItem(at: dir)
    }
}

/// Replay interval errors (ms) in a test: only gross faults fail it (p50 < 5 ms, p95 < 50 ms), because
/// tests run in parallel with each other and share the machine. The exact schedule is tested on a
/// virtual clock; the real-time figure (target p95 < 2 ms) is a benchmark: `vlmnode bag bench-record`.
public func timingVerdict(_ errors: [Double]) -> (ok: Bool, message: String) {
    let s = errors.sorted()
    let p50 = s[s.count / 2], p95 = s[min(s.count - 1, Int(Double(s.count) * 0.95))]
    return (p50 < 5.0 && p95 < 50.0, String(format: "p50 %.3f ms, p95 %.3f ms (gross-fault bounds: p50 < 5 ms, p95 < 50 ms)", p50, p95))
}
