import ArgumentParser
import Foundation
import VLMNode

/// The options every plugin node command shares: its frame input and its main output.
struct NodeStreamOptions: ParsableArguments {
    @Option(help: "Endpoint of the frame publisher (vlm/Frame).") var input: String?
    @Option(help: "Topic of the frames.") var inputTopic: String?
    @Option(help: "Endpoint to publish results on (default tcp://127.0.0.1:*, printed at start).") var bind: String?
    @Option(help: "Topic of the results.") var topic: String?
    @OptionGroup(title: "Security (docs/multi-host.md)") var security: BusSecurityOptions

    /// Overrides for the `image` input, the `output` role and the node's security.
    func overrides(output: String) throws -> NodeOverrides {
        var o = NodeOverrides()
        o.security = try security.forNode()
        o.inputs["image"] = PortOverride(endpoint: input, topic: inputTopic)
        o.outputs[output] = PortOverride(endpoint: bind, topic: topic)
        return o
    }
}

/// Running a plugin node from its command: the command only turns options into overrides; the
/// wiring, the loop, the signals and the stats are `NodeMain`'s, the same for every node.
enum NodeCLI {
    static func run(_ plugin: any NodePlugin.Type, overrides: NodeOverrides, maxRate: Double? = nil) throws {
        do {
            try NodeMain.run(plugin, overrides: overrides, options: .init(maxRate: maxRate))
        } catch {
            throw CLIError(NodeLog.escape("\(error)"))
        }
    }

    /// A control input given on the command line: endpoint, topic, and whether to bind it.
    static func control(endpoint: String?, topic: String?, bind: Bool) -> PortOverride {
        PortOverride(endpoint: endpoint, topic: topic, bind: endpoint != nil ? bind : nil)
    }

    /// The `--help` text after the example: the node type's ports and params, from its declaration.
    static func discussion(_ spec: NodeTypeSpec, example: String) -> String {
        var lines = [example, "", "Node type '\(spec.name)': \(spec.summary)."]
        for p in spec.inputs {
            lines.append("  input \(p.role): \(p.defaultTopic), \(p.type)\(p.optional ? " (optional)" : "")\(p.isControl ? ", control" : "")")
        }
        for p in spec.outputs { lines.append("  output \(p.role): \(p.defaultTopic), \(p.type)") }
        for p in spec.params {
            let d = p.defaultValue.map { " (default \($0))" } ?? (p.required ? " (required)" : "")
            lines.append("  param \(p.name): \(p.kind.rawValue)\(d)\(p.doc.isEmpty ? "" : " — \(p.doc)")")
        }
        lines.append("Launch files set params with <param name=… value=…/>; options given here win over them.")
        return lines.joined(separator: "\n")
    }
}
