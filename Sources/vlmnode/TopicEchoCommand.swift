import ArgumentParser
import Foundation
import VLMBus

/// `vlmnode topic echo TOPIC --connect E`: each message's header as one JSON line.
struct TopicEchoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo", abstract: "Print each message's header on TOPIC as a JSON line.")

    @Argument(help: "Topic name, matched exactly (e.g. /camera/image).")
    var topic: String

    @OptionGroup var connection: TopicConnection

    @Option(name: .long, help: "Exit after this many messages.")
    var count: Int?

    func run() throws {
        let sub = try connection.subscribe(topic)
        var printed = 0
        while count.map({ printed < $0 }) ?? true {
            let m = try sub.next(exactly: topic, timeout: connection.timeout)
            emitJSONLine(m.header.jsonText)
            printed += 1
        }
        if let loss = sub.lossSummary { emitError(loss) }
    }
}
