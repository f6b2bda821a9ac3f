import ArgumentParser
import Foundation
import VLMLaunch

/// `vlmnode remote-node` (hidden): the far end of a node the launcher starts over ssh. It takes
/// nothing on its command line: the node's command, wiring and key files arrive as one JSON line
/// on stdin (`RemoteHandover`), and the node ends when stdin closes (docs/multi-host.md).
struct RemoteNodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remote-node",
        abstract: "Run one node for a launcher on another machine (started by `vlmnode launch` over ssh).",
        shouldDisplay: false)

    func run() throws {
        let status = RemoteNodeRunner(version: VLMNodeCommand.version, executable: CurrentExecutable.path).run()
        if status != 0 { throw ExitCode(status) }
    }
}
