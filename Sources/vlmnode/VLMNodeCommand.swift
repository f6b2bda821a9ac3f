import ArgumentParser

/// The `vlmnode` command line: one file per subcommand, registered here.
@main
struct VLMNodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vlmnode",
        abstract: "Language-grounded perception nodes for robots and video pipelines.",
        subcommands: [
            TopicCommand.self,
            BenchCommand.self,
            LaunchCommand.self,
            GraphCommand.self,
        ])
}
