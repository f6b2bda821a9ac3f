import ArgumentParser
import Foundation
import VLMBus
import VLMNode

/// `vlmnode topic list`: the running launches' topics (types, endpoints, publishers, subscribers;
/// rates with `--verbose`) from their graph files; with `--connect E`, what an endpoint publishes,
/// by listening.
struct TopicListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the running launch's topics, or (with --connect) the topics seen on an endpoint within a short window.")

    @OptionGroup var connection: TopicConnection

    @Option(name: .long, help: "Seconds to listen.")
    var duration: Double = 1.0

    @Flag(name: .long, help: "Also print type, message count and rate.")
    var verbose = false

    func run() throws {
        if connection.connect.isEmpty { return try listRunningGraph() }
        let sub = try connection.subscribe("")
        var seen: [String: (type: String, count: Int)] = [:]
        let end = Date(timeIntervalSinceNow: duration)
        while Date() < end {
            guard let m = sub.receive(timeout: end.timeIntervalSinceNow) else { continue }
            seen[m.topic, default: (m.header.type, 0)].count += 1
        }
        if seen.isEmpty {
            throw CLIError(
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

    /// Topics from the graph files of running launches; with `--verbose`, rates measured by
    /// listening to every in-graph publisher for `--duration` seconds.
    private func listRunningGraph() throws {
        let rows = RunningGraphTopics.topics()
        if rows.isEmpty {
            throw CLIError(
                "no running launch (no graph file in \(GraphRegistry.directory().path)); start one with vlmnode launch, or give --connect ENDPOINT")
        }
        var rates: [String: Double]?
        if verbose {
            let published = rows.map(\.topic).filter { $0.publisher != nil && $0.endpoint != nil }
            var counts: [String: Int] = [:]
            if !published.isEmpty {
                let sub = try Subscriber(connect: published.compactMap(\.endpoint), topics: published.map(\.name),
                                         qos: .queue(capacity: 10000))
                let end = Date(timeIntervalSinceNow: duration)
                while Date() < end {
                    guard let m = sub.receive(timeout: end.timeIntervalSinceNow) else { continue }
                    counts[m.topic, default: 0] += 1
                }
            }
            rates = Dictionary(uniqueKeysWithValues: published.map { ($0.name, Double(counts[$0.name] ?? 0) / duration) })
        }
        for line in RunningGraphTopics.table(rows, rates: rates) { emitLine(line) }
    }
}
