import ArgumentParser

/// The `vlmnode` command line: one file per subcommand, registered here.
@main
struct VLMNodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vlmnode",
        abstract: "Language-grounded perception nodes for robots and video pipelines.",
        subcommands: [
            SourceCommand.self,
            TopicCommand.self,
            ModelsCommand.self,
            ClassifyCommand.self,
            DetectCommand.self,
            VideoCommand.self,
            GroundCommand.self,
            SegmentCommand.self,
            NodeCommand.self,
            LaunchCommand.self,
            GraphCommand.self,
            RecordCommand.self,
            PlayCommand.self,
            BagCommand.self,
            BenchCommand.self,
            KeysCommand.self,
        ])
}
