import Foundation
import VLMBus

/// Message types on the wire (the header's `"type"`), shared by node declarations and validation.
public enum MessageType {
    public static let frame = "vlm/Frame"
    public static let detections = "vlm/Detections"
    public static let videoScores = "vlm/VideoScores"
    public static let videoEvent = "vlm/VideoEvent"
    public static let grounding = "vlm/Grounding"
    /// A UTF-8 text message (queries, prompts, commands).
    public static let text = "vlm/Text"
    /// Accepts (or produces) every type: no type check for this port.
    public static let any = "any"

    /// Whether a publisher of `published` may feed a subscriber that expects `expected`.
    public static func compatible(published: String, expected: String) -> Bool {
        published == expected || published == any || expected == any
    }
}

/// One input or output of a node type.
public struct PortSpec: Sendable, Hashable {
    /// The key in the wiring's `inputs`/`outputs` (`image`, `detections`).
    public var role: String
    /// Topic name before namespace and remaps; relative names resolve in the node's namespace.
    public var defaultTopic: String
    public var type: String
    /// An optional input may have no publisher in the graph (an outside program may publish it).
    public var optional: Bool
    /// A control input (`vlm/Text` by default): the node runtime applies every message that arrived
    /// before the next data message, instead of handing it to `process`.
    public var isControl: Bool
    /// How the runtime delivers an input: nil for latest-wins (the default for data inputs), or a
    /// bounded queue of this many messages (the default for control inputs: 16).
    public var queueCapacity: Int?
    /// `queueCapacity` as the bus's QoS.
    public var qos: QoS { queueCapacity.map { .queue(capacity: $0) } ?? .latest }

    public init(_ role: String, topic: String, type: String, optional: Bool = false, control: Bool? = nil,
                queue: Int? = nil) {
        self.role = role
        self.defaultTopic = topic
        self.type = type
        self.optional = optional
        let isControl = control ?? (type == MessageType.text)
        self.isControl = isControl
        self.queueCapacity = queue ?? (isControl ? 16 : nil)
    }
}

/// What a parameter accepts.
public enum ParamKind: String, Sendable, Hashable {
    case string, int, bool
    /// int or double.
    case number
    /// A list of strings, or one comma-separated string.
    case stringList = "string list"
    case any

    public func accepts(_ value: ParamValue) -> Bool {
        switch (self, value) {
        case (.any, _), (.string, .string), (.int, .int), (.bool, .bool): return true
        case (.number, .int), (.number, .double): return true
        case (.stringList, .string): return true
        case (.stringList, .list(let items)): return items.allSatisfy { if case .list = $0 { false } else { true } }
        default: return false
        }
    }
}

/// One parameter of a node type.
public struct ParamSpec: Sendable, Hashable {
    public var name: String
    public var kind: ParamKind
    public var required: Bool
    public var defaultValue: ParamValue?
    public var doc: String

    public init(_ name: String, _ kind: ParamKind, required: Bool = false, default defaultValue: ParamValue? = nil,
                doc: String = "") {
        self.name = name
        self.kind = kind
        self.required = required
        self.defaultValue = defaultValue
        self.doc = doc
    }
}

/// A node type the launcher can start: its ports, parameters and command line.
public struct NodeTypeSpec: Sendable {
    public var name: String
    public var summary: String
    public var inputs: [PortSpec]
    public var outputs: [PortSpec]
    public var params: [ParamSpec]
    /// When set, this list parameter names extra inputs (type `any`), one per topic: `record`'s
    /// `topics`. Each becomes an input whose role is the topic name as written.
    public var dynamicInputsParam: String?
    /// Arguments after the `vlmnode` executable, built from the node's wiring (which is also in
    /// `VLMNODE_WIRING`). Throws `NodeWiringError` when a parameter cannot be expressed.
    public var arguments: @Sendable (NodeWiring) throws -> [String]

    public init(name: String, summary: String, inputs: [PortSpec] = [], outputs: [PortSpec] = [],
                params: [ParamSpec] = [], dynamicInputsParam: String? = nil,
                arguments: @escaping @Sendable (NodeWiring) throws -> [String] = { ["node", $0.type] }) {
        self.name = name
        self.summary = summary
        self.inputs = inputs
        self.outputs = outputs
        self.params = params
        self.dynamicInputsParam = dynamicInputsParam
        self.arguments = arguments
    }

    public func param(named name: String) -> ParamSpec? { params.first { $0.name == name } }
}

/// Node types by name: the built-ins plus any Swift plugin that registers itself. The launcher
/// validates against `shared`; tests and tools may build their own.
public final class NodeTypeRegistry: @unchecked Sendable {
    /// The pseudo-type for any program: `<node type="exec" exec="python3" args="ctl.py">`.
    public static let execType = "exec"

    /// The process-wide registry: built-ins plus whatever plugins registered.
    public static let shared = NodeTypeRegistry()

    private let lock = NSLock()
    private var specs: [String: NodeTypeSpec]

    public init(types: [NodeTypeSpec] = BuiltInNodeTypes.all) {
        specs = Dictionary(types.map { ($0.name, $0) }, uniquingKeysWith: { $1 })
    }

    /// The spec for `name`, or nil for an unknown type (and for `exec`, which has no spec).
    public func spec(named name: String) -> NodeTypeSpec? {
        lock.lock(); defer { lock.unlock() }
        return specs[name]
    }

    /// Every registered type name, sorted.
    public var names: [String] {
        lock.lock(); defer { lock.unlock() }
        return specs.keys.sorted()
    }

    /// Adds or replaces a node type (a Swift plugin registering itself by name).
    public func register(_ spec: NodeTypeSpec) {
        lock.lock(); defer { lock.unlock() }
        specs[spec.name] = spec
    }

    private var plugins: [String: any NodePlugin.Type] = [:]

    /// Adds a plugin's node type: its spec for validation and help, and its factory for `vlmnode node TYPE`.
    public func register(plugin: any NodePlugin.Type) {
        let spec = plugin.spec
        lock.lock(); defer { lock.unlock() }
        specs[spec.name] = spec
        plugins[spec.name] = plugin
    }

    /// The plugin that runs node type `name`, if one registered.
    public func plugin(named name: String) -> (any NodePlugin.Type)? {
        lock.lock(); defer { lock.unlock() }
        return plugins[name]
    }
}
