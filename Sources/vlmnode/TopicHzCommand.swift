import ArgumentParser
import Foundation
import VLMBus

/// `vlmnode topic hz TOPIC --connect E`: arrival rate with min/max/std of the intervals.
struct TopicHzCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hz", abstract: "Print the publishing rate of TOPIC once a second.")

    @Argument(help: "Topic name, matched exactly.")
    var topic: String

    @OptionGroup var connection: TopicConnection

    @Option(name: .long, help: "Exit after this many messages (and print a final line).")
    var count: Int?

    @Option(name: .long, help: "Number of most recent intervals the statistics cover.")
    var window: Int = 100

    @Option(name: .long, help: "Seconds between report lines.")
    var interval: Double = 1.0

    func validate() throws {
        if window < 1 { throw ValidationError("--window must be at least 1, got \(window)") }
    }

    func run() throws {
        let sub = try connection.subscribe(topic)
        var intervals = SlidingWindow(capacity: window)
        var lastArrival: Int64?
        var lastReport = BusClock.monotonicNs()
        var seen = 0
        func report() {
            lastReport = BusClock.monotonicNs()
            guard let s = intervals.summary() else {
                emitLine("\(topic): no new messages")
                return
            }
            emitLine(String(format: "%@: average rate %.3f Hz  min %.4f s  max %.4f s  std dev %.5f s  window %d",
                            topic, 1 / s.mean, s.min, s.max, s.std, s.count))
        }
        while count.map({ seen < $0 }) ?? true {
            _ = try sub.next(exactly: topic, timeout: connection.timeout) {
                if Double(BusClock.monotonicNs() - lastReport) / 1e9 >= interval { report() }
            }
            let now = BusClock.monotonicNs()
            if let last = lastArrival { intervals.append(Double(now - last) / 1e9) }
            lastArrival = now
            seen += 1
            if Double(now - lastReport) / 1e9 >= interval { report() }
        }
        report()
        if let loss = sub.lossSummary { emitError(loss) }
    }
}

/// The last `capacity` samples and their statistics.
struct SlidingWindow {
    let capacity: Int
    private var values: [Double] = []
    private var head = 0

    init(capacity: Int) { self.capacity = capacity }

    mutating func append(_ v: Double) {
        if values.count < capacity { values.append(v) } else { values[head] = v; head = (head + 1) % capacity }
    }

    var sum: Double { values.reduce(0, +) }

    func summary() -> (mean: Double, min: Double, max: Double, std: Double, count: Int)? {
        guard !values.isEmpty else { return nil }
        let mean = sum / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
        return (mean, values.min()!, values.max()!, variance.squareRoot(), values.count)
    }
}
