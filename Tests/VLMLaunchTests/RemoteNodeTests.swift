import Foundation
import Testing
import TestSupport
import VLMLaunch

/// `vlmnode remote-node` on its own (no ssh): the handover on stdin, the key directory, the stop
/// when stdin closes, and the refusals.
@Suite struct RemoteNodeTests {
    static let version = TwoHostNetwork.run([VLMNodeBinary.url.path, "--version"]).output
        .trimmingCharacters(in: .whitespacesAndNewlines)

    /// A running `vlmnode remote-node` with its stdin held open by the test.
    final class Remote: @unchecked Sendable {
        let process = Process()
        let input = Pipe()
        private let lock = NSLock()
        private var data = Data()
        let runtime: String

        init(handover: String) throws {
            runtime = "/tmp/vrn-\(UUID().uuidString.prefix(8))"
            process.executableURL = VLMNodeBinary.url
            process.arguments = ["remote-node"]
            var env = ProcessInfo.processInfo.environment
            env["VLMNODE_RUNTIME_DIR"] = runtime
            process.environment = env
            let out = Pipe()
            process.standardInput = input
            process.standardOutput = out
            process.standardError = out
            try process.run()
            let handle = out.fileHandleForReading
            DispatchQueue.global().async { [self] in
                while true {
                    let chunk = handle.availableData
                    if chunk.isEmpty { return }
                    lock.lock(); data.append(chunk); lock.unlock()
                }
            }
            input.fileHandleForWriting.write(Data((handover + "\n").utf8))
        }

        var output: String { lock.lock(); defer { lock.unlock() }; return String(decoding: data, as: UTF8.self) }

        func closeInput() { try? input.fileHandleForWriting.close() }

        func waitExit(timeout: Double) -> Int32? {
            guard poll(timeout: timeout, { !self.process.isRunning }) else {
                process.terminate()
                return nil
            }
            process.waitUntilExit()
            return process.terminationStatus
        }

        deinit {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            try? FileManager.default.removeItem(atPath: runtime)
        }
    }

    static func handover(argv: [String], files: [String: String] = ["ws.key": "not really a key\n"],
                         version: String = RemoteNodeTests.version) throws -> String {
        let h = RemoteHandover(vlmnodeVersion: version, node: "/far", launchID: "t1", machine: "ws", builtin: false,
                               argv: argv, environment: ["VLMNODE_NAME": "/far", "KEYFILE": "@VLMNODE_KEYS@/ws.key"],
                               cwd: nil, files: files, graceSeconds: 1)
        return String(decoding: try JSONEncoder().encode(h), as: UTF8.self)
    }

    @Test func keysGoToAFreshPrivateDirectoryThatIsGoneWhenStdinCloses() throws {
        let script = "stat -c 'dir %a' \"$(dirname \"$KEYFILE\")\"; stat -c 'file %a' \"$KEYFILE\"; cat \"$KEYFILE\"; "
            + "echo \"name $VLMNODE_NAME\"; echo \"keys $(dirname \"$KEYFILE\")\"; exec sleep 30"
        let remote = try Remote(handover: Self.handover(argv: ["sh", "-c", script]))
        #expect(poll(timeout: 20) { remote.output.contains("keys /") }, "\(remote.output)")
        #expect(remote.output.contains("dir 700\nfile 600\nnot really a key\nname /far\n"), "\(remote.output)")
        let keyDir = try #require(remote.output.split(separator: "\n").first { $0.hasPrefix("keys ") }?.dropFirst(5))
        #expect(keyDir.hasPrefix(remote.runtime + "/remote-keys-"))
        #expect(FileManager.default.fileExists(atPath: String(keyDir)))
        // The launcher closing the pipe (or the ssh link dropping) stops the node.
        remote.closeInput()
        let status = remote.waitExit(timeout: 5)
        #expect(status != nil, "remote-node did not end when its stdin closed")
        #expect(!FileManager.default.fileExists(atPath: String(keyDir)), "the key directory outlived the node")
    }

    @Test func anotherVersionIsRefused() throws {
        let remote = try Remote(handover: Self.handover(argv: ["true"], version: "0.0.1"))
        #expect(remote.waitExit(timeout: 10) == 2)
        #expect(remote.output.contains("vlmnode remote-node: the launcher runs vlmnode 0.0.1, this machine has \(RemoteNodeTests.version)"),
                "\(remote.output)")
    }

    @Test(arguments: ["../escape.key", "/etc/x.key", "a/b/c.key", "dir/..", "a b.key"])
    func fileNamesThatLeaveTheDirectoryAreRefused(_ name: String) throws {
        let remote = try Remote(handover: Self.handover(argv: ["true"], files: [name: "x"]))
        #expect(remote.waitExit(timeout: 10) == 2)
        #expect(remote.output.contains("is not a plain relative name"), "\(remote.output)")
        // Nothing was left behind either.
        let left = (try? FileManager.default.subpathsOfDirectory(atPath: remote.runtime)) ?? []
        #expect(!left.contains { $0.contains("remote-keys-") }, "\(left)")
    }

    @Test func garbageOnStdinIsOneLine() throws {
        let remote = try Remote(handover: "{not json")
        #expect(remote.waitExit(timeout: 10) == 2)
        #expect(remote.output.hasPrefix("vlmnode remote-node: handover is not valid JSON"), "\(remote.output)")
        #expect(remote.output.split(separator: "\n").count == 1)
    }
}
