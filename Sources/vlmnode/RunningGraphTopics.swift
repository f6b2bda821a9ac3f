import Foundation
import VLMNode

/// The running launches' topics as `vlmnode topic list` prints them (no `--connect`): one line per
/// topic with type, endpoint, publisher -> subscribers and, when measured, the rate.
enum RunningGraphTopics {
    /// Topics of every running launch, the current one first; a topic name appears once.
    static func topics(environment: [String: String] = ProcessInfo.processInfo.environment) -> [(launch: String, topic: LaunchGraphFile.Topic)] {
        var seen = Set<String>()
        var out: [(String, LaunchGraphFile.Topic)] = []
        for graph in GraphRegistry.running(environment: environment) {
            for topic in graph.topics where seen.insert(topic.name).inserted {
                out.append((graph.launchID, topic))
            }
        }
        return out
    }

    /// Aligned table; `rates` (Hz by topic) adds a column when given.
    static func table(_ rows: [(launch: String, topic: LaunchGraphFile.Topic)], rates: [String: Double]? = nil) -> [String] {
        var cells: [[String]] = [["TOPIC", "TYPE", "ENDPOINT", "PUBLISHER -> SUBSCRIBERS"] + (rates == nil ? [] : ["RATE"])]
        for (_, t) in rows {
            let edges = "\(t.publisher ?? "(outside)") -> \(t.subscribers.isEmpty ? "-" : t.subscribers.joined(separator: ", "))"
            var row = [t.name, t.type, t.endpoint ?? "-", edges]
            if let rates {
                row.append(rates[t.name].map { String(format: "%.1f Hz", $0) } ?? "-")
            }
            cells.append(row)
        }
        let widths = (0..<cells[0].count).map { column in cells.map { $0[column].count }.max() ?? 0 }
        return cells.map { row in
            row.enumerated().map { i, cell in i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }
    }
}
