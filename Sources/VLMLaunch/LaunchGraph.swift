import Foundation
import VLMNode

/// Stage 3 output: a validated graph, every port wired to a topic with an endpoint. Execution
/// (the `Supervisor`) needs nothing else.
public struct LaunchGraph: Sendable {
    public struct Node: Sendable {
        public var description: NodeDescription
        /// Nil for `exec` nodes.
        public var spec: NodeTypeSpec?
        /// The file's params plus the type's defaults.
        public var params: [String: ParamValue]
        public var inputs: [String: TopicBinding]
        public var outputs: [String: TopicBinding]
        /// The `<machine>` the node names (nil: none).
        public var machine: MachineDescription?
        /// True when the node runs on another machine, started over ssh.
        public var isRemote = false

        public var name: String { description.fullName }
        public var type: String { description.type }
    }

    public struct Topic: Sendable, Hashable {
        public var name: String
        public var type: String
        public var endpoint: String?
        /// True when the file pinned the endpoint (`<output endpoint=…>` or `<input endpoint=…>`).
        public var pinned: Bool
        /// Nil when the topic comes from outside the launch (its one subscriber binds the endpoint).
        public var publisher: String?
        public var subscribers: [String]
    }

    public var file: String
    public var args: [(name: String, value: String, doc: String?)]
    public var launchID: String
    /// Where ipc sockets of this launch live.
    public var socketDirectory: String
    public var nodes: [Node]
    /// Sorted by name.
    public var topics: [Topic]
    /// Every `<machine>` declared, in file order.
    public var machines: [MachineDescription] = []
    /// The CURVE keys the launch needs (empty when no topic crosses hosts).
    public var keyPlan = KeyPlan()

    /// The wiring handed to `node` (without the launch context, which the supervisor adds).
    public func wiring(for node: Node, launch: LaunchContext? = nil) -> NodeWiring {
        NodeWiring(name: node.name, namespace: node.description.namespace, type: node.type, params: node.params,
                   inputs: node.inputs, outputs: node.outputs, launch: launch)
    }

    /// argv after the executable for built-ins (`source …`, `node detect`), the full argv for `exec`.
    public func commandLine(for node: Node, vlmnodeExecutable: String, launch: LaunchContext? = nil) throws -> [String] {
        if let spec = node.spec {
            return [vlmnodeExecutable] + (try spec.arguments(wiring(for: node, launch: launch))) + node.description.arguments
        }
        return [node.description.program ?? ""] + node.description.arguments
    }
}

/// The one place launch-level names are turned into paths: socket dir, graph file, logs.
public struct LaunchPaths: Sendable {
    public var launchID: String
    public var registryDirectory: URL
    public var socketDirectory: URL
    public var graphFile: URL
    public var logDirectory: URL

    /// `launchID` defaults to `<file stem>-<pid>`; logs default to `$VLMNODE_LOG_DIR/<id>`, else
    /// `$XDG_STATE_HOME/vlmnode/log/<id>`, else `~/.local/state/vlmnode/log/<id>`.
    public init(file: String, launchID: String? = nil, logDirectory: URL? = nil,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        let stem = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        let id = launchID ?? "\(stem.filter { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" })-\(getpid())"
        self.launchID = id
        registryDirectory = GraphRegistry.directory(environment: environment)
        socketDirectory = registryDirectory.appendingPathComponent(id, isDirectory: true)
        graphFile = GraphRegistry.graphFileURL(launchID: id, in: registryDirectory)
        if let logDirectory {
            self.logDirectory = logDirectory
        } else if let dir = environment["VLMNODE_LOG_DIR"], !dir.isEmpty {
            self.logDirectory = URL(fileURLWithPath: dir).appendingPathComponent(id, isDirectory: true)
        } else {
            let state = environment["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
                ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.local/state")
            self.logDirectory = URL(fileURLWithPath: state).appendingPathComponent("vlmnode/log/\(id)", isDirectory: true)
        }
    }
}

/// The three stages in one call: parse -> expand -> validate and wire.
public enum LaunchLoader {
    public static func load(file: String, overrides: [String: String] = [:], paths: LaunchPaths,
                            environment: [String: String] = ProcessInfo.processInfo.environment,
                            tcpPortBase: Int = GraphBuilder.defaultTCPPortBase) throws -> LaunchGraph {
        let description = try LaunchExpander(environment: environment).expand(fileAt: file, overrides: overrides)
        var builder = GraphBuilder(environment: environment)
        builder.tcpPortBase = tcpPortBase
        return try builder.build(description, launchID: paths.launchID, socketDirectory: paths.socketDirectory.path)
    }

    /// Splits `name:=value` words from the command line.
    public static func parseOverrides(_ words: [String]) throws -> [String: String] {
        var out: [String: String] = [:]
        for word in words {
            guard let range = word.range(of: ":=") else {
                throw LaunchError("'\(word)' is not an arg override (write name:=value)", at: nil)
            }
            let name = String(word[..<range.lowerBound])
            guard Names.isValid(name, allowSlash: false) else {
                throw LaunchError("'\(word)': '\(name)' is not a valid arg name", at: nil)
            }
            if out[name] != nil { throw LaunchError("arg '\(name)' is given twice on the command line", at: nil) }
            out[name] = String(word[range.upperBound...])
        }
        return out
    }
}
