import Foundation
import VLMNode

/// Stage 2: element tree -> `LaunchDescription`. Applies args (file defaults, command-line
/// `name:=value`, include args), substitutions, `if`/`unless`, groups, namespaces, remaps, env and
/// includes (relative to the including file; cycles are errors).
public struct LaunchExpander {
    public var environment: [String: String]
    public var anonToken: String
    /// Depth, size and include ceilings (launch files come from others too).
    public var limits: LaunchLimits

    public init(environment: [String: String] = ProcessInfo.processInfo.environment,
                anonToken: String = String(UUID().uuidString.prefix(8)).lowercased(),
                limits: LaunchLimits = .current) {
        self.environment = environment
        self.anonToken = anonToken
        self.limits = limits
    }

    /// Parses and expands `path` with command-line `overrides`.
    public func expand(fileAt path: String, overrides: [String: String] = [:]) throws -> LaunchDescription {
        var state = State(includeStack: [])
        try expandFile(path: path, shownPath: path, passedArgs: overrides.mapValues { ($0, nil) },
                       fromCommandLine: true, scope: Scope(), state: &state)
        return LaunchDescription(file: path, args: state.topArgs,
                                 nodes: state.nodes, files: state.files, machines: state.machines)
    }

    /// What a group or include passes down: namespace, remaps and env.
    struct Scope {
        var namespace = "/"
        var remaps: [(from: String, to: String)] = []
        var environment: [String: String] = [:]
        /// The innermost `machine=` of the enclosing groups and includes, and where it was written.
        var machine: (name: String, location: SourceLocation)?
    }

    struct State {
        var includeStack: [String]
        var nodes: [NodeDescription] = []
        var machines: [MachineDescription] = []
        var files: [String] = []
        var topArgs: [(name: String, value: String, doc: String?)] = []
        /// Includes followed so far: fan-out (each file including the next twice) is exponential.
        var includes = 0
    }

    /// Per file: the substitution context and which passed args the file declared.
    struct FileContext {
        var subst: SubstitutionContext
        var passed: [String: (value: String, location: SourceLocation?)]
        var used: Set<String> = []
        var fromCommandLine: Bool
        var isTop: Bool
    }

    private func expandFile(path: String, shownPath: String,
                            passedArgs: [String: (value: String, location: SourceLocation?)],
                            fromCommandLine: Bool, scope: Scope, state: inout State,
                            includedFrom: SourceLocation? = nil) throws {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        if state.includeStack.contains(absolute) {
            let chain = (state.includeStack + [absolute]).map { URL(fileURLWithPath: $0).lastPathComponent }
            throw LaunchError("include cycle: \(chain.joined(separator: " -> "))", at: includedFrom)
        }
        let root: LaunchElement
        do {
            root = try LaunchXMLParser.parse(fileAt: path, displayPath: shownPath, limits: limits)
        } catch let error as LaunchError where error.location == nil && includedFrom != nil {
            throw LaunchError(error.message, at: includedFrom)
        }
        guard root.name == "launch" else {
            throw LaunchError("root element must be <launch>, found <\(root.name)>", at: root.location)
        }
        try Schema.check(root)
        state.includeStack.append(absolute)
        state.files.append(shownPath)
        defer { state.includeStack.removeLast() }

        let subst = SubstitutionContext(args: [:], environment: environment,
                                        directory: URL(fileURLWithPath: absolute).deletingLastPathComponent().path,
                                        anonToken: anonToken, limits: limits)
        var file = FileContext(subst: subst, passed: passedArgs, fromCommandLine: fromCommandLine,
                               isTop: includedFrom == nil)
        var scope = scope
        try expandChildren(of: root, file: &file, scope: &scope, state: &state)
        let unknown = passedArgs.keys.filter { !file.used.contains($0) }.sorted()
        if let name = unknown.first {
            if fromCommandLine {
                let declared = file.subst.args.keys.sorted()
                let list = declared.isEmpty ? "it declares none" : "declared: \(declared.joined(separator: ", "))"
                throw LaunchError("\(shownPath): unknown arg '\(name)' given on the command line (\(list))", at: nil)
            }
            throw LaunchError("include passes arg '\(name)' that \(shownPath) does not declare",
                              at: passedArgs[name]?.location ?? includedFrom)
        }
    }

    private func expandChildren(of element: LaunchElement, file: inout FileContext, scope: inout Scope,
                                state: inout State) throws {
        for child in element.children {
            guard try isEnabled(child, file: file) else { continue }
            switch child.name {
            case "arg":
                let (name, value, doc) = try declareArg(child, file: &file)
                if file.isTop { state.topArgs.append((name, value, doc)) }
            case "env":
                let name = try attr(child, "name", file), value = try attr(child, "value", file)
                scope.environment[name] = value
            case "remap":
                let from = try attr(child, "from", file), to = try attr(child, "to", file)
                scope.remaps.insert((Names.resolve(from, in: scope.namespace), Names.resolve(to, in: scope.namespace)), at: 0)
            case "group":
                var inner = scope
                if let ns = try optionalAttr(child, "ns", file) { inner.namespace = try namespace(ns, in: scope, at: child) }
                if let machine = try optionalAttr(child, "machine", file) { inner.machine = (machine, child.location) }
                try expandChildren(of: child, file: &file, scope: &inner, state: &state)
            case "include":
                try include(child, file: &file, scope: scope, state: &state)
            case "node":
                state.nodes.append(try node(child, file: file, scope: scope))
            case "machine":
                let machine = try self.machine(child, file: file)
                if let first = state.machines.first(where: { $0.name == machine.name }) {
                    throw LaunchError("machine '\(machine.name)' is declared twice (first at \(first.location))", at: child.location)
                }
                state.machines.append(machine)
            default:
                break // Schema.check already rejected anything else.
            }
        }
    }

    private func declareArg(_ element: LaunchElement, file: inout FileContext) throws -> (String, String, String?) {
        let name = try attr(element, "name", file)
        guard Names.isValid(name, allowSlash: false) else {
            throw LaunchError("invalid arg name '\(name)'", at: element.location)
        }
        if file.subst.args[name] != nil {
            throw LaunchError("arg '\(name)' is declared twice", at: element.location)
        }
        let doc = element.attributes["doc"]
        var value: String?
        if let fixed = try optionalAttr(element, "value", file) {
            if file.passed[name] != nil {
                let how = file.fromCommandLine ? "on the command line" : "by the include"
                throw LaunchError("arg '\(name)' has a fixed value and cannot be set \(how)", at: element.location)
            }
            value = fixed
        } else if let passed = file.passed[name] {
            value = passed.value
        } else if let fallback = try optionalAttr(element, "default", file) {
            value = fallback
        }
        if file.passed[name] != nil { file.used.insert(name) }
        guard let value else {
            let hint = file.fromCommandLine ? " (set it with \(name):=VALUE)" : " (pass it with <arg name=\"\(name)\" value=…/> in the include)"
            throw LaunchError("arg '\(name)' has no value\(hint)", at: element.location)
        }
        file.subst.args[name] = value
        return (name, value, doc)
    }

    private func include(_ element: LaunchElement, file: inout FileContext, scope: Scope, state: inout State) throws {
        state.includes += 1
        guard state.includes <= limits.maxIncludes else {
            throw LaunchError("more than \(limits.maxIncludes) includes in one launch (VLMNODE_LAUNCH_MAX_INCLUDES)", at: element.location)
        }
        let target = try attr(element, "file", file)
        let path = target.hasPrefix("/") ? target : file.subst.directory + "/" + target
        var passed: [String: (value: String, location: SourceLocation?)] = [:]
        for arg in element.children where arg.name == "arg" {
            guard try isEnabled(arg, file: file) else { continue }
            let name = try attr(arg, "name", file)
            guard let value = try optionalAttr(arg, "value", file) ?? optionalAttr(arg, "default", file) else {
                throw LaunchError("include arg '\(name)' needs value=", at: arg.location)
            }
            if passed[name] != nil { throw LaunchError("include passes arg '\(name)' twice", at: arg.location) }
            passed[name] = (value, arg.location)
        }
        var inner = scope
        if let ns = try optionalAttr(element, "ns", file) { inner.namespace = try namespace(ns, in: scope, at: element) }
        if let machine = try optionalAttr(element, "machine", file) { inner.machine = (machine, element.location) }
        try expandFile(path: path, shownPath: URL(fileURLWithPath: path).standardizedFileURL.path, passedArgs: passed,
                       fromCommandLine: false, scope: inner, state: &state, includedFrom: element.location)
    }

    private func node(_ element: LaunchElement, file: FileContext, scope: Scope) throws -> NodeDescription {
        let loc = element.location
        let name = try attr(element, "name", file)
        guard Names.isValid(name, allowSlash: false) else {
            throw LaunchError("invalid node name '\(name)' (letters, digits and _ only)", at: loc)
        }
        let type = try attr(element, "type", file)
        var namespace = scope.namespace
        if let ns = try optionalAttr(element, "ns", file) { namespace = try self.namespace(ns, in: scope, at: element) }
        let fullName = Names.resolve(name, in: namespace)
        var words: [String] = []
        if let args = try optionalAttr(element, "args", file) {
            do { words = try Names.splitCommandLine(args) } catch let e as LaunchError { throw LaunchError(e.message, at: loc) }
        }
        var program = try optionalAttr(element, "exec", file)
        if type == NodeTypeRegistry.execType {
            if program == nil {
                guard !words.isEmpty else { throw LaunchError("exec node '\(name)' needs exec= or args=", at: loc) }
                program = words.removeFirst()
            }
        } else if program != nil {
            throw LaunchError("exec= is only for type=\"exec\" nodes (node '\(name)' has type '\(type)')", at: loc)
        }
        var node = NodeDescription(
            fullName: fullName, namespace: namespace, type: type, program: program, arguments: words,
            params: [:], paramLocations: [:], remaps: scope.remaps, inputs: [], outputs: [],
            environment: scope.environment,
            respawn: try bool(element, "respawn", file, default: false),
            respawnDelay: try number(element, "respawn_delay", file, default: 1.0, max: LaunchLimits.maxRespawnDelay),
            respawnMax: try count(element, "respawn_max", file, default: 10, max: LaunchLimits.maxRespawns),
            required: try bool(element, "required", file, default: false),
            output: .screen, cwd: try optionalAttr(element, "cwd", file), location: loc,
            machine: scope.machine?.name, machineLocation: scope.machine?.location)
        if let machine = try optionalAttr(element, "machine", file) {
            node.machine = machine
            node.machineLocation = loc
        }
        if node.respawn && node.required {
            throw LaunchError("node '\(fullName)' cannot be both respawn and required", at: loc)
        }
        if let output = try optionalAttr(element, "output", file) {
            guard let mode = NodeOutputMode(rawValue: output) else {
                throw LaunchError("output=\"\(output)\" must be screen or log", at: loc)
            }
            node.output = mode
        }
        if let cwd = node.cwd, !cwd.hasPrefix("/") { node.cwd = file.subst.directory + "/" + cwd }
        var ownRemaps: [(from: String, to: String)] = []
        for child in element.children {
            guard try isEnabled(child, file: file) else { continue }
            switch child.name {
            case "param":
                let key = try attr(child, "name", file)
                let text = try attr(child, "value", file)
                let type = try optionalAttr(child, "type", file)
                guard let value = ParamValue.parse(text, type: type) else {
                    if let type, !["string", "str", "int", "double", "float", "number", "bool", "list"].contains(type) {
                        throw LaunchError("param '\(key)': unknown type '\(type)' (string, int, double, bool, list)", at: child.location)
                    }
                    let nesting = text.contains("[") ? " (lists nest at most \(ParamValue.maxListNesting) deep)" : ""
                    throw LaunchError("param '\(key)': \"\(Self.excerpt(text))\" is not a valid \(type ?? "value")\(nesting)", at: child.location)
                }
                if node.params[key] != nil { throw LaunchError("param '\(key)' is set twice", at: child.location) }
                node.params[key] = value
                node.paramLocations[key] = child.location
            case "remap":
                let from = try attr(child, "from", file), to = try attr(child, "to", file)
                ownRemaps.append((Names.resolve(from, in: namespace, node: fullName), Names.resolve(to, in: namespace, node: fullName)))
            case "env":
                node.environment[try attr(child, "name", file)] = try attr(child, "value", file)
            case "input", "output":
                let role = try attr(child, "name", file)
                let topic = try optionalAttr(child, "topic", file).map { Names.resolve($0, in: namespace, node: fullName) }
                let port = PortDeclaration(role: role, topic: topic, type: try optionalAttr(child, "type", file),
                                           endpoint: try optionalAttr(child, "endpoint", file), location: child.location)
                let list = child.name == "input" ? node.inputs : node.outputs
                if list.contains(where: { $0.role == role }) {
                    throw LaunchError("\(child.name) '\(role)' is declared twice", at: child.location)
                }
                if child.name == "input" { node.inputs.append(port) } else { node.outputs.append(port) }
            default:
                break
            }
        }
        node.remaps = ownRemaps + scope.remaps
        return node
    }

    /// `<machine>`: checked here (its values become ssh arguments); a relative `identity` is
    /// relative to the file's directory.
    private func machine(_ element: LaunchElement, file: FileContext) throws -> MachineDescription {
        var identity = try optionalAttr(element, "identity", file)
        if let path = identity, !path.hasPrefix("/") { identity = file.subst.directory + "/" + path }
        return try MachineDescription.validated(
            name: try attr(element, "name", file), address: try attr(element, "address", file),
            user: try optionalAttr(element, "user", file), port: try optionalAttr(element, "port", file),
            vlmnode: try optionalAttr(element, "vlmnode", file), envLoader: try optionalAttr(element, "env-loader", file),
            identity: identity, at: element.location)
    }

    // MARK: attribute helpers

    private func isEnabled(_ element: LaunchElement, file: FileContext) throws -> Bool {
        if let text = element.attributes["if"] {
            let value = try Substitution.evaluate(text, in: file.subst, at: element.location)
            if try !Substitution.condition(value, attribute: "if", at: element.location) { return false }
        }
        if let text = element.attributes["unless"] {
            let value = try Substitution.evaluate(text, in: file.subst, at: element.location)
            if try Substitution.condition(value, attribute: "unless", at: element.location) { return false }
        }
        return true
    }

    private func attr(_ element: LaunchElement, _ name: String, _ file: FileContext) throws -> String {
        guard let value = try optionalAttr(element, name, file) else {
            throw LaunchError("<\(element.name)> needs a \(name)= attribute", at: element.location)
        }
        return value
    }

    private func optionalAttr(_ element: LaunchElement, _ name: String, _ file: FileContext) throws -> String? {
        guard let raw = element.attributes[name] else { return nil }
        return try Substitution.evaluate(raw, in: file.subst, at: element.location)
    }

    private func bool(_ element: LaunchElement, _ name: String, _ file: FileContext, default value: Bool) throws -> Bool {
        guard let text = try optionalAttr(element, name, file) else { return value }
        guard case .bool(let b)? = ParamValue.parse(text, type: "bool") else {
            throw LaunchError("\(name)=\"\(Self.excerpt(text))\" must be true or false", at: element.location)
        }
        return b
    }

    /// A number in 0...max (a value from a file must never reach a conversion that traps).
    private func number(_ element: LaunchElement, _ name: String, _ file: FileContext, default value: Double,
                        max: Double) throws -> Double {
        guard let text = try optionalAttr(element, name, file) else { return value }
        guard let d = Double(text.trimmingCharacters(in: .whitespaces)), d >= 0, d <= max else {
            throw LaunchError("\(name)=\"\(Self.excerpt(text))\" must be a number from 0 to \(GraphRender.format(max))", at: element.location)
        }
        return d
    }

    /// A whole number in 0...max.
    private func count(_ element: LaunchElement, _ name: String, _ file: FileContext, default value: Int, max: Int) throws -> Int {
        guard let text = try optionalAttr(element, name, file) else { return value }
        guard let n = Int(text.trimmingCharacters(in: .whitespaces)), n >= 0, n <= max else {
            throw LaunchError("\(name)=\"\(Self.excerpt(text))\" must be a whole number from 0 to \(max)", at: element.location)
        }
        return n
    }

    /// A value as quoted in an error line: long ones are cut (one error, one readable line).
    static func excerpt(_ text: String) -> String {
        text.count <= 80 ? text : String(text.prefix(77)) + "..."
    }

    private func namespace(_ ns: String, in scope: Scope, at element: LaunchElement) throws -> String {
        guard ns.isEmpty || Names.isValid(ns) else { throw LaunchError("invalid namespace '\(ns)'", at: element.location) }
        return Names.resolve(ns, in: scope.namespace)
    }
}
