import CZMQ
import Foundation

/// What a publisher knows about its traffic and its peers.
public struct PublisherStats: Sendable, Equatable {
    /// Messages handed to libzmq, per topic.
    public var published: [String: UInt64] = [:]
    /// Subscription requests seen (one per subscriber and topic prefix).
    public var subscriptions: Int = 0
    /// Subscribers that have sent a stats report (VLMBus subscribers do, every half second) and
    /// were heard from recently (at most `BusLimits.maxReporters`).
    public var reportingSubscribers: Int = 0
    /// Stats reports dropped unread because more arrived than subscribers send (a flood).
    public var reportsIgnored: UInt64 = 0
    /// Messages of this publisher's topics that reporting subscribers never handed to their
    /// reader: lost at a high-water mark (seen as sequence gaps) or overwritten by newer ones.
    public var droppedForSlowPeers: [String: UInt64] = [:]

    public var totalPublished: UInt64 { published.values.reduce(0, +) }
    public var totalDroppedForSlowPeers: UInt64 { droppedForSlowPeers.values.reduce(0, &+) }
}

/// Publishes bus messages on one bound endpoint (an XPUB socket).
///
/// Never blocks: libzmq drops a message for a peer whose queue is at the high-water mark (`QoS`).
/// Drops are made visible by the stats back-channel: VLMBus subscribers send their per-topic
/// counts upstream (XSUB -> XPUB), which `stats` aggregates. Plain SUB clients cannot report, but
/// can count gaps in `seq` themselves. Thread-safe: calls are serialised by a lock, which is also
/// the memory barrier libzmq needs to use a socket from more than one thread.
public final class Publisher: @unchecked Sendable {
    /// The bound endpoint with wildcards resolved (print it: subscribers connect here).
    public let endpoint: String
    public let qos: QoS

    private let lock = NSLock()
    private let socket: ZMQSocket
    private var state = PublisherStats()
    /// Latest cumulative report per subscriber id and topic (bounded and expiring).
    private var reports = ReporterTable(limits: .current)
    /// Reports parsed in the current one-second window: at most four per kept reporter (they
    /// report twice a second). A flood beyond that is received and dropped unparsed, so draining
    /// stays fast and libzmq's upstream queue (unbounded inside XPUB) cannot pile up.
    private var reportWindow: (startNs: Int64, parsed: Int) = (0, 0)
    /// Shared-memory frames for same-host subscribers (SharedMemory/ShmPublishing.swift).
    private let shm = ShmPublishing()
    /// The ZAP handler of a CURVE publisher (Curve/CurveAuthenticator.swift); nil without CURVE.
    let authenticator: CurveAuthenticator?

    /// Binds `endpoint` (default: loopback TCP, free port).
    /// - Parameters:
    ///   - allowRemote: permit a tcp address other than loopback (exposes the graph beyond the host).
    ///   - lingerMs: how long closing waits to flush queued messages.
    ///   - context: nil gives the publisher its own context (and I/O thread), which is terminated
    ///     when the publisher goes away, so queued messages are flushed before exit.
    ///   - security: `.curveServer` authenticates and encrypts every connection (and permits a
    ///     non-loopback address, like `allowRemote`); it needs a context of its own (nil).
    public convenience init(bind endpoint: String = Endpoint.defaultPublisher, qos: QoS = .latest,
                            allowRemote: Bool = false, lingerMs: Int32 = 1000, context: ZMQContext? = nil,
                            security: BusSecurity = .none) throws {
        try self.init(bind: endpoint, qos: qos, allowRemote: allowRemote, lingerMs: lingerMs, context: context,
                      blockWhenFull: false, security: security)
    }

    /// `blockWhenFull` (ZMQ_XPUB_NODROP) makes a full peer queue block the publisher instead of
    /// dropping: only for measuring sustained throughput without loss (`BusBenchmark`).
    init(bind endpoint: String, qos: QoS, allowRemote: Bool, lingerMs: Int32, context: ZMQContext?,
         blockWhenFull: Bool, security: BusSecurity = .none) throws {
        let bindable = try Endpoint.validateForBind(endpoint, allowRemote: allowRemote || security.isCurveServer)
        let socket = try ZMQSocket(try context ?? ZMQContext(), type: ZMQ_XPUB)
        try socket.set(ZMQ_SNDHWM, qos.highWaterMark, name: "ZMQ_SNDHWM")
        try socket.set(ZMQ_LINGER, lingerMs, name: "ZMQ_LINGER")
        // Upstream carries only subscriptions and small stats reports: a peer sending more is cut off.
        try socket.set(ZMQ_MAXMSGSIZE, int64: Int64(BusLimits.current.maxHeaderBytes), name: "ZMQ_MAXMSGSIZE")
        // Verbose: every subscriber's subscription is passed up, not only the first per prefix.
        try socket.set(ZMQ_XPUB_VERBOSE, 1, name: "ZMQ_XPUB_VERBOSE")
        if blockWhenFull { try socket.set(ZMQ_XPUB_NODROP, 1, name: "ZMQ_XPUB_NODROP") }
        authenticator = try security.configureServer(socket, endpointForLog: bindable)
        try socket.bind(bindable)
        self.endpoint = try socket.lastEndpoint()
        authenticator?.bound(self.endpoint)
        self.socket = socket
        self.qos = qos
    }

    /// Publishes `[topic][header][blobs…]`. Blobs are sent by reference, never copied.
    public func publish(topic: String, header: MessageHeader, blobs: [Blob] = []) throws {
        let parts = try Envelope.encode(topic: topic, header: header, blobs: blobs)
        try sendRouted(topic: topic) { route, shm, send in
            if route.plain { try send(parts) }
            if route.shared { try send(try shm.sharedParts(parts, topic: topic, header: header, blobs: blobs)) }
        }
    }

    /// Runs `body` under the lock with where `topic` goes (inline, `@shm:`, or both) and a sender.
    func sendRouted(topic: String, _ body: (ShmRoute, ShmPublishing, ([ZMQMessage]) throws -> Void) throws -> Void) throws {
        lock.lock()
        defer { lock.unlock() }
        drainUpstream()
        try body(shm.subscriptions.route(topic), shm) { parts in
            for (i, part) in parts.enumerated() { try socket.send(part, more: i + 1 < parts.count) }
        }
        state.published[topic, default: 0] += 1
    }

    func withSharedMemory<R>(_ body: (ShmPublishing) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(shm)
    }

    /// Publishes a `vlm/Frame` whose `pixels` hold `frame.byteCount` bytes.
    public func publishFrame(topic: String, seq: UInt64, stampNs: Int64, frame: FrameInfo, pixels: Blob,
                             fields: [String: JSONValue] = [:]) throws {
        guard pixels.count == frame.byteCount else {
            throw EnvelopeError.blobSizeMismatch(
                "frame \(frame.width)x\(frame.height) step \(frame.step) needs \(frame.byteCount) bytes, pixels have \(pixels.count)")
        }
        try publishFrameRouted(topic: topic, seq: seq, stampNs: stampNs, frame: frame, fields: fields, pixels: pixels)
    }

    /// Counters, including the drops reported by subscribers so far.
    public var stats: PublisherStats {
        lock.lock()
        defer { lock.unlock() }
        drainUpstream()
        reports.expire(nowNs: BusClock.monotonicNs())
        var s = state
        s.reportingSubscribers = reports.count
        s.droppedForSlowPeers = reports.droppedPerTopic
        return s
    }

    /// Waits until at least `count` subscriptions have arrived (a subscriber that connects after
    /// a message was sent misses it: ZeroMQ's "slow joiner"). Returns false on timeout.
    public func waitForSubscribers(_ count: Int = 1, timeout: Double) -> Bool {
        let deadline = BusClock.monotonicNs() + Int64(timeout * 1e9)
        lock.lock()
        defer { lock.unlock() }
        while true {
            drainUpstream()
            if state.subscriptions >= count { return true }
            let left = deadline - BusClock.monotonicNs()
            if left <= 0 { return false }
            var item = zmq_pollitem_t(socket: socket.handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
            _ = zmq_poll(&item, 1, Int(min(left / 1_000_000 + 1, 100)))
        }
    }

    /// Reads what subscribers sent upstream: subscriptions and stats reports. Caller holds the lock.
    private func drainUpstream() {
        while let msg = try? socket.receive(dontWait: true) {
            let bytes = msg.bytes
            guard let first = bytes.first else { continue }
            if first <= 1 { shm.subscriptions.note(bytes) }
            if first == 1 {
                state.subscriptions += 1
            } else if first == UInt8(ascii: "{") {
                let now = BusClock.monotonicNs()
                if now - reportWindow.startNs >= 1_000_000_000 { reportWindow = (now, 0) }
                guard reportWindow.parsed < reports.maxReporters * 4 else {
                    state.reportsIgnored += 1
                    continue
                }
                reportWindow.parsed += 1
                if let report = SubscriberReport(json: bytes) {
                    reports.record(report, published: state.published, nowNs: now)
                }
            }
        }
    }
}
