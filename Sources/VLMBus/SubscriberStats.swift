/// Per-topic delivery counters of a subscriber.
public struct TopicCounters: Sendable, Equatable {
    /// Valid messages that arrived.
    public var received: UInt64 = 0
    /// Messages missing between consecutive `seq` values: dropped upstream (publisher high-water
    /// mark) or in transit. A `seq` that goes backwards or jumps further than
    /// `BusLimits.maxSeqGap` is a publisher restart, not a gap, so one message adds at most that.
    public var gaps: UInt64 = 0
    /// Times the `seq` went backwards or jumped beyond `BusLimits.maxSeqGap` (a restarted or
    /// different publisher, or a peer sending junk).
    public var restarts: UInt64 = 0
    /// Messages that arrived but were replaced by newer ones (`QoS.latest`) or evicted from a
    /// full queue (`QoS.queue`) before the reader took them.
    public var overwritten: UInt64 = 0

    public init() {}

    /// Everything published that the reader did not get.
    public var dropped: UInt64 { gaps &+ overwritten }

    /// Counts the step from `last` to `seq` on one topic: a forward jump of up to `maxGap` adds the
    /// messages skipped; a repeat adds nothing; anything else is a restart.
    mutating func countSequence(from last: UInt64, to seq: UInt64, maxGap: UInt64) {
        if seq > last, seq - last <= maxGap {
            gaps += seq - last - 1
        } else if seq != last {
            restarts += 1
        }
    }
}

/// A subscriber's counters.
public struct SubscriberStats: Sendable, Equatable {
    public var topics: [String: TopicCounters] = [:]
    /// Messages skipped because they broke the envelope (part count, JSON, fields, blob sizes).
    public var malformed: UInt64 = 0
    /// Why the most recent malformed message was skipped.
    public var lastMalformedReason: String?
    /// Set when the receiving thread stopped on a socket error (then `receive` returns nil).
    public var receiveError: String?
    /// Messages the reader has taken with `receive`.
    public var delivered: UInt64 = 0
    /// Messages skipped because they came on a topic beyond `BusLimits.maxTopics`.
    public var excessTopicMessages: UInt64 = 0

    public var received: UInt64 { topics.values.reduce(0) { $0 + $1.received } }
    public var dropped: UInt64 { topics.values.reduce(0) { $0 &+ $1.dropped } }
    public var overwritten: UInt64 { topics.values.reduce(0) { $0 + $1.overwritten } }
    public var gaps: UInt64 { topics.values.reduce(0) { $0 + $1.gaps } }
}

/// The messages waiting for the reader, under the QoS policy. Not locked: owned by SubscriberCore.
struct PendingMessages {
    let qos: QoS
    // latest: one slot per topic, handed out in the order topics first became pending.
    private var slots: [String: BusMessage] = [:]
    private var order: [String] = []
    private var orderHead = 0
    // queue: a ring of `capacity` messages.
    private var ring: [BusMessage?] = []
    private var ringHead = 0
    private(set) var count = 0

    init(qos: QoS) {
        self.qos = qos
        if case .queue(let capacity) = qos { ring = Array(repeating: nil, count: max(capacity, 1)) }
    }

    /// Adds a message; returns the topic of a message it displaced, if any.
    mutating func push(_ message: BusMessage) -> String? {
        switch qos {
        case .latest:
            if slots.updateValue(message, forKey: message.topic) != nil { return message.topic }
            order.append(message.topic)
            count += 1
            return nil
        case .queue:
            var displaced: String?
            if count == ring.count {
                displaced = ring[ringHead]?.topic
                ring[ringHead] = nil
                ringHead = (ringHead + 1) % ring.count
                count -= 1
            }
            ring[(ringHead + count) % ring.count] = message
            count += 1
            return displaced
        }
    }

    mutating func pop() -> BusMessage? {
        guard count > 0 else { return nil }
        count -= 1
        switch qos {
        case .latest:
            let topic = order[orderHead]
            orderHead += 1
            if orderHead > 64 && orderHead * 2 > order.count {
                order.removeFirst(orderHead)
                orderHead = 0
            }
            return slots.removeValue(forKey: topic)
        case .queue:
            let m = ring[ringHead]
            ring[ringHead] = nil
            ringHead = (ringHead + 1) % ring.count
            return m
        }
    }
}
