import ArgumentParser
import Foundation
import VLMPlugins

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
            ViewCommand.self,
            BenchCommand.self,
            DoctorCommand.self,
            KeysCommand.self,
            RemoteNodeCommand.self,
        ])

    /// `vlmnode --version`, and the first line of `vlmnode doctor`.
    static let version = "0.2.0"

    /// Registers the built-in plugins' node types (for `launch`, `graph` and `node`), then runs the
    /// command as ArgumentParser's own `main` does.
    static func main() async {
        // A process started from a thread that blocks signals (a test runner's worker, a dispatch
        // queue) inherits that mask; every vlmnode command stops on SIGINT/SIGTERM, so take them back.
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        for sig in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&stopSignals, sig) }
        pthread_sigmask(SIG_UNBLOCK, &stopSignals, nil)
        BuiltInPlugins.registerAll()
        ViewNodeType.register()  // `type="view"`: the viewer lives in this executable, not in a plugin
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
