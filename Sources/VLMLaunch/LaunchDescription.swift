import Foundation
import VLMNode

/// Stage 2 output: every node the launch would start, with substitutions done, conditions applied,
/// namespaces and remaps resolved to absolute names. Not yet checked as a graph.
public struct LaunchDescription: Sendable {
    /// The top-level file, as given.
    public var file: String
    /// Top-level args and their final values (for summaries).
    public var args: [(name: String, value: String, doc: String?)]
    public var nodes: [NodeDescription]
    /// Every file read, in include order.
    public var files: [String]
    /// `<machine>` declarations, in file order (docs/multi-host.md).
    public var machines: [MachineDescription] = []
}

/// What a node's output goes to.
public enum NodeOutputMode: String, Sendable, Hashable {
    /// Prefixed on the launcher's stdout and in the node's log file.
    case screen
    /// Only the node's log file.
    case log
}

/// A port override written in the file: `<input name=… topic=… type=… endpoint=…/>` (or `<output>`).
public struct PortDeclaration: Sendable, Hashable {
    public var role: String
    /// Resolved absolute name, nil when the element does not set `topic`.
    public var topic: String?
    public var type: String?
    public var endpoint: String?
    public var location: SourceLocation
}

/// One `<node>` after expansion.
public struct NodeDescription: Sendable {
    /// Fully qualified name, `/robot/detector`.
    public var fullName: String
    public var namespace: String
    public var type: String
    /// `exec` nodes: the program (from `exec=`, else the first word of `args`).
    public var program: String?
    /// Extra words: the program's arguments for `exec`, appended to the command for built-ins.
    public var arguments: [String]
    public var params: [String: ParamValue]
    public var paramLocations: [String: SourceLocation]
    /// Absolute (from, to) pairs, the node's own first, then its groups' innermost first.
    public var remaps: [(from: String, to: String)]
    public var inputs: [PortDeclaration]
    public var outputs: [PortDeclaration]
    public var environment: [String: String]
    public var respawn: Bool
    public var respawnDelay: Double
    /// Respawns allowed before giving up (a node that keeps failing must not loop forever).
    public var respawnMax: Int
    public var required: Bool
    public var output: NodeOutputMode
    public var cwd: String?
    public var location: SourceLocation
    /// The `machine=` in effect (the node's own, else its innermost group's or include's); nil: the
    /// launcher's host.
    public var machine: String?
    /// Where that `machine=` was written (for the unknown-machine error).
    public var machineLocation: SourceLocation?
}

/// ROS-style names: absolute `/a/b`, relative `b` (in the namespace), private `~b` (under the node).
public enum Names {
    /// Resolves `name` in `namespace` (absolute). `node` is the full node name for `~` names.
    public static func resolve(_ name: String, in namespace: String, node: String? = nil) -> String {
        var base: String
        if name.hasPrefix("/") {
            base = name
        } else if name.hasPrefix("~"), let node {
            base = node + "/" + name.dropFirst()
        } else {
            base = namespace + "/" + name
        }
        let parts = base.split(separator: "/", omittingEmptySubsequences: true)
        return "/" + parts.joined(separator: "/")
    }

    /// Letters, digits, `_` and `/` separators; a part may not start with a digit.
    public static func isValid(_ name: String, allowSlash: Bool = true) -> Bool {
        guard !name.isEmpty else { return false }
        var startOfPart = true
        for scalar in name.unicodeScalars {
            if scalar == "/" {
                guard allowSlash else { return false }
                startOfPart = true
                continue
            }
            if scalar == "~", startOfPart { continue }
            let isLetter = (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z") || scalar == "_"
            let isDigit = scalar >= "0" && scalar <= "9"
            guard isLetter || (isDigit && !startOfPart) else { return false }
            startOfPart = false
        }
        return true
    }

    /// Splits a command line into words: whitespace separates, '…' and "…" quote, \ escapes.
    public static func splitCommandLine(_ text: String) throws -> [String] {
        var words: [String] = [], current = "", inWord = false
        var quote: Character? = nil, escaped = false
        for ch in text {
            if escaped { current.append(ch); escaped = false; inWord = true; continue }
            if ch == "\\", quote != "'" { escaped = true; continue }
            if let q = quote {
                if ch == q { quote = nil } else { current.append(ch) }
                continue
            }
            if ch == "'" || ch == "\"" { quote = ch; inWord = true; continue }
            if ch.isWhitespace {
                if inWord { words.append(current); current = ""; inWord = false }
                continue
            }
            current.append(ch)
            inWord = true
        }
        if quote != nil { throw LaunchError("unterminated quote in \"\(text)\"", at: nil) }
        if inWord { words.append(current) }
        return words
    }
}
