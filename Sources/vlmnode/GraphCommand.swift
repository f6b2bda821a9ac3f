import ArgumentParser
import Foundation
import VLMLaunch

/// `vlmnode graph FILE [name:=value…] [--dot]`: the expanded, validated graph, without starting it.
struct GraphCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph",
        abstract: "Print a launch file's expanded graph: nodes, topics and edges (text or Graphviz DOT).")

    @Argument(help: "The launch file: a path or a name, found as `vlmnode launch` finds it (see `vlmnode launch --list`).",
              completion: LaunchFileLookup.completion)
    var file: String

    @Argument(help: "Arg overrides, name:=value.")
    var overrides: [String] = []

    @Flag(help: "Print Graphviz DOT instead of text.")
    var dot = false

    func run() throws {
        do {
            let file = try LaunchFileLookup.resolve(file)
            let paths = LaunchPaths(file: file)
            let graph = try LaunchLoader.load(file: file, overrides: try LaunchLoader.parseOverrides(overrides), paths: paths)
            print(dot ? GraphRender.dot(graph) : GraphRender.text(graph, vlmnodeExecutable: "vlmnode"), terminator: "")
        } catch {
            printError(error)
            throw ExitCode(1)
        }
    }
}
