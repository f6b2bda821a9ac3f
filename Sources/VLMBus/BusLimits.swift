import Foundation

/// Ceilings on what the bus accepts from peers: any local process can publish or subscribe, so
/// nothing a peer sends may grow memory or counters without bound (docs/security.md lists each
/// limit with its default). Every limit can be raised with the environment variable named.
public struct BusLimits: Sendable, Equatable {
    /// Largest message part a subscriber or publisher socket accepts (ZMQ_MAXMSGSIZE): libzmq drops
    /// the connection before allocating a bigger one. `VLMBUS_MAX_MESSAGE_BYTES`, default 256 MiB
    /// (an 8K RGBA frame is 127 MiB).
    public var maxMessageBytes: Int
    /// Largest whole message (all parts) of any type but `vlm/Frame`, whose size the frame fields
    /// already pin down. Bigger ones are skipped and counted as malformed.
    /// `VLMBUS_MAX_DATA_BYTES`, default 16 MiB.
    public var maxDataMessageBytes: Int
    /// Largest JSON header part. `VLMBUS_MAX_HEADER_BYTES`, default 1 MiB.
    public var maxHeaderBytes: Int
    /// Topics one subscriber tracks (one pending slot and one counter each), or as many topic
    /// prefixes as it subscribed to if that is more; messages on further topics are skipped and
    /// counted in `SubscriberStats.excessTopicMessages`. `VLMBUS_MAX_TOPICS`, default 64.
    public var maxTopics: Int
    /// Largest forward `seq` jump counted as lost messages; a bigger jump (or one backwards) is a
    /// publisher restart, counted in `TopicCounters.restarts`. `VLMBUS_MAX_SEQ_GAP`, default 1000.
    public var maxSeqGap: UInt64
    /// Subscribers whose stats reports a publisher keeps; the least recently heard is evicted
    /// first. `VLMBUS_MAX_REPORTERS`, default 64.
    public var maxReporters: Int
    /// A reporting subscriber not heard from for this long is forgotten (they report every 0.5 s).
    /// `VLMBUS_REPORTER_TTL_S`, default 10.
    public var reporterTTLNs: Int64

    public static let defaults = BusLimits(maxMessageBytes: 256 << 20, maxDataMessageBytes: 16 << 20,
                                           maxHeaderBytes: 1 << 20, maxTopics: 64, maxSeqGap: 1000,
                                           maxReporters: 64, reporterTTLNs: 10_000_000_000)

    /// The limits in force for this process: the defaults, raised or lowered by the environment.
    public static let current = BusLimits(environment: ProcessInfo.processInfo.environment)

    public init(maxMessageBytes: Int, maxDataMessageBytes: Int, maxHeaderBytes: Int, maxTopics: Int,
                maxSeqGap: UInt64, maxReporters: Int, reporterTTLNs: Int64) {
        self.maxMessageBytes = maxMessageBytes
        self.maxDataMessageBytes = maxDataMessageBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxTopics = maxTopics
        self.maxSeqGap = maxSeqGap
        self.maxReporters = maxReporters
        self.reporterTTLNs = reporterTTLNs
    }

    /// The defaults with each variable that is set to a positive integer applied (others ignored).
    public init(environment: [String: String]) {
        self = .defaults
        func value(_ name: String) -> Int? { environment[name].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil } }
        if let v = value("VLMBUS_MAX_MESSAGE_BYTES") { maxMessageBytes = v }
        if let v = value("VLMBUS_MAX_DATA_BYTES") { maxDataMessageBytes = v }
        if let v = value("VLMBUS_MAX_HEADER_BYTES") { maxHeaderBytes = v }
        if let v = value("VLMBUS_MAX_TOPICS") { maxTopics = v }
        if let v = value("VLMBUS_MAX_SEQ_GAP") { maxSeqGap = UInt64(v) }
        if let v = value("VLMBUS_MAX_REPORTERS") { maxReporters = v }
        if let v = value("VLMBUS_REPORTER_TTL_S") { reporterTTLNs = Int64(clamping: v).multipliedReportingOverflow(by: 1_000_000_000).overflow ? .max : Int64(v) * 1_000_000_000 }
    }

    /// ZMQ_MAXMSGSIZE takes an Int64; libzmq compares each part's size against it.
    var zmqMaxMessageSize: Int64 { Int64(maxMessageBytes) }
}
