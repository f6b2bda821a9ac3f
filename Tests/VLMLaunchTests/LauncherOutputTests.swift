import Foundation
import Testing
import TestSupport
import VLMNode

/// The launcher's stdout may be a pipe nobody reads, or one whose reader goes away (issue 15,
/// finding 6): neither may keep it from handling signals or leave nodes running.
@Suite struct LauncherOutputTests {
    /// Starts `vlmnode launch` on a chatty graph with stdout on a pipe of ours (close-on-exec, so
    /// no other child of the test process holds it). Returns the process and the pipe's read end.
    func startChatty() throws -> (Process, Int32, RunningPaths) {
        let files = try LaunchFiles(["main.launch": """
            <launch>
              <node name="chatty" type="exec" args="yes chatter"/>
            </launch>
            """])
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let process = Process()
        process.executableURL = VLMNodeBinary.url
        let launchID = "o\(UUID().uuidString.prefix(6))"
        process.arguments = ["launch", files.main, "--launch-id", launchID]
        process.environment = files.environment
        process.standardOutput = FileHandle(fileDescriptor: fds[1], closeOnDealloc: false)
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        close(fds[1])
        return (process, fds[0], RunningPaths(runtime: files.runtime, launchID: launchID))
    }

    struct RunningPaths {
        let runtime: String
        let launchID: String
        var nodePID: pid_t? {
            let url = GraphRegistry.graphFileURL(launchID: launchID, in: URL(fileURLWithPath: runtime))
            return (try? GraphRegistry.read(url))?.nodes.first?.pid
        }
    }

    func waitExit(_ process: Process, timeout: TimeInterval) -> Bool {
        if poll(timeout: timeout, { !process.isRunning }) { return true }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return false
    }

    @Test func sigintStopsALaunchWhoseStdoutIsNotRead() throws {
        let (process, readEnd, paths) = try startChatty()
        defer { close(readEnd) }
        #expect(poll(timeout: 15) { paths.nodePID != nil })
        let node = try #require(paths.nodePID)
        usleep(500_000)  // the pipe is full by now: `yes` fills 64 KiB in microseconds
        kill(process.processIdentifier, SIGINT)
        // Was still running 15 s after two SIGINTs; now the node stops within its grace period.
        #expect(waitExit(process, timeout: 15), "the launcher ignored SIGINT with stdout blocked")
        #expect(process.terminationReason == .exit)
        #expect(poll(timeout: 5) { processGone(node) }, "node \(node) outlived the launcher")
    }

    @Test func closingStdoutEndsTheLaunchCleanly() throws {
        // `vlmnode launch chatty.launch | head -1`
        let (process, readEnd, paths) = try startChatty()
        var byte: UInt8 = 0
        var line: [UInt8] = []
        while read(readEnd, &byte, 1) == 1, byte != UInt8(ascii: "\n") { line.append(byte) }
        #expect(String(decoding: line, as: UTF8.self) == "[chatty] chatter")
        let node = paths.nodePID
        close(readEnd)
        #expect(waitExit(process, timeout: 15), "the launcher kept running after its reader left (EPIPE ignored)")
        #expect(process.terminationStatus == 0, "a closed stdout is a clean end")
        if let node { #expect(poll(timeout: 5) { processGone(node) }, "node \(node) outlived the launcher") }
    }
}
