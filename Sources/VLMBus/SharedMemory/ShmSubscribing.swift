import Foundation

extension Subscriber {
    /// Subscribes to `topics` (prefixes) through shared memory: frames arrive as references to a
    /// slot in the publisher's ring and are read in place; other messages on those topics arrive
    /// as usual. Only for publishers on this host that speak the addition (vlmnode's do; a
    /// publisher that does not sends nothing to these subscriptions) — docs/protocol.md section 8.
    public convenience init(connect endpoints: [String], sharedMemoryTopics topics: [String], qos: QoS = .latest,
                            context: ZMQContext = .shared) throws {
        try self.init(connect: endpoints, topics: topics.map(SharedMemoryTopic.request), qos: qos, context: context)
    }

    /// Subscribes to `topics` (prefixes) and lets the publisher's first message decide how frames
    /// come: through shared memory when the publisher speaks the addition and its segment maps
    /// here, inline otherwise (a plain ZeroMQ publisher, another host or container). Connect to
    /// one publisher (the choice is per prefix, not per peer) — docs/protocol.md section 8.4.
    public convenience init(connect endpoint: String, negotiatingSharedMemoryFor topics: [String], qos: QoS = .latest,
                            context: ZMQContext = .shared, limits: BusLimits = .current) throws {
        try Endpoint.validateForConnect(endpoint)
        try self.init(endpoints: [endpoint], bind: false, allowRemote: false, topics: topics, qos: qos, context: context,
                      limits: limits, negotiation: ShmNegotiation(prefixes: topics))
    }

    /// Connects to one publisher at `endpoint`: negotiates shared memory (above) when `sharedMemory`
    /// is asked and the link allows it — no CURVE and a publisher on this host —, otherwise a plain
    /// subscription with `security`. The one place that makes this choice (nodes, the viewer).
    public convenience init(connect endpoint: String, topics: [String], qos: QoS, security: BusSecurity = .none,
                            sharedMemory: Bool) throws {
        if sharedMemory, !security.isCurve, Endpoint.isSameHost(endpoint) {
            try self.init(connect: endpoint, negotiatingSharedMemoryFor: topics, qos: qos)
        } else {
            try self.init(connect: [endpoint], topics: topics, qos: qos, security: security)
        }
    }

    /// Shared-memory counters: frames resolved, reclaimed before delivery, torn while read.
    public var sharedMemoryStats: SharedMemoryReaderStats { core.shm.counters.snapshot }
}

extension Endpoint {
    /// True when a publisher at `endpoint` runs on this host: `ipc://` and loopback `tcp://`
    /// (worth negotiating shared memory with; anything else is assumed remote).
    public static func isSameHost(_ endpoint: String) -> Bool {
        if endpoint.hasPrefix("ipc://") { return true }
        guard endpoint.hasPrefix("tcp://") else { return false }
        let rest = endpoint.dropFirst("tcp://".count)
        guard let colon = rest.lastIndex(of: ":") else { return false }
        return isLoopback(String(rest[..<colon]))
    }
}

extension BusMessage {
    /// Runs `body` on the frame's pixels in place: the one blob of an inline frame, or the ring
    /// slot of a shared one. Nil when a shared slot was overwritten before or during `body` (a
    /// torn read: counted, and whatever `body` computed must be discarded) or there are no pixels.
    public func withFramePixels<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
        guard let blob = blobs.first else { return nil }
        if let sharedFrame { return try sharedFrame.withPixels(count: blob.count, body) }
        return try blob.withUnsafeBytes(body)
    }

    /// This message with its pixels in memory of its own (for keeping a frame, e.g. recording):
    /// a checked copy of a shared slot, nil if the slot was overwritten first. Inline messages
    /// come back unchanged.
    public func detachedFromSharedMemory() -> BusMessage? {
        guard sharedFrame != nil, let count = blobs.first?.count else { return self }
        guard let buffer = malloc(max(count, 1)) else { return nil }
        let copied: Bool = withFramePixels {
            UnsafeMutableRawBufferPointer(start: buffer, count: count).copyMemory(from: $0)
            return true
        } ?? false
        guard copied else {
            free(buffer)
            return nil
        }
        // On failure the Blob initializer has freed the buffer.
        guard let blob = try? Blob(takingOwnershipOf: buffer, count: count) else { return nil }
        var m = self
        m.blobs = [blob]
        m.sharedFrame = nil
        return m
    }
}
