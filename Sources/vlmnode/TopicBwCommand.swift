import ArgumentParser
import Foundation
import VLMBus

/// `vlmnode topic bw TOPIC --connect E`: bytes per second on the wire (all parts).
struct TopicBwCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bw", abstract: "Print the bandwidth used by TOPIC once a second.")

    @Argument(help: "Topic name, matched exactly.")
    var topic: String

    @OptionGroup var connection: TopicConnection

    @Option(name: .long, help: "Exit after this many messages (and print a final line).")
    var count: Int?

    @Option(name: .long, help: "Number of most recent messages the statistics cover.")
    var window: Int = 100

    @Option(name: .long, help: "Seconds between report lines.")
    var interval: Double = 1.0

    func validate() throws {
        if window < 2 { throw ValidationError("--window must be at least 2, got \(window)") }
    }

    func run() throws {
        let sub = try connection.subscribe(topic)
        // (arrival time, bytes) of the last `window` messages.
        var arrivals: [(Int64, Int)] = []
        var lastReport = BusClock.monotonicNs()
        var seen = 0
        func report() {
            lastReport = BusClock.monotonicNs()
            guard arrivals.count >= 2 else {
                emitLine("\(topic): no new messages")
                return
            }
            let span = Double(arrivals.last!.0 - arrivals.first!.0) / 1e9
            // Bytes that arrived after the first timestamp of the window, over its span.
            let bytes = arrivals.dropFirst().reduce(0) { $0 + $1.1 }
            let sizes = arrivals.map(\.1)
            emitLine(String(format: "%@: %@/s  mean %@  min %@  max %@  window %d",
                            topic, formatBytes(Double(bytes) / max(span, 1e-9)),
                            formatBytes(Double(sizes.reduce(0, +)) / Double(sizes.count)),
                            formatBytes(Double(sizes.min()!)), formatBytes(Double(sizes.max()!)), sizes.count))
        }
        while count.map({ seen < $0 }) ?? true {
            let m = try sub.next(exactly: topic, timeout: connection.timeout) {
                if Double(BusClock.monotonicNs() - lastReport) / 1e9 >= interval { report() }
            }
            arrivals.append((BusClock.monotonicNs(), m.wireByteCount))
            if arrivals.count > window { arrivals.removeFirst(arrivals.count - window) }
            seen += 1
            if Double(BusClock.monotonicNs() - lastReport) / 1e9 >= interval { report() }
        }
        report()
        if let loss = sub.lossSummary { emitError(loss) }
    }
}

/// 1.23 MB, 456.0 KB, 12 B (decimal units, as network rates are usually quoted).
func formatBytes(_ n: Double) -> String {
    if n >= 1e9 { return String(format: "%.2f GB", n / 1e9) }
    if n >= 1e6 { return String(format: "%.2f MB", n / 1e6) }
    if n >= 1e3 { return String(format: "%.1f KB", n / 1e3) }
    return String(format: "%.0f B", n)
}
