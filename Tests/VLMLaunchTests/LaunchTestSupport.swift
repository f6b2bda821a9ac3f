import Foundation
import TestSupport
import VLMLaunch
import VLMPlugins

/// A set of launch files written to a fresh directory; `main.launch` is the one loaded.
struct LaunchFiles: Sendable {
    let directory: URL
    /// A short runtime dir (ipc paths have a 107-byte limit) private to this test.
    let runtime: String

    init(_ files: [String: String]) throws {
        BuiltInPlugins.registerAll()  // the plugins' node types, as the vlmnode executable registers them
        directory = try makeTemporaryDirectory("launch")
        runtime = "/tmp/vlt-\(UUID().uuidString.prefix(8))"
        for (name, text) in files {
            try FileManager.default.createDirectory(at: directory.appendingPathComponent(name).deletingLastPathComponent(),
                                                    withIntermediateDirectories: true)
            try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
    }

    var main: String { directory.appendingPathComponent("main.launch").path }
    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["VLMNODE_RUNTIME_DIR"] = runtime
        env["VLT_SET"] = "from-env"
        env.removeValue(forKey: "VLT_UNSET")
        return env
    }

    func load(_ overrides: [String: String] = [:]) throws -> LaunchGraph {
        let paths = LaunchPaths(file: main, launchID: "t", environment: environment)
        return try LaunchLoader.load(file: main, overrides: overrides, paths: paths, environment: environment)
    }

    /// The error text a failing load produces, with this directory's path written as `DIR`.
    func errorText(_ overrides: [String: String] = [:]) -> String? {
        do {
            _ = try load(overrides)
            return nil
        } catch {
            return "\(error)".replacingOccurrences(of: directory.path, with: "DIR")
        }
    }
}

extension LaunchGraph {
    func node(_ name: String) -> LaunchGraph.Node? { nodes.first { $0.name == name } }
    func topic(_ name: String) -> LaunchGraph.Topic? { topics.first { $0.name == name } }
}
