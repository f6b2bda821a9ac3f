import Foundation
import VLMNode

/// An `<arg>` a launch file declares, as written (substitutions not applied): what
/// `vlmnode launch --list` shows, so it works for files whose args have no value yet.
public struct LaunchArgDeclaration: Sendable, Hashable {
    public var name: String
    /// `default=`: settable with `name:=value`.
    public var defaultValue: String?
    /// `value=`: fixed, not settable.
    public var fixedValue: String?
    public var doc: String?

    /// Neither default nor fixed value: the arg must be given on the command line.
    public var isRequired: Bool { defaultValue == nil && fixedValue == nil }

    /// The top-level args of the file at `path` (including those in groups, not those of included
    /// files), in file order. Throws the parser's `LaunchError` for unreadable or malformed files.
    public static func declared(inFileAt path: String) throws -> [LaunchArgDeclaration] {
        var out: [LaunchArgDeclaration] = []
        func walk(_ element: LaunchElement) {
            for child in element.children {
                switch child.name {
                case "arg":
                    guard let name = child.attributes["name"] else { continue }
                    out.append(LaunchArgDeclaration(name: name, defaultValue: child.attributes["default"],
                                                    fixedValue: child.attributes["value"], doc: child.attributes["doc"]))
                case "group":
                    walk(child)
                default:
                    continue
                }
            }
        }
        walk(try LaunchXMLParser.parse(fileAt: path))
        return out
    }
}

/// A model a node of a graph will load: a parameter of kind `.model` (its value in the file, else
/// the node type's default). `vlmnode models pull --for FILE` fetches these.
public struct LaunchModelUse: Sendable, Hashable {
    /// The node's full name (`/perception/grounding`).
    public var node: String
    /// The parameter (`model`, `detector`, `segmenter`).
    public var param: String
    /// As written: a short name, a hub id or a folder.
    public var model: String
}

extension LaunchGraph {
    /// Every model the graph's nodes load, in node order. `exec` nodes declare no params, so the
    /// models of outside programs are not known here.
    public var modelUses: [LaunchModelUse] {
        nodes.flatMap { node -> [LaunchModelUse] in
            guard let spec = node.spec else { return [] }
            return spec.params.filter { $0.kind == .model }.compactMap { param in
                guard let value = (node.params[param.name] ?? param.defaultValue)?.stringValue else { return nil }
                return LaunchModelUse(node: node.name, param: param.name, model: value)
            }
        }
    }
}
