import Foundation

/// The accepted elements and attributes (docs/launch.md prints the same table). Anything else is an
/// error with its line, so a typo such as `respwan="true"` never passes silently.
public enum Schema {
    public struct ElementRule: Sendable {
        public var required: [String]
        public var optional: [String]
        public var children: [String]
    }

    static let conditions = ["if", "unless"]
    static let topLevel = ["arg", "node", "group", "include", "env", "remap", "machine"]

    public static let elements: [String: ElementRule] = [
        "launch": ElementRule(required: [], optional: ["version"], children: topLevel),
        "arg": ElementRule(required: ["name"], optional: ["default", "value", "doc"] + conditions, children: []),
        "node": ElementRule(
            required: ["name", "type"],
            optional: ["exec", "args", "ns", "respawn", "respawn_delay", "respawn_max", "required", "output", "cwd", "machine"] + conditions,
            children: ["param", "remap", "env", "input", "output"]),
        "param": ElementRule(required: ["name", "value"], optional: ["type"] + conditions, children: []),
        "remap": ElementRule(required: ["from", "to"], optional: conditions, children: []),
        "group": ElementRule(required: [], optional: ["ns", "machine"] + conditions, children: topLevel),
        "include": ElementRule(required: ["file"], optional: ["ns", "machine"] + conditions, children: ["arg"]),
        "machine": ElementRule(required: ["name", "address"],
                               optional: ["user", "port", "vlmnode", "env-loader", "identity"] + conditions, children: []),
        "env": ElementRule(required: ["name", "value"], optional: conditions, children: []),
        "input": ElementRule(required: ["name"], optional: ["topic", "type", "endpoint"] + conditions, children: []),
        "output": ElementRule(required: ["name"], optional: ["topic", "type", "endpoint"] + conditions, children: []),
    ]

    /// Checks `root` and its descendants against the table; throws the first violation.
    public static func check(_ element: LaunchElement, parent: String? = nil) throws {
        guard let rule = elements[element.name] else {
            throw LaunchError("unknown element <\(element.name)>", at: element.location)
        }
        for name in element.attributes.keys.sorted() where !rule.required.contains(name) && !rule.optional.contains(name) {
            let accepted = (rule.required + rule.optional).joined(separator: ", ")
            throw LaunchError("<\(element.name)> has no attribute '\(name)' (accepted: \(accepted))", at: element.location)
        }
        for name in rule.required where element.attributes[name] == nil {
            throw LaunchError("<\(element.name)> needs a \(name)= attribute", at: element.location)
        }
        for child in element.children {
            guard rule.children.contains(child.name) else {
                if elements[child.name] == nil { throw LaunchError("unknown element <\(child.name)>", at: child.location) }
                throw LaunchError("<\(child.name)> is not allowed inside <\(element.name)>", at: child.location)
            }
            try check(child, parent: element.name)
        }
    }
}
