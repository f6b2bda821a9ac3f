import Foundation

/// What a command line says about one port; nil fields leave the launcher's wiring (or the
/// node type's default) in place.
public struct PortOverride: Sendable, Hashable {
    public var endpoint: String?
    public var topic: String?
    /// Whether to bind an input's endpoint; only used together with `endpoint`.
    public var bind: Bool?

    public init(endpoint: String? = nil, topic: String? = nil, bind: Bool? = nil) {
        self.endpoint = endpoint
        self.topic = topic
        self.bind = bind
    }
}

/// Command-line options of a node, by port role and parameter name: they win over `VLMNODE_WIRING`.
public struct NodeOverrides: Sendable, Hashable {
    public var inputs: [String: PortOverride] = [:]
    public var outputs: [String: PortOverride] = [:]
    public var params: [String: ParamValue] = [:]
    /// Node-wide `--identity/--authorized/--server-key/--insecure`: applied to every port by its
    /// direction (`PortSecurity.applying(_:binds:)`), over the launcher's per-port security.
    public var security: PortSecurity?

    public init(inputs: [String: PortOverride] = [:], outputs: [String: PortOverride] = [:],
                params: [String: ParamValue] = [:], security: PortSecurity? = nil) {
        self.inputs = inputs
        self.outputs = outputs
        self.params = params
        self.security = security
    }

    /// Sets `name` when `value` is given.
    public mutating func param(_ name: String, _ value: ParamValue?) {
        if let value { params[name] = value }
    }
}

extension NodeWiring {
    /// The one resolution path of every node: command-line `overrides` first, then the launcher's
    /// `wiring` (`VLMNODE_WIRING`), then `spec`'s defaults (parameter defaults; port topics resolved
    /// in the node's namespace, `/` when started by hand). Port security (`"security"`, CURVE key
    /// paths) follows the same order: `overrides.security` over the wiring's. Every port of the spec gets a binding;
    /// an output without an endpoint is bound by the runtime (sharing another output's socket, or
    /// `tcp://127.0.0.1:*`), an input without one stays unconnected.
    public static func resolve(spec: NodeTypeSpec, wiring: NodeWiring?, overrides: NodeOverrides = .init()) -> NodeWiring {
        var w = wiring ?? NodeWiring(name: "/" + spec.name, namespace: "/", type: spec.name)
        for p in spec.params where w.params[p.name] == nil {
            if let d = p.defaultValue { w.params[p.name] = d }
        }
        for (k, v) in overrides.params { w.params[k] = v }
        for port in spec.inputs {
            var b = w.inputs[port.role] ?? TopicBinding(topic: resolveName(port.defaultTopic, in: w.namespace),
                                                       type: port.type, endpoint: nil, bind: false)
            if let o = overrides.inputs[port.role] {
                if let topic = o.topic { b.topic = topic }
                if let endpoint = o.endpoint {
                    b.endpoint = endpoint
                    b.bind = o.bind ?? false
                }
            }
            if let s = overrides.security { b.security = (b.security ?? PortSecurity()).applying(s, binds: b.bind) }
            w.inputs[port.role] = b
        }
        for port in spec.outputs {
            var b = w.outputs[port.role] ?? TopicBinding(topic: resolveName(port.defaultTopic, in: w.namespace),
                                                        type: port.type, endpoint: nil, bind: true)
            if let o = overrides.outputs[port.role] {
                if let topic = o.topic { b.topic = topic }
                if let endpoint = o.endpoint { b.endpoint = endpoint }
            }
            b.bind = true
            if let s = overrides.security { b.security = (b.security ?? PortSecurity()).applying(s, binds: true) }
            w.outputs[port.role] = b
        }
        return w
    }

    /// `camera/image` in `/robot` -> `/robot/camera/image`; absolute names stay.
    public static func resolveName(_ name: String, in namespace: String) -> String {
        if name.hasPrefix("/") { return name }
        let ns = namespace.hasSuffix("/") ? String(namespace.dropLast()) : namespace
        return ns + "/" + name
    }
}
