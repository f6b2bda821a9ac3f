import CZMQ
import Foundation

/// Receives bus messages from one or more endpoints, filtered by topic prefix.
///
/// A background thread owns the socket (XSUB) and drains it continuously into a small buffer
/// governed by `QoS`, so libzmq's queues stay empty and a slow reader still gets the newest
/// frame: with `.latest` each topic keeps one slot that newer messages overwrite. Malformed
/// messages are skipped and counted. Every half second the thread sends its counters upstream
/// so publishers can report drops for slow peers.
public final class Subscriber: @unchecked Sendable {
    public let endpoints: [String]
    public let qos: QoS
    let core: SubscriberCore
    /// The ZAP handler of a bound CURVE subscriber; nil otherwise.
    let authenticator: CurveAuthenticator?

    /// Connects to `endpoints` and subscribes to each prefix in `topics` (`""`: everything).
    /// `limits`: what a peer may send (message sizes, topics); `BusLimits.current` by default.
    /// `security`: `.curveClient` authenticates both ends and encrypts (one server key for all
    /// `endpoints`).
    public convenience init(connect endpoints: [String], topics: [String] = [""], qos: QoS = .latest,
                            context: ZMQContext = .shared, limits: BusLimits = .current,
                            security: BusSecurity = .none) throws {
        guard !endpoints.isEmpty else { throw ZMQError(code: EINVAL, operation: "connect", subject: "(no endpoint given)") }
        try self.init(endpoints: endpoints, bind: false, allowRemote: false, topics: topics, qos: qos, context: context,
                      limits: limits, security: security)
    }

    /// Binds `endpoint` and lets publishers connect to it (an input fed from outside a launch:
    /// wiring `"bind": true`). `endpoint` is the bound address with wildcards resolved.
    /// `security`: `.curveServer` admits only publishers whose key is authorized (a ZAP handler, in
    /// a context of the subscriber's own: `context` is then not used) and permits a non-loopback bind.
    public convenience init(bind endpoint: String, topics: [String] = [""], qos: QoS = .latest,
                            allowRemote: Bool = false, context: ZMQContext = .shared, limits: BusLimits = .current,
                            security: BusSecurity = .none) throws {
        try self.init(endpoints: [endpoint], bind: true, allowRemote: allowRemote || security.isCurveServer, topics: topics,
                      qos: qos, context: security.isCurveServer ? try ZMQContext() : context, limits: limits,
                      security: security)
    }

    /// `negotiation`: ask for `topics` through shared memory and inline, keep whichever the
    /// publisher's first message allows (SharedMemory/ShmNegotiation.swift).
    init(endpoints: [String], bind: Bool, allowRemote: Bool, topics: [String], qos: QoS, context: ZMQContext,
         limits: BusLimits, security: BusSecurity = .none, negotiation: ShmNegotiation? = nil) throws {
        let socket = try ZMQSocket(context, type: ZMQ_XSUB)
        let bindable = bind ? try Endpoint.validateForBind(endpoints[0], allowRemote: allowRemote) : endpoints[0]
        if bind {
            authenticator = try security.configureServer(socket, endpointForLog: bindable)
        } else {
            try security.configureClient(socket)
            authenticator = nil
        }
        try socket.set(ZMQ_LINGER, 0, name: "ZMQ_LINGER")
        // A part over the cap drops the connection before libzmq allocates it (the peer reconnects).
        try socket.set(ZMQ_MAXMSGSIZE, int64: limits.zmqMaxMessageSize, name: "ZMQ_MAXMSGSIZE")
        let hwm: Int32 = { if case .queue(let n) = qos { return Int32(clamping: min(max(n, 16), 1000)) } else { return 4 } }()
        try socket.set(ZMQ_RCVHWM, hwm, name: "ZMQ_RCVHWM")
        try socket.set(ZMQ_RCVTIMEO, SubscriberCore.pollMs, name: "ZMQ_RCVTIMEO")
        for topic in negotiation == nil ? topics : ShmNegotiation.subscriptions(topics) {
            // XSUB subscribes by sending \x01 + prefix; it replays subscriptions to new peers.
            var request: [UInt8] = [1]
            request.append(contentsOf: topic.utf8)
            try request.withUnsafeBytes { _ = try socket.send(bytes: $0, more: false) }
        }
        if bind {
            try socket.bind(bindable)
            self.endpoints = [try socket.lastEndpoint()]
            authenticator?.bound(self.endpoints[0])
        } else {
            for endpoint in endpoints {
                try Endpoint.validateForConnect(endpoint)
                try socket.connect(endpoint)
            }
            self.endpoints = endpoints
        }
        self.qos = qos
        var coreLimits = limits
        coreLimits.maxTopics = max(limits.maxTopics, topics.count)
        core = SubscriberCore(qos: qos, limits: coreLimits, negotiation: negotiation)
        core.start(socket: socket)
    }

    public convenience init(connect endpoint: String, topic: String = "", qos: QoS = .latest) throws {
        try self.init(connect: [endpoint], topics: [topic], qos: qos)
    }

    deinit { core.stop() }

    /// The next message under the QoS policy; nil when `timeout` seconds pass first (nil timeout:
    /// wait indefinitely) or after `close`.
    public func receive(timeout: Double?) -> BusMessage? { core.take(timeout: timeout) }

    public var stats: SubscriberStats { core.snapshot() }

    /// Stops the receiving thread and closes the socket; `receive` then hands out what was
    /// already buffered, then nil.
    public func close() { core.stop() }
}

/// State shared between the reader and the receiving thread, guarded by one condition lock.
final class SubscriberCore: @unchecked Sendable {
    static let pollMs: Int32 = 50
    static let reportIntervalNs: Int64 = 500_000_000

    private let condition = NSCondition()
    private var pending: PendingMessages
    private var counters = SubscriberStats()
    private var lastSeq: [String: UInt64] = [:]
    private var stopping = false
    private var changedSinceReport = false
    private let finished = DispatchSemaphore(value: 0)
    private var running = false
    let id = String(UInt64.random(in: 0 ... .max), radix: 16)
    /// Mapped shared-memory rings (SharedMemory/ShmReader.swift).
    let shm = ShmReader()

    private let limits: BusLimits
    /// Shared memory or inline, decided per prefix by the first messages (receiving thread only).
    private let negotiation: ShmNegotiation?

    init(qos: QoS, limits: BusLimits = .current, negotiation: ShmNegotiation? = nil) {
        pending = PendingMessages(qos: qos)
        self.limits = limits
        self.negotiation = negotiation
    }

    func start(socket: ZMQSocket) {
        running = true
        // The socket moves to this thread (thread start is the memory barrier libzmq asks for)
        // and is closed there when the loop ends.
        let thread = Thread { [self] in
            self.run(socket: socket)
            self.finished.signal()
        }
        thread.name = "vlmbus-sub"
        thread.start()
    }

    private func run(socket: ZMQSocket) {
        var lastReport = BusClock.monotonicNs()
        while !isStopping {
            let parts: [ZMQMessage]?
            do { parts = try socket.receiveMultipart() } catch {
                // Only a dead context gets here (ETERM); end the stream instead of spinning.
                condition.lock()
                counters.receiveError = "\(error)"
                stopping = true
                condition.broadcast()
                condition.unlock()
                break
            }
            if let parts { accept(parts) }
            negotiation?.flush { request in
                _ = request.withUnsafeBytes { try? socket.send(bytes: $0, more: false, dontWait: true) }
            }
            let now = BusClock.monotonicNs()
            if now - lastReport >= Self.reportIntervalNs {
                lastReport = now
                sendReport(on: socket)
            }
        }
    }

    private var isStopping: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopping
    }

    private func accept(_ parts: [ZMQMessage]) {
        let decoded: Result<BusMessage, EnvelopeError>
        do {
            let envelope = try Envelope.decode(parts, limits: limits)
            // Shared-memory frames resolve to their slot; nil: dropped and counted there.
            let message = try shm.resolve(envelope)
            if let negotiation {
                let shared = message == nil || message?.topic.utf8.count != envelope.topic.utf8.count
                let topic = message?.topic ?? String(envelope.topic.dropFirst(SharedMemoryTopic.marker.count))
                guard negotiation.admit(topic: topic, seq: envelope.header.seq, shared: shared,
                                        unavailable: message == nil && shm.lastWasUnavailable) else { return }
            }
            guard let message else { return }
            decoded = .success(message)
        } catch { decoded = .failure(error) }
        condition.lock()
        defer { condition.unlock() }
        changedSinceReport = true
        switch decoded {
        case .failure(let error):
            counters.malformed += 1
            counters.lastMalformedReason = error.description
        case .success(let message):
            guard counters.topics[message.topic] != nil || counters.topics.count < limits.maxTopics else {
                // Each topic costs a pending slot and counters: a peer inventing topics gets nothing.
                counters.excessTopicMessages += 1
                return
            }
            var c = counters.topics[message.topic] ?? TopicCounters()
            c.received += 1
            if let last = lastSeq[message.topic] {
                c.countSequence(from: last, to: message.header.seq, maxGap: limits.maxSeqGap)
            }
            lastSeq[message.topic] = message.header.seq
            counters.topics[message.topic] = c
            if let displaced = pending.push(message) {
                counters.topics[displaced, default: TopicCounters()].overwritten += 1
            }
            condition.signal()
        }
    }

    private func sendReport(on socket: ZMQSocket) {
        condition.lock()
        let due = changedSinceReport
        changedSinceReport = false
        let topics = counters.topics
        condition.unlock()
        guard due else { return }
        var text = SubscriberReport.encode(subscriber: id, topics: topics)
        _ = text.withUTF8 { try? socket.send(bytes: UnsafeRawBufferPointer($0), more: false, dontWait: true) }
    }

    /// Messages waiting to be taken: a latest-wins subscriber holds at most one per topic.
    var pendingCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return pending.count
    }

    func take(timeout: Double?) -> BusMessage? {
        let deadline = timeout.map { Date(timeIntervalSinceNow: $0) }
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let m = pending.pop() {
                guard shm.admit(m) else { continue }  // a shared slot reused meanwhile
                counters.delivered += 1
                return m
            }
            if stopping { return nil }
            if let deadline {
                if !condition.wait(until: deadline) && pending.count == 0 { return nil }
            } else {
                condition.wait()
            }
        }
    }

    func snapshot() -> SubscriberStats {
        condition.lock()
        defer { condition.unlock() }
        return counters
    }

    func stop() {
        condition.lock()
        let wasRunning = running && !stopping
        stopping = true
        condition.broadcast()
        condition.unlock()
        if wasRunning { finished.wait() }
    }
}
