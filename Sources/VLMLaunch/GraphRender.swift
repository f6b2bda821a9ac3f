import Foundation
import VLMNode

/// Human and Graphviz views of a validated graph (`vlmnode graph`, `vlmnode launch --check`).
public enum GraphRender {
    /// Args, nodes (with their command lines and ports), topics (type, endpoint, edges).
    public static func text(_ graph: LaunchGraph, vlmnodeExecutable: String = "vlmnode") -> String {
        var lines: [String] = []
        lines.append("launch \(graph.file): \(graph.nodes.count) node\(graph.nodes.count == 1 ? "" : "s"), \(graph.topics.count) topic\(graph.topics.count == 1 ? "" : "s")")
        if !graph.args.isEmpty {
            lines.append("args:")
            for arg in graph.args { lines.append("  \(arg.name) = \(arg.value)") }
        }
        if !graph.machines.isEmpty {
            lines.append("machines:")
            let remote = Set(graph.nodes.filter(\.isRemote).compactMap { $0.machine?.name })
            for m in graph.machines {
                let port = m.port.map { " port \($0)" } ?? ""
                let how = remote.contains(m.name) ? "ssh" : (graph.nodes.contains { $0.machine?.name == m.name } ? "this host" : "unused")
                lines.append("  \(m.name) \(m.destination)\(port) (\(how))")
            }
        }
        lines.append("nodes:")
        for node in graph.nodes {
            var flags: [String] = []
            if node.description.required { flags.append("required") }
            if node.description.respawn {
                flags.append("respawn(delay \(format(node.description.respawnDelay)) s, max \(node.description.respawnMax))")
            }
            // A remote node runs the vlmnode of its machine.
            let executable = node.isRemote ? (node.machine?.vlmnode ?? "vlmnode") : vlmnodeExecutable
            let command = (try? graph.commandLine(for: node, vlmnodeExecutable: executable))
                .map { $0.map(quoteIfNeeded).joined(separator: " ") } ?? "?"
            let placement = node.machine.map { " on \($0.name)\(node.isRemote ? " (ssh)" : "")" } ?? ""
            lines.append("  \(node.name) [\(node.type)]\(placement)\(flags.isEmpty ? "" : " " + flags.joined(separator: " "))")
            lines.append("    command: \(command)")
            for (key, value) in node.params.sorted(by: { $0.key < $1.key }) {
                lines.append("    param \(key) = \(value)")
            }
            for (role, b) in node.inputs.sorted(by: { $0.key < $1.key }) {
                let link = b.security != nil ? " via \(b.endpoint ?? "-") (CURVE)" : ""
                lines.append("    in  \(role) <- \(b.topic) [\(b.type)]\(link)")
            }
            for (role, b) in node.outputs.sorted(by: { $0.key < $1.key }) {
                let link = b.security != nil ? " bound at \(b.endpoint ?? "-") (CURVE)" : ""
                lines.append("    out \(role) -> \(b.topic) [\(b.type)]\(link)")
            }
        }
        lines.append("topics:")
        let crossing = Set(graph.nodes.flatMap { $0.outputs.values.filter { $0.security?.identity != nil }.map(\.topic) })
        for topic in graph.topics {
            let from = topic.publisher ?? "(outside, connects)"
            let to = topic.subscribers.isEmpty ? "(no subscriber)" : topic.subscribers.joined(separator: ", ")
            let curve = crossing.contains(topic.name) ? " (CURVE, crosses machines)" : ""
            lines.append("  \(topic.name) [\(topic.type)] \(topic.endpoint ?? "-")\(curve): \(from) -> \(to)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Graphviz: nodes as boxes, topics as ellipses, publisher -> topic -> subscriber edges.
    public static func dot(_ graph: LaunchGraph) -> String {
        var lines = ["digraph \"\(escape(graph.file))\" {", "  rankdir=LR;"]
        for node in graph.nodes {
            lines.append("  \"n:\(escape(node.name))\" [shape=box, label=\"\(escape(node.name))\\n\(escape(node.type))\"];")
        }
        for topic in graph.topics {
            lines.append("  \"t:\(escape(topic.name))\" [shape=ellipse, label=\"\(escape(topic.name))\\n\(escape(topic.type))\"];")
            if let publisher = topic.publisher {
                lines.append("  \"n:\(escape(publisher))\" -> \"t:\(escape(topic.name))\";")
            }
            for subscriber in topic.subscribers {
                lines.append("  \"t:\(escape(topic.name))\" -> \"n:\(escape(subscriber))\";")
            }
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    private static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }

    static func format(_ d: Double) -> String {
        // Int(d) traps outside Int's range: only whole numbers well inside it print as integers.
        d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
    }

    static func quoteIfNeeded(_ word: String) -> String {
        guard word.isEmpty || word.contains(where: { $0.isWhitespace || "'\"$\\;&|<>()*?".contains($0) }) else { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
