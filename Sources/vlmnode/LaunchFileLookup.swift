import ArgumentParser
import Foundation
import VLMLaunch

/// The CLI side of launch-file lookup (the lookup itself is `LaunchSearchPath` in VLMLaunch):
/// `launch`, `graph`, `models pull --for` and `doctor` take a name or a path through here.
enum LaunchFileLookup {
    /// The file to load for `name`; a note on stderr when a differing copy was passed over.
    static func resolve(_ name: String, searchPath: LaunchSearchPath = LaunchSearchPath()) throws -> String {
        let found = try searchPath.resolve(name)
        if let note = found.note { printError(note) }
        return found.path
    }

    /// Shell completion (bash/zsh/fish) of a launch file argument: every name found on the path.
    static let completion = CompletionKind.custom { _, _, _ in LaunchSearchPath().list().map(\.name) }

    /// `vlmnode launch --list`: the search path, then every file found with where it is, its args
    /// and their docs, and the copies it shadows.
    static func listing(_ searchPath: LaunchSearchPath = LaunchSearchPath()) -> String {
        var out = "Launch files, looked up by name in this order (the first copy found is used):\n"
        for (i, dir) in searchPath.directories.enumerated() {
            out += "  \(i + 1). \(dir.path) (\(dir.origin.rawValue))\n"
        }
        let entries = searchPath.list()
        if entries.isEmpty { return out + "\nNo launch files found.\n" }
        for entry in entries {
            out += "\n\(entry.name)  \(entry.used.path)  [\(entry.used.directory.origin.rawValue)]\n"
            do {
                let args = try LaunchArgDeclaration.declared(inFileAt: entry.used.path).filter { $0.fixedValue == nil }
                let values = args.map { arg in arg.defaultValue.map { $0.isEmpty ? "(default: empty)" : "(default: \($0))" } ?? "(required)" }
                let width = min(24, args.map(\.name.count).max() ?? 0)
                let valueWidth = min(40, values.map(\.count).max() ?? 0)
                for (arg, value) in zip(args, values) {
                    let name = arg.name.padding(toLength: max(width, arg.name.count), withPad: " ", startingAt: 0)
                    let shown = arg.doc == nil ? value : value.padding(toLength: max(valueWidth, value.count), withPad: " ", startingAt: 0)
                    out += "    \(name)  \(shown)" + (arg.doc.map { "  \($0)" } ?? "") + "\n"
                }
                if args.isEmpty { out += "    (no args)\n" }
            } catch {
                out += "    (cannot read: \(error))\n"
            }
            let usedData = FileManager.default.contents(atPath: entry.used.path)
            for copy in entry.copies.dropFirst() {
                let same = FileManager.default.contents(atPath: copy.path) == usedData ? "identical" : "differs"
                out += "    shadowed, not used: \(copy.path)  [\(copy.directory.origin.rawValue); \(same)]\n"
            }
        }
        return out
    }
}

/// The models a launch file's nodes load, for `vlmnode models pull --for FILE`.
enum LaunchModels {
    /// Each distinct model value (as written) of the graph, in node order; one line per use on stderr.
    static func needed(byLaunchFile name: String, overrides: [String]) throws -> [String] {
        let file = try LaunchFileLookup.resolve(name)
        let graph = try LaunchLoader.load(file: file, overrides: try LaunchLoader.parseOverrides(overrides),
                                          paths: LaunchPaths(file: file))
        let uses = graph.modelUses
        if uses.isEmpty { printError("\(file): no node of this launch file loads a model") }
        for use in uses { printError("\(file): node \(use.node) loads \(use.param) = \(use.model)") }
        var seen = Set<String>()
        return uses.map(\.model).filter { seen.insert($0).inserted }
    }
}
