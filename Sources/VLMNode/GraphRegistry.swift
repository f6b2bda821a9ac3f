import Foundation

/// Where running launchers publish their graphs, and how outside programs find a topic's endpoint.
///
/// Layout (documented in docs/launch.md):
/// - directory: `$VLMNODE_RUNTIME_DIR`, else `$XDG_RUNTIME_DIR/vlmnode`, else `/tmp/vlmnode-<uid>`
/// - one file per running launch: `<directory>/graph-<launch id>.json` (written atomically)
/// - `<directory>/current.json`: a symlink to the most recently started launch's file
/// - per-launch sockets: `<directory>/<launch id>/` (ipc endpoints)
public enum GraphRegistry {
    /// The well-known directory for this user, from `environment`.
    public static func directory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let dir = environment["VLMNODE_RUNTIME_DIR"], !dir.isEmpty {
            return URL(fileURLWithPath: dir, isDirectory: true)
        }
        if let xdg = environment["XDG_RUNTIME_DIR"], !xdg.isEmpty {
            return URL(fileURLWithPath: xdg, isDirectory: true).appendingPathComponent("vlmnode", isDirectory: true)
        }
        return URL(fileURLWithPath: "/tmp/vlmnode-\(getuid())", isDirectory: true)
    }

    /// Why `directory` must not be used, or nil: like ssh with `~/.ssh`, it must be a real directory
    /// (not a symlink) owned by this user and writable by nobody else, since others could plant
    /// graph files there (pointing tools at their endpoints) or replace our sockets. A missing
    /// directory is fine (it is created 0700).
    public static func ownershipProblem(of directory: URL) -> String? {
        var st = stat()
        guard lstat(directory.path, &st) == 0 else { return nil }
        let fix = "(remove it, or `chmod 700` it if it is yours, or set VLMNODE_RUNTIME_DIR)"
        if (st.st_mode & S_IFMT) != S_IFDIR { return "runtime directory \(directory.path) is not a directory \(fix)" }
        if st.st_uid != getuid() { return "runtime directory \(directory.path) belongs to uid \(st.st_uid), not to you (uid \(getuid())) \(fix)" }
        if st.st_mode & 0o022 != 0 {
            return "runtime directory \(directory.path) is writable by others (mode \(String(st.st_mode & 0o777, radix: 8))) \(fix)"
        }
        return nil
    }

    public static func graphFileURL(launchID: String, in directory: URL) -> URL {
        directory.appendingPathComponent("graph-\(launchID).json")
    }

    public static func currentLinkURL(in directory: URL) -> URL {
        directory.appendingPathComponent("current.json")
    }

    /// Reads one graph file.
    public static func read(_ url: URL) throws -> LaunchGraphFile {
        try JSONDecoder().decode(LaunchGraphFile.self, from: Data(contentsOf: url))
    }

    /// Writes `graph` atomically (temp file + rename) so readers never see half a file.
    public static func write(_ graph: LaunchGraphFile, to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        try encoder.encode(graph).write(to: url, options: .atomic)
    }

    /// Points `current.json` at `url` (replacing the previous link).
    public static func makeCurrent(_ url: URL, in directory: URL) {
        let link = currentLinkURL(in: directory)
        let temp = directory.appendingPathComponent(".current-\(getpid())")
        unlink(temp.path)
        guard symlink(url.lastPathComponent, temp.path) == 0 else { return }
        rename(temp.path, link.path)
    }

    /// Graphs of launchers that are still alive: the current one first, then newest first.
    public static func running(environment: [String: String] = ProcessInfo.processInfo.environment) -> [LaunchGraphFile] {
        let dir = directory(environment: environment)
        if let problem = ownershipProblem(of: dir) {
            // Graph files there could be anyone's: trust none of them.
            FileHandle.standardError.write(Data("warning: ignoring running launches: \(problem)\n".utf8))
            return []
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        var graphs = names.filter { $0.hasPrefix("graph-") && $0.hasSuffix(".json") }
            .compactMap { try? read(dir.appendingPathComponent($0)) }
            .filter(\.isLive)
            .sorted { $0.startedAt > $1.startedAt }
        if let current = try? read(currentLinkURL(in: dir)), current.isLive,
           let index = graphs.firstIndex(where: { $0.launchID == current.launchID }) {
            graphs.insert(graphs.remove(at: index), at: 0)
        }
        return graphs
    }

    /// Removes graph files whose launcher is gone (a SIGKILLed launcher cannot clean up), with
    /// their socket directories, and a dangling `current.json`. Returns the launch ids removed.
    @discardableResult
    public static func removeStale(environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        let dir = directory(environment: environment)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        var removed: [String] = []
        for name in names where name.hasPrefix("graph-") && name.hasSuffix(".json") {
            let url = dir.appendingPathComponent(name)
            guard let graph = try? read(url), !graph.isLive else { continue }
            try? FileManager.default.removeItem(at: url)
            // Only a directory the launcher made for its sockets, never a user's folder.
            if URL(fileURLWithPath: graph.runtimeDirectory).deletingLastPathComponent().standardizedFileURL.path
                == dir.standardizedFileURL.path {
                try? FileManager.default.removeItem(atPath: graph.runtimeDirectory)
            }
            removed.append(graph.launchID)
        }
        let link = currentLinkURL(in: dir)
        if (try? FileManager.default.destinationOfSymbolicLink(atPath: link.path)) != nil,
           !FileManager.default.fileExists(atPath: link.path) {
            unlink(link.path)
        }
        return removed
    }

    /// The current live graph, if any.
    public static func current(environment: [String: String] = ProcessInfo.processInfo.environment) -> LaunchGraphFile? {
        running(environment: environment).first
    }

    /// The topic named `topic` in a running graph (the current launch first), with its endpoint:
    /// what `vlmnode topic echo/hz TOPIC` use when given a topic name alone.
    public static func lookup(topic: String,
                              environment: [String: String] = ProcessInfo.processInfo.environment) -> LaunchGraphFile.Topic? {
        for graph in running(environment: environment) {
            if let found = graph.topic(named: topic) { return found }
        }
        return nil
    }

    /// Like `lookup(topic:)`, but a missing topic (or one without an endpoint) is an error that says
    /// where it looked: what topic tools print when given a topic name alone.
    public static func resolve(topic: String,
                               environment: [String: String] = ProcessInfo.processInfo.environment) throws -> LaunchGraphFile.Topic {
        let graphs = running(environment: environment)
        guard let found = graphs.lazy.compactMap({ $0.topic(named: topic) }).first else {
            let dir = directory(environment: environment).path
            if graphs.isEmpty {
                throw NodeWiringError("topic \(topic): no running launch (no graph file in \(dir)); give --connect ENDPOINT")
            }
            let known = Set(graphs.flatMap { $0.topics.map(\.name) }).sorted()
            throw NodeWiringError("topic \(topic) is not in the running launch\(graphs.count == 1 ? "" : "es") (topics: \(known.joined(separator: ", ")))")
        }
        guard found.endpoint != nil else {
            throw NodeWiringError("topic \(topic) has no endpoint in the running launch")
        }
        return found
    }
}
