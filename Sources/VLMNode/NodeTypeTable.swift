/// The node-type table of docs/launch.md, written from the declarations (a test keeps the doc in step).
public enum NodeTypeTable {
    public static let begin = "<!-- node-types: generated from the node type declarations; a test checks it -->"
    public static let end = "<!-- end node-types -->"

    /// The table for `specs`, in the given order.
    public static func markdown(_ specs: [NodeTypeSpec]) -> String {
        var lines = [
            "| type | inputs (role: default topic, type) | outputs | params (* required, = default) | started as |",
            "|---|---|---|---|---|",
        ]
        for spec in specs {
            var inputs = spec.inputs.map { port($0) }
            if let dynamic = spec.dynamicInputsParam { inputs.append("one per topic in `\(dynamic)` (any type)") }
            let params = spec.params.map { p -> String in
                var text = "`\(p.name)`" + (p.required ? "*" : "")
                if let d = p.defaultValue { text += " = `\(d)`" }
                if p.kind == .stringList { text += " (list or `a, b`)" }
                return text
            }
            lines.append("| `\(spec.name)` | \(inputs.joined(separator: "; ")) | \(spec.outputs.map { port($0) }.joined(separator: "; ")) | "
                         + "\(params.joined(separator: ", ")) | `\(spec.startedAs)` |")
        }
        return lines.joined(separator: "\n")
    }

    static func port(_ p: PortSpec) -> String {
        "`\(p.role)`\(p.optional ? " (optional)" : ""): `\(p.defaultTopic)`, \(p.type)"
            + (p.isControl ? ", control" : "") + (p.queueCapacity.map { $0 > 0 && !p.isControl ? ", queue \($0)" : "" } ?? "")
    }
}
