import Foundation

/// The discovery file a running launcher keeps at `GraphRegistry.path(launchID:)`: every topic with
/// its type, endpoint, publisher and subscribers, and every node with its pid. Documented in
/// docs/launch.md; outside programs (any language) read it as plain JSON.
public struct LaunchGraphFile: Sendable, Hashable, Codable {
    public static let currentVersion = 1

    public struct Node: Sendable, Hashable, Codable {
        public var name: String
        public var type: String
        /// Current pid, nil while the node is not running (waiting to respawn, exited).
        public var pid: Int32?
        public var command: [String]
        public var inputs: [String: TopicBinding]
        public var outputs: [String: TopicBinding]
        public var logFile: String?

        public init(name: String, type: String, pid: Int32?, command: [String],
                    inputs: [String: TopicBinding], outputs: [String: TopicBinding], logFile: String?) {
            self.name = name
            self.type = type
            self.pid = pid
            self.command = command
            self.inputs = inputs
            self.outputs = outputs
            self.logFile = logFile
        }

        enum CodingKeys: String, CodingKey {
            case name, type, pid, command, inputs, outputs, logFile = "log_file"
        }

        /// Writes `"pid": null` rather than leaving the key out: readers in other languages index it.
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .name)
            try c.encode(type, forKey: .type)
            try c.encode(pid, forKey: .pid)
            try c.encode(command, forKey: .command)
            try c.encode(inputs, forKey: .inputs)
            try c.encode(outputs, forKey: .outputs)
            try c.encode(logFile, forKey: .logFile)
        }
    }

    public struct Topic: Sendable, Hashable, Codable {
        public var name: String
        public var type: String
        public var endpoint: String?
        /// Node name of the publisher. Nil when the topic is published from outside the launch:
        /// then its (single) subscriber binds `endpoint` and outside programs connect a PUB socket.
        public var publisher: String?
        public var subscribers: [String]

        public init(name: String, type: String, endpoint: String?, publisher: String?, subscribers: [String]) {
            self.name = name
            self.type = type
            self.endpoint = endpoint
            self.publisher = publisher
            self.subscribers = subscribers
        }

        enum CodingKeys: String, CodingKey { case name, type, endpoint, publisher, subscribers }

        /// Writes `"publisher": null` (a topic fed from outside) rather than leaving the key out.
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .name)
            try c.encode(type, forKey: .type)
            try c.encode(endpoint, forKey: .endpoint)
            try c.encode(publisher, forKey: .publisher)
            try c.encode(subscribers, forKey: .subscribers)
        }
    }

    public var version: Int
    public var launchID: String
    /// The launch file that was started.
    public var file: String
    public var launcherPID: Int32
    /// Seconds since 1970.
    public var startedAt: Double
    public var runtimeDirectory: String
    public var logDirectory: String
    public var nodes: [Node]
    public var topics: [Topic]

    public init(launchID: String, file: String, launcherPID: Int32, startedAt: Double,
                runtimeDirectory: String, logDirectory: String, nodes: [Node], topics: [Topic]) {
        self.version = Self.currentVersion
        self.launchID = launchID
        self.file = file
        self.launcherPID = launcherPID
        self.startedAt = startedAt
        self.runtimeDirectory = runtimeDirectory
        self.logDirectory = logDirectory
        self.nodes = nodes
        self.topics = topics
    }

    enum CodingKeys: String, CodingKey {
        case version, file, nodes, topics
        case launchID = "launch_id", launcherPID = "launcher_pid", startedAt = "started_at"
        case runtimeDirectory = "runtime_dir", logDirectory = "log_dir"
    }

    public func topic(named name: String) -> Topic? { topics.first { $0.name == name } }

    /// Whether the launcher that wrote this file is still alive (a SIGKILLed launcher leaves its file).
    public var isLive: Bool { kill(launcherPID, 0) == 0 || errno == EPERM }
}
