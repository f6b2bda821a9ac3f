import Foundation

/// One topic as a node sees it: the resolved name (after namespace and remaps), the message type and
/// the ZeroMQ endpoint. Outputs bind their endpoint. Inputs connect to the publisher's endpoint,
/// except an input whose topic has no publisher in the launch: that node binds its SUB socket
/// (`bind` true) so outside programs can publish into it by connecting a PUB socket.
public struct TopicBinding: Sendable, Hashable, Codable {
    /// Fully resolved topic name, e.g. `/robot/camera/image`. Also the ZeroMQ topic frame.
    public var topic: String
    /// Message type, e.g. `vlm/Frame`; `any` when the node accepts every type.
    public var type: String
    /// `ipc://…` or `tcp://…`.
    public var endpoint: String?
    /// Whether this node binds the endpoint (every output; an input fed from outside the launch).
    public var bind: Bool
    /// CURVE keys (file paths) or `insecure` for this port's socket; nil: plain ZeroMQ, loopback
    /// or ipc only (`PortSecurity`, docs/multi-host.md). Left out of the JSON when nil.
    public var security: PortSecurity?

    public init(topic: String, type: String, endpoint: String?, bind: Bool, security: PortSecurity? = nil) {
        self.topic = topic
        self.type = type
        self.endpoint = endpoint
        self.bind = bind
        self.security = security
    }

    enum CodingKeys: String, CodingKey { case topic, type, endpoint, bind, security }

    /// Writes `"endpoint": null` rather than leaving the key out: readers in other languages index it.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(topic, forKey: .topic)
        try c.encode(type, forKey: .type)
        try c.encode(endpoint, forKey: .endpoint)
        try c.encode(bind, forKey: .bind)
        try c.encodeIfPresent(security, forKey: .security)
    }
}

/// Where a launched node came from, so it can find the graph file and its log directory.
public struct LaunchContext: Sendable, Hashable, Codable {
    public var launchID: String
    public var launcherPID: Int32
    public var graphFile: String
    public var logDirectory: String

    public init(launchID: String, launcherPID: Int32, graphFile: String, logDirectory: String) {
        self.launchID = launchID
        self.launcherPID = launcherPID
        self.graphFile = graphFile
        self.logDirectory = logDirectory
    }

    enum CodingKeys: String, CodingKey {
        case launchID = "launch_id", launcherPID = "launcher_pid", graphFile = "graph_file"
        case logDirectory = "log_dir"
    }
}

/// Everything a launcher hands a node process: its name, parameters and topic wiring.
///
/// The handover is one environment variable, `VLMNODE_WIRING`, holding this struct as one JSON
/// object (documented in docs/launch.md). Built-in nodes decode it with `fromEnvironment()`; an
/// `exec` node in any language reads the same JSON:
/// ```json
/// {"version": 1, "name": "/robot/detector", "namespace": "/robot", "type": "detect",
///  "params": {"queries": ["red cup", "blue bowl"], "threshold": 0.1},
///  "inputs":  {"image": {"topic": "/camera/image", "type": "vlm/Frame", "endpoint": "ipc:///…", "bind": false}},
///  "outputs": {"detections": {"topic": "/robot/detections", "type": "vlm/Detections", "endpoint": "tcp://0.0.0.0:7001",
///              "bind": true, "security": {"identity": "/keys/ws.key", "authorized": "/keys/authorized"}}},
///  "launch": {"launch_id": "…", "launcher_pid": 123, "graph_file": "…", "log_dir": "…"}}
/// ```
public struct NodeWiring: Sendable, Hashable, Codable {
    /// The environment variable that carries the JSON.
    public static let environmentKey = "VLMNODE_WIRING"
    /// Version of this JSON shape; bumped on incompatible changes.
    public static let currentVersion = 1

    public var version: Int
    /// Fully qualified node name, e.g. `/robot/detector`.
    public var name: String
    /// The node's namespace, `/` at the root.
    public var namespace: String
    /// Built-in type name (`source`, `detect`, …) or `exec`.
    public var type: String
    public var params: [String: ParamValue]
    /// Keyed by port role (`image`, `detections`, …), as the node type declares them.
    public var inputs: [String: TopicBinding]
    public var outputs: [String: TopicBinding]
    public var launch: LaunchContext?

    public init(name: String, namespace: String, type: String, params: [String: ParamValue] = [:],
                inputs: [String: TopicBinding] = [:], outputs: [String: TopicBinding] = [:],
                launch: LaunchContext? = nil) {
        self.version = Self.currentVersion
        self.name = name
        self.namespace = namespace
        self.type = type
        self.params = params
        self.inputs = inputs
        self.outputs = outputs
        self.launch = launch
    }

    /// The last path component of `name` (`detector` for `/robot/detector`).
    public var baseName: String { String(name.split(separator: "/").last ?? Substring(name)) }

    /// Compact, key-sorted JSON: the value of `VLMNODE_WIRING`.
    public func jsonString() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    public static func decode(json: String) throws -> NodeWiring {
        do {
            let wiring = try JSONDecoder().decode(NodeWiring.self, from: Data(json.utf8))
            guard wiring.version <= currentVersion else {
                throw NodeWiringError("\(environmentKey) has version \(wiring.version); this vlmnode reads up to \(currentVersion)")
            }
            return wiring
        } catch let error as NodeWiringError {
            throw error
        } catch {
            throw NodeWiringError("\(environmentKey) is not valid wiring JSON: \(error)")
        }
    }

    /// The wiring a launcher passed to this process, or nil when it was started by hand.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> NodeWiring? {
        guard let json = environment[environmentKey] else { return nil }
        return try decode(json: json)
    }

    /// The parameter named `key`, if the launch file set it (or the type gave a default).
    public func param(_ key: String) -> ParamValue? { params[key] }

    /// The input `role`, connected: a clear error naming the node when the launcher did not wire it.
    public func input(_ role: String) throws -> TopicBinding {
        guard let binding = inputs[role], binding.endpoint != nil else {
            throw NodeWiringError("node \(name): input '\(role)' is not wired (inputs: \(inputs.keys.sorted().joined(separator: ", ")))")
        }
        return binding
    }

    /// The output `role`, with its endpoint to bind.
    public func output(_ role: String) throws -> TopicBinding {
        guard let binding = outputs[role], binding.endpoint != nil else {
            throw NodeWiringError("node \(name): output '\(role)' is not wired (outputs: \(outputs.keys.sorted().joined(separator: ", ")))")
        }
        return binding
    }

    /// A string parameter; `nil` when absent, an error when it has another type.
    public func string(_ key: String) throws -> String? { try typed(key, "a string") { $0.stringValue } }
    /// A number parameter (ints widen); `nil` when absent, an error when it has another type.
    public func double(_ key: String) throws -> Double? { try typed(key, "a number") { $0.doubleValue } }
    public func int(_ key: String) throws -> Int? { try typed(key, "an integer") { $0.intValue } }
    public func bool(_ key: String) throws -> Bool? { try typed(key, "true or false") { $0.boolValue } }
    /// A list of strings, or one comma-separated string ("red cup, blue bowl").
    public func stringList(_ key: String) throws -> [String]? { try typed(key, "a list of strings") { $0.stringListValue } }

    private func typed<T>(_ key: String, _ what: String, _ get: (ParamValue) -> T?) throws -> T? {
        guard let value = params[key] else { return nil }
        guard let typed = get(value) else {
            throw NodeWiringError("node \(name): param '\(key)' must be \(what), got \(value.typeName) \"\(value)\"")
        }
        return typed
    }
}

/// A wiring JSON that cannot be read.
public struct NodeWiringError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
