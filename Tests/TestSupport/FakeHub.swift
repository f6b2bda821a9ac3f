import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A loopback stand-in for huggingface.co (Tests/Support/fake_hub_server.py, python3 stdlib only)
/// serving fixture folders as hub repositories. Stopped in deinit.
///
///     let hub = try FakeHub(repos: ["test-org/clip-tiny": Fixtures.url("models/clip-tiny-new")])
///     // HF_ENDPOINT = hub.endpoint; hub.commit("test-org/clip-tiny"); hub.requests()
public final class FakeHub {
    public let endpoint: URL
    public let logURL: URL
    private let manifest: [String: Any]
    private let process: Process

    public static let script = Fixtures.root.deletingLastPathComponent().appendingPathComponent("Support/fake_hub_server.py")

    /// Starts the server; `token` makes the repositories gated (401 without `Bearer token`).
    /// `cutAfter` makes the first full download of a weight file stop after that many bytes.
    public init(repos: [String: URL], token: String? = nil, cutAfter: Int? = nil) throws {
        let dir = try makeTemporaryDirectory("fake-hub")
        let ready = dir.appendingPathComponent("ready.json")
        logURL = dir.appendingPathComponent("requests.jsonl")
        var args = [Self.script.path, "--ready-file", ready.path, "--log", logURL.path]
        for (repo, folder) in repos.sorted(by: { $0.key < $1.key }) { args += ["--repo", "\(repo)=\(folder.path)"] }
        if let token { args += ["--token", token] }
        if let cutAfter { args += ["--cut-after", String(cutAfter)] }
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + args
        process.standardOutput = FileHandle.nullDevice
        let errors = dir.appendingPathComponent("stderr.txt")
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        let deadline = Date().addingTimeInterval(15)
        while !FileManager.default.fileExists(atPath: ready.path) {
            if !process.isRunning || Date() > deadline {
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                let text = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
                throw FakeHubError(message: "fake hub did not start: \(text)")
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: ready)) as? [String: Any] ?? [:]
        manifest = object
        let port = object["port"] as? Int ?? 0
        endpoint = URL(string: "http://127.0.0.1:\(port)")!
    }

    deinit { stop() }

    /// SIGKILL, not terminate(): children spawned from test threads inherit a signal mask that
    /// blocks SIGTERM, so a SIGTERM would stay pending forever.
    public func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    private func repo(_ id: String) -> [String: Any] {
        (manifest["repos"] as? [String: Any])?[id] as? [String: Any] ?? [:]
    }

    /// The commit hash the server reports for `repo`.
    public func commit(_ repo: String) -> String { self.repo(repo)["commit"] as? String ?? "" }

    /// The etag (blob name in the cache) of `file`: sha256 for weight files, git blob sha1 otherwise.
    public func etag(_ repo: String, _ file: String) -> String {
        ((self.repo(repo)["files"] as? [String: Any])?[file] as? [String: Any])?["etag"] as? String ?? ""
    }

    /// Every request served so far: method, path, range, authorization, status, bytes.
    public func requests() -> [[String: Any]] {
        guard let text = try? String(contentsOf: logURL, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }
}

public struct FakeHubError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
