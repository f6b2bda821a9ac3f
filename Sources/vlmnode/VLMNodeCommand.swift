import ArgumentParser

/// The `vlmnode` command line: one file per subcommand, registered here.
@main
struct VLMNodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vlmnode",
        abstract: "Language-grounded perception nodes for robots and video pipelines.",
        version: version,
        subcommands: [
            SourceCommand.self,
            TopicCommand.self,
            ModelsCommand.self,
            ClassifyCommand.self,
            DetectCommand.self,
            AskCommand.self,
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
            DoctorCommand.self,
        ])

    /// `vlmnode --version`, and the first line of `vlmnode doctor`.
    static let version = "0.2.0"
}
