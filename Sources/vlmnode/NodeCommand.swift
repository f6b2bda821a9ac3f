import ArgumentParser

/// `vlmnode node <type>`: run a plugin node, standalone (options) or from a launch file
/// (`VLMNODE_WIRING`). One subcommand per node type; register it here.
struct NodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "Run a plugin node (standalone, or as started by `vlmnode launch`).",
        subcommands: [
            NodeDetectCommand.self,
            NodeVideoCommand.self,
            NodeGroundCommand.self,
            NodeVQACommand.self,
        ])
}
