import ArgumentParser
import Foundation
import VLMBus

/// `vlmnode topic list --connect E`: the topics and types an endpoint publishes, by listening.
/// (A registry-backed list arrives with the launcher; until then this is what an endpoint shows.)
struct TopicListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the topics (and their types) seen on an endpoint within a short window.")

    @OptionGroup var connection: TopicConnection

    @Option(name: .long, help: "Seconds to listen.")
    var duration: Double = 1.0

    @Flag(name: .long, help: "Also print type, message count and rate.")
    var verbose = false

    func run() throws {
        let sub = try connection.subscribe("")
        var seen: [String: (type: String, count: Int)] = [:]
        let end = Date(timeIntervalSinceNow: duration)
        while Date() < end {
            guard let m = sub.receive(timeout: end.timeIntervalSinceNow) else { continue }
            seen[m.topic, default: (m.header.type, 0)].count += 1
        }
        if seen.isEmpty {
            throw TopicToolError(description:
                "no messages from \(connection.connect.joined(separator: ", ")) within \(duration) s")
        }
        let width = seen.keys.map(\.count).max() ?? 0
        for (topic, info) in seen.sorted(by: { $0.key < $1.key }) {
            if verbose {
                emitLine(topic.padding(toLength: width, withPad: " ", startingAt: 0)
                    + "  \(info.type)  \(info.count) msgs  " + String(format: "%.1f Hz", Double(info.count) / duration))
            } else {
                emitLine(topic.padding(toLength: width, withPad: " ", startingAt: 0) + "  \(info.type)")
            }
        }
        if let loss = sub.lossSummary { emitError(loss) }
    }
}
