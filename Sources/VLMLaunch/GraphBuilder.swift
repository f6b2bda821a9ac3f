import Foundation
import VLMBus
import VLMNode

/// Stage 3: checks the expanded launch as a graph and wires it. Collects every problem (unknown node
/// types, duplicate names, params, topics nobody publishes, type mismatches, endpoints, programs that
/// cannot be found) before anything starts.
public struct GraphBuilder {
    public var environment: [String: String]
    public var registry: NodeTypeRegistry
    /// The first tcp port of topics that cross hosts (one port per such topic, upwards).
    public var tcpPortBase = GraphBuilder.defaultTCPPortBase
    public static let defaultTCPPortBase = 47100
    /// Which `<machine>` addresses are this host (their nodes run without ssh).
    public var localHost = LocalHost.current()

    public init(environment: [String: String] = ProcessInfo.processInfo.environment,
                registry: NodeTypeRegistry = .shared) {
        self.environment = environment
        self.registry = registry
    }

    /// Where a port's topic came from, for diagnostics.
    private struct PortUse {
        var node: String
        var role: String
        var binding: TopicBinding
        var optional: Bool
        var pinnedEndpoint: String?
        var location: SourceLocation
    }

    public func build(_ description: LaunchDescription, launchID: String, socketDirectory: String) throws -> LaunchGraph {
        var errors: [LaunchError] = []
        var nodes: [LaunchGraph.Node] = []
        var seen: [String: SourceLocation] = [:]
        var publishers: [String: PortUse] = [:]
        var subscribers: [PortUse] = []
        // Where each node runs (unknown machines are errors here).
        var placement = Placement(description: description, localHost: localHost, socketDirectory: socketDirectory,
                                  portBase: tcpPortBase, errors: &errors)
        // Exec nodes bind with their own code; built-in nodes refuse non-loopback tcp at run time.
        let execNodes = Set(description.nodes.filter { $0.type == NodeTypeRegistry.execType }.map(\.fullName))

        for desc in description.nodes {
            let name = desc.fullName
            if let first = seen[name] {
                errors.append(LaunchError("duplicate node name '\(name)' (first defined at \(first))", at: desc.location))
                continue
            }
            seen[name] = desc.location
            var spec: NodeTypeSpec?
            if desc.type != NodeTypeRegistry.execType {
                guard let found = registry.spec(named: desc.type) else {
                    let known = (registry.names + [NodeTypeRegistry.execType]).sorted().joined(separator: ", ")
                    errors.append(LaunchError("node '\(name)': unknown node type '\(desc.type)' (known: \(known))", at: desc.location))
                    continue
                }
                spec = found
            } else if !placement.isRemote(name), let problem = checkProgram(desc) {
                // (A program on another machine is looked up there, when it starts.)
                errors.append(LaunchError("node '\(name)': \(problem)", at: desc.location))
            }
            let params = checkParams(desc, spec: spec, errors: &errors)
            var node = LaunchGraph.Node(description: desc, spec: spec, params: params, inputs: [:], outputs: [:])
            for use in ports(of: desc, spec: spec, params: params, input: true, errors: &errors) {
                node.inputs[use.role] = use.binding
                subscribers.append(use)
            }
            for use in ports(of: desc, spec: spec, params: params, input: false, errors: &errors) {
                node.outputs[use.role] = use.binding
                if let other = publishers[use.binding.topic] {
                    errors.append(LaunchError("topic '\(use.binding.topic)' has two publishers: '\(other.node)' (\(other.location)) and '\(name)'; a topic has one publisher",
                                              at: use.location))
                    continue
                }
                publishers[use.binding.topic] = use
            }
            nodes.append(node)
        }

        // Endpoints: pinned where the file says so, else one ipc socket per topic in this launch's
        // dir (on the publisher's machine), or CURVE tcp when a subscriber is on another machine.
        var endpoints: [String: String] = [:]
        var endpointOwner: [String: String] = [:]
        for (topic, use) in publishers.sorted(by: { $0.key < $1.key }) {
            let subs = subscribers.filter { $0.binding.topic == topic }.map(\.node)
            if use.pinnedEndpoint != nil, subs.contains(where: { placement.host[$0] != placement.host[use.node] }) {
                errors.append(LaunchError("node '\(use.node)': output '\(use.role)': topic '\(topic)' crosses machines, so the launcher chooses its endpoint (CURVE tcp); remove endpoint=",
                                          at: use.location))
                continue
            }
            let endpoint = use.pinnedEndpoint ?? placement.endpoint(topic: topic, publisher: use.node, subscribers: subs)
            if !placement.isCrossing(topic), let problem = Self.checkEndpoint(endpoint, builtIn: !execNodes.contains(use.node)) {
                errors.append(LaunchError("node '\(use.node)': output '\(use.role)': \(problem)", at: use.location))
                continue
            }
            if let owner = endpointOwner[endpoint] {
                errors.append(LaunchError("endpoint \(endpoint) is used by topics '\(owner)' and '\(topic)'", at: use.location))
                continue
            }
            endpointOwner[endpoint] = topic
            endpoints[topic] = endpoint
        }

        var topics: [String: LaunchGraph.Topic] = [:]
        var bindingInputs: Set<String> = []
        for (topic, use) in publishers {
            topics[topic] = LaunchGraph.Topic(name: topic, type: use.binding.type, endpoint: endpoints[topic],
                                              pinned: use.pinnedEndpoint != nil, publisher: use.node, subscribers: [])
        }
        for use in subscribers {
            let topic = use.binding.topic
            if let publisher = publishers[topic] {
                if use.pinnedEndpoint != nil {
                    errors.append(LaunchError("node '\(use.node)': input '\(use.role)' sets endpoint= but '\(publisher.node)' publishes '\(topic)' in this launch",
                                              at: use.location))
                }
                if !MessageType.compatible(published: publisher.binding.type, expected: use.binding.type) {
                    errors.append(LaunchError("topic '\(topic)': node '\(use.node)' expects \(use.binding.type) but '\(publisher.node)' publishes \(publisher.binding.type)",
                                              at: use.location))
                }
            } else if use.pinnedEndpoint != nil || use.optional {
                // Fed from outside the launch: this subscriber binds, outside publishers connect.
                if let existing = topics[topic] {
                    errors.append(LaunchError("topic '\(topic)' is published from outside the launch; only one node may subscribe to it ('\(existing.subscribers.first ?? "?")' and '\(use.node)')",
                                              at: use.location))
                    continue
                }
                let endpoint = use.pinnedEndpoint ?? placement.endpoint(topic: topic, publisher: use.node, subscribers: [])
                if let problem = Self.checkEndpoint(endpoint, builtIn: !execNodes.contains(use.node)) {
                    errors.append(LaunchError("node '\(use.node)': input '\(use.role)': \(problem)", at: use.location))
                    continue
                }
                if let owner = endpointOwner[endpoint] {
                    errors.append(LaunchError("endpoint \(endpoint) is used by topics '\(owner)' and '\(topic)'", at: use.location))
                    continue
                }
                endpointOwner[endpoint] = topic
                bindingInputs.insert("\(use.node) \(use.role)")
                topics[topic] = LaunchGraph.Topic(name: topic, type: use.binding.type, endpoint: endpoint,
                                                  pinned: use.pinnedEndpoint != nil, publisher: nil, subscribers: [])
            } else {
                errors.append(LaunchError("node '\(use.node)': input '\(use.role)' subscribes to '\(topic)' (\(use.binding.type)) but nothing publishes it",
                                          at: use.location))
                continue
            }
            topics[topic]?.subscribers.append(use.node)
        }
        // Fill endpoints into every node's bindings.
        for i in nodes.indices {
            for (role, binding) in nodes[i].inputs {
                nodes[i].inputs[role]?.endpoint = topics[binding.topic]?.endpoint
                let name = nodes[i].name
                nodes[i].inputs[role]?.bind = bindingInputs.contains("\(name) \(role)")
            }
            for (role, binding) in nodes[i].outputs { nodes[i].outputs[role]?.endpoint = topics[binding.topic]?.endpoint }
        }
        for i in nodes.indices {
            placement.apply(to: &nodes[i])
            fillEndpoints(in: &nodes[i], topics: topics, placement: placement, errors: &errors)
            // A built-in's command line must be buildable now, not fail after other nodes started
            // (checked last, so a missing param is reported once, by the param check).
            if errors.isEmpty, let spec = nodes[i].spec {
                let node = nodes[i]
                do {
                    let words = try spec.arguments(NodeWiring(name: node.name, namespace: node.description.namespace, type: node.type,
                                                              params: node.params, inputs: node.inputs, outputs: node.outputs))
                    // Types started with endpoints on their command line (record, view) have no
                    // per-port keys yet: a CURVE input would silently receive nothing.
                    if words.first != "node", let input = node.inputs.values.first(where: { $0.security != nil }) {
                        errors.append(LaunchError("node '\(node.name)': type '\(node.type)' cannot subscribe to a topic of another machine yet ('\(input.topic)'); place it on the publisher's machine",
                                                  at: node.description.location))
                    }
                } catch {
                    errors.append(LaunchError("\(error)", at: node.description.location))
                }
            }
        }
        for machine in description.machines {
            guard let identity = machine.identity else { continue }
            do { _ = try CurveCertificate.load(identity, requireSecret: true) } catch {
                errors.append(LaunchError("machine '\(machine.name)': identity: \(error)", at: machine.location))
            }
        }
        if !errors.isEmpty {
            throw LaunchValidationError(errors)
        }
        return LaunchGraph(file: description.file, args: description.args, launchID: launchID,
                           socketDirectory: socketDirectory, nodes: nodes,
                           topics: topics.values.sorted { $0.name < $1.name },
                           machines: description.machines, keyPlan: placement.keyPlan)
    }

    /// Replaces `$(endpoint TOPIC)` and `$(topic TOPIC)` markers (TOPIC resolved in the node's
    /// namespace, and required to be a topic of this launch) in the node's program, args, string
    /// params and env.
    private func fillEndpoints(in node: inout LaunchGraph.Node, topics: [String: LaunchGraph.Topic], placement: Placement,
                               errors: inout [LaunchError]) {
        let host = placement.host[node.name] ?? Placement.launcherHost
        let marker = Substitution.endpointMarker
        let desc = node.description
        func fill(_ text: String) -> String {
            guard text.contains(marker) else { return text }
            var parts = text.split(separator: marker, omittingEmptySubsequences: false).map(String.init)
            for i in stride(from: 1, to: parts.count, by: 2) {
                let wantsName = parts[i].hasPrefix("T")
                let written = String(parts[i].dropFirst())
                let topic = Names.resolve(written, in: desc.namespace, node: desc.fullName)
                guard let endpoint = placement.connectEndpoint(topic: topic, from: host) ?? topics[topic]?.endpoint else {
                    errors.append(LaunchError("node '\(desc.fullName)': $(\(wantsName ? "topic" : "endpoint") \(written)): no topic '\(topic)' in this launch",
                                              at: desc.location))
                    return text
                }
                parts[i] = wantsName ? topic : endpoint
            }
            return parts.joined()
        }
        node.description.program = desc.program.map(fill)
        node.description.arguments = desc.arguments.map(fill)
        node.description.environment = desc.environment.mapValues(fill)
        node.params = node.params.mapValues { value in
            if case .string(let s) = value { return .string(fill(s)) }
            return value
        }
    }

    /// Typed params, the type's defaults filled in.
    private func checkParams(_ desc: NodeDescription, spec: NodeTypeSpec?, errors: inout [LaunchError]) -> [String: ParamValue] {
        guard let spec else { return desc.params }
        var params = desc.params
        for (key, value) in desc.params.sorted(by: { $0.key < $1.key }) {
            let loc = desc.paramLocations[key] ?? desc.location
            guard let p = spec.param(named: key) else {
                let known = spec.params.map(\.name).joined(separator: ", ")
                errors.append(LaunchError("node '\(desc.fullName)': type '\(spec.name)' has no param '\(key)' (params: \(known))", at: loc))
                continue
            }
            if !p.kind.accepts(value) {
                errors.append(LaunchError("node '\(desc.fullName)': param '\(key)' must be \(p.kind.rawValue), got \(value.typeName) \"\(value)\"",
                                          at: loc))
            }
        }
        for p in spec.params where params[p.name] == nil {
            if let value = p.defaultValue { params[p.name] = value }
            else if p.required {
                errors.append(LaunchError("node '\(desc.fullName)': type '\(spec.name)' needs param '\(p.name)'", at: desc.location))
            }
        }
        return params
    }

    /// Ports of one direction: the type's declared ports (or the file's, for exec), names resolved.
    private func ports(of desc: NodeDescription, spec: NodeTypeSpec?, params: [String: ParamValue], input: Bool,
                       errors: inout [LaunchError]) -> [PortUse] {
        let direction = input ? "input" : "output"
        let declared = input ? desc.inputs : desc.outputs
        var specs: [PortSpec]
        if let spec {
            specs = input ? spec.inputs : spec.outputs
            if input, let listParam = spec.dynamicInputsParam, let topics = params[listParam]?.stringListValue {
                specs += topics.map { PortSpec($0, topic: $0, type: MessageType.any) }
            }
        } else {
            specs = declared.map { PortSpec($0.role, topic: $0.role, type: $0.type ?? MessageType.any) }
        }
        var uses: [PortUse] = []
        for decl in declared where !specs.contains(where: { $0.role == decl.role }) {
            let known = specs.map(\.role).joined(separator: ", ")
            errors.append(LaunchError("node '\(desc.fullName)': type '\(desc.type)' has no \(direction) '\(decl.role)' (\(direction)s: \(known.isEmpty ? "none" : known))",
                                      at: decl.location))
        }
        for port in specs {
            let decl = declared.first { $0.role == port.role }
            if spec != nil, let type = decl?.type, type != port.type, let decl {
                errors.append(LaunchError("node '\(desc.fullName)': \(direction) '\(port.role)' of type '\(desc.type)' is \(port.type), not \(type)",
                                          at: decl.location))
            }
            var topic = decl?.topic ?? Names.resolve(port.defaultTopic, in: desc.namespace, node: desc.fullName)
            if !Names.isValid(topic) {
                errors.append(LaunchError("node '\(desc.fullName)': invalid topic name '\(topic)'", at: decl?.location ?? desc.location))
                continue
            }
            if let remap = desc.remaps.first(where: { $0.from == topic }) { topic = remap.to }
            uses.append(PortUse(node: desc.fullName, role: port.role,
                                binding: TopicBinding(topic: topic, type: port.type, endpoint: nil, bind: !input),
                                optional: port.optional, pinnedEndpoint: decl?.endpoint, location: decl?.location ?? desc.location))
        }
        return uses
    }

    /// Finds an exec node's program the way execvp would, so a typo fails before anything starts.
    private func checkProgram(_ desc: NodeDescription) -> String? {
        guard let program = desc.program, !program.isEmpty else { return "exec node has no program" }
        if program.contains("/") {
            let path = program.hasPrefix("/") ? program : (desc.cwd ?? FileManager.default.currentDirectoryPath) + "/" + program
            return access(path, X_OK) == 0 ? nil : "program '\(program)' is not an executable file"
        }
        return Self.findInPath(program, path: desc.environment["PATH"] ?? environment["PATH"]) == nil
            ? "program '\(program)' not found in PATH" : nil
    }

    /// `name` looked up in a PATH string.
    public static func findInPath(_ name: String, path: String?) -> String? {
        for dir in (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// `/camera/image` -> `camera_image.sock`.
    static func socketName(_ topic: String) -> String {
        let body = topic.split(separator: "/").joined(separator: "_")
        return (body.isEmpty ? "root" : body) + ".sock"
    }

    /// A reason the endpoint cannot be bound, or nil. `builtIn`: the binding node is one of ours,
    /// which binds loopback tcp only (`Endpoint.validateForBind`), so `--check` says so up front.
    static func checkEndpoint(_ endpoint: String, builtIn: Bool) -> String? {
        if endpoint.hasPrefix("ipc://") {
            let path = endpoint.dropFirst(6)
            // sun_path holds 108 bytes including the terminating NUL.
            if path.utf8.count > 107 {
                return "ipc path is \(path.utf8.count) bytes, over the 107-byte socket limit (set VLMNODE_RUNTIME_DIR to a shorter directory): \(endpoint)"
            }
            if path.isEmpty { return "ipc endpoint has no path" }
        } else if endpoint.hasPrefix("tcp://") {
            let rest = endpoint.dropFirst(6)
            guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]),
                  (1...65535).contains(port), colon > rest.startIndex else {
                return "tcp endpoint needs host:port, got \(endpoint)"
            }
            if !builtIn { return nil }
            let host = String(rest[..<colon])
            if !Endpoint.isLoopback(host) {
                return "built-in nodes bind loopback addresses only, and \(host) is not one (\(endpoint))"
            }
        } else {
            return "endpoint must be ipc://PATH or tcp://HOST:PORT, got \(endpoint)"
        }
        // The same checks a bind makes (a file at an ipc path, abstract names, non-loopback hosts).
        do { _ = try Endpoint.validateForBind(endpoint, allowRemote: false) } catch let refusal as Endpoint.BindRefusal {
            return refusal.reason + " (\(endpoint))"
        } catch {
            return "\(error)"
        }
        return nil
    }
}
