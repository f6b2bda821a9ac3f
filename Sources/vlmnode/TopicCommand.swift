import ArgumentParser
import Foundation
import VLMBus
import VLMMessages
import VLMNode

/// `vlmnode topic …`: inspect what flows on the bus, like `ros2 topic`.
struct TopicCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topic",
        abstract: "Inspect topics of a running launch or a bus endpoint: echo, hz, bw, list.",
        subcommands: [TopicEchoCommand.self, TopicHzCommand.self, TopicBwCommand.self, TopicListCommand.self])
}

/// Options every topic tool shares.
struct TopicConnection: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Endpoint to subscribe to (ipc://PATH or tcp://HOST:PORT); repeat for several.",
        discussion: "Without it, the topic is looked up in the running launch's graph file (docs/launch.md)."))
    var connect: [String] = []

    @Option(name: .long, help: "Give up with an error if no message arrives for this many seconds.")
    var timeout: Double?

    @OptionGroup(title: "Security (docs/multi-host.md)") var security: BusSecurityOptions

    /// A subscriber that sees every message (bounded queue) on `topic` prefixes. Without
    /// `--connect`, the endpoint comes from the running launch (`GraphRegistry`).
    func subscribe(_ topic: String, capacity: Int = 1000) throws -> Subscriber {
        try Subscriber(connect: endpoints(for: topic), topics: [topic], qos: .queue(capacity: capacity),
                       security: security.forConnecting())
    }

    /// `--connect` as given, else the publisher's endpoint of `topic` in the running launch.
    func endpoints(for topic: String) throws -> [String] {
        if !connect.isEmpty { return connect }
        guard !topic.isEmpty else {
            throw CLIError( "--connect ENDPOINT is required (the endpoint a publisher printed)")
        }
        do {
            let found = try GraphRegistry.resolve(topic: topic)
            guard found.publisher != nil, let endpoint = found.endpoint else {
                throw CLIError(
                    "topic \(topic) is published from outside the launch (its subscriber binds \(found.endpoint ?? "-")); nothing to listen to")
            }
            return [endpoint]
        } catch let error as NodeWiringError {
            throw CLIError( error.description)
        }
    }
}


extension Subscriber {
    /// The next message whose topic is exactly `topic` (ZeroMQ filters by prefix only). Throws
    /// when `timeout` passes without one; waits forever when it is nil. `tick` runs about every
    /// `tickInterval` seconds while waiting, for periodic output.
    func next(exactly topic: String, timeout: Double?, tickInterval: Double = 0.25,
              tick: () -> Void = {}) throws -> BusMessage {
        let start = Date()
        while true {
            if let m = receive(timeout: tickInterval) {
                if m.topic == topic { return m }
                continue
            }
            tick()
            if let timeout, Date().timeIntervalSince(start) >= timeout {
                throw CLIError(
                    "no message on \(topic) from \(endpoints.joined(separator: ", ")) within \(timeout) s")
            }
        }
    }

    /// One line for stderr when something was skipped or lost, nil when all was well.
    var lossSummary: String? {
        let s = stats
        let restarts = s.topics.values.reduce(UInt64(0)) { $0 &+ $1.restarts }
        guard s.malformed > 0 || s.dropped > 0 || restarts > 0 || s.excessTopicMessages > 0 else { return nil }
        var text = "received \(s.received), dropped \(s.dropped) (\(s.gaps) seq gaps, \(s.overwritten) overwritten), malformed \(s.malformed)"
        if let why = s.lastMalformedReason { text += " (last: \(why))" }
        if restarts > 0 { text += ", \(restarts) seq restarts" }
        if s.excessTopicMessages > 0 { text += ", \(s.excessTopicMessages) on topics beyond the cap (VLMBUS_MAX_TOPICS)" }
        return text
    }
}

/// Writes one line to stdout and flushes, so piped readers see it at once. Control characters
/// (from topics, types, fields on the wire) are escaped: one call is one line, and no escape
/// sequence reaches the terminal.
func emitLine(_ line: String) {
    print(TerminalText.escape(line))
    fflush(stdout)
}

/// `emitLine` for a line of JSON: control characters as JSON `\u00XX`, so it stays parseable.
func emitJSONLine(_ json: String) {
    print(TerminalText.escapeJSON(json))
    fflush(stdout)
}

func emitError(_ line: String) {
    FileHandle.standardError.write(Data((TerminalText.escape(line) + "\n").utf8))
}
