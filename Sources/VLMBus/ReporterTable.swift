/// The stats reports a publisher keeps, one entry per reporting subscriber id, bounded: ids come
/// from the network, so a local peer forging reports under fresh ids must not grow memory. At
/// most `BusLimits.maxReporters` entries; a subscriber silent for `reporterTTLNs` is forgotten,
/// and when the table is full the least recently heard one makes room. A forgotten subscriber's
/// counts move to `retired`, so the publisher's drop totals never shrink.
struct ReporterTable {
    private struct Entry {
        var dropped: [String: UInt64]
        var lastHeardNs: Int64
    }

    private var entries: [String: Entry] = [:]
    /// Dropped counts of forgotten subscribers, per topic.
    private(set) var retired: [String: UInt64] = [:]
    let maxReporters: Int
    let ttlNs: Int64

    init(limits: BusLimits) {
        maxReporters = max(limits.maxReporters, 1)
        ttlNs = limits.reporterTTLNs
    }

    var count: Int { entries.count }

    /// Stores `report`, keeping only topics in `published` (nothing else is ever read).
    mutating func record(_ report: SubscriberReport, published: [String: UInt64], nowNs: Int64) {
        expire(nowNs: nowNs)
        if entries[report.subscriber] == nil, entries.count >= maxReporters,
           let oldest = entries.min(by: { $0.value.lastHeardNs < $1.value.lastHeardNs })?.key {
            retire(oldest)
        }
        let dropped = report.dropped.filter { published[$0.key] != nil }
        entries[report.subscriber] = Entry(dropped: dropped, lastHeardNs: nowNs)
    }

    /// Forgets subscribers not heard from within the time to live.
    mutating func expire(nowNs: Int64) {
        for (id, entry) in entries where nowNs &- entry.lastHeardNs > ttlNs { retire(id) }
    }

    /// Dropped counts per topic: live reports plus retired ones (wrapping adds: counts are hostile).
    var droppedPerTopic: [String: UInt64] {
        var sum = retired
        for entry in entries.values {
            for (topic, dropped) in entry.dropped { sum[topic, default: 0] &+= dropped }
        }
        return sum
    }

    private mutating func retire(_ id: String) {
        guard let entry = entries.removeValue(forKey: id) else { return }
        for (topic, dropped) in entry.dropped { retired[topic, default: 0] &+= dropped }
    }
}
