import Foundation
import VLMBus
import VLMMessages

/// Counters of one input: what the bus delivered and what the runtime did with it.
public struct InputStats: Sendable, Equatable {
    /// Valid messages that arrived.
    public var received: UInt64 = 0
    /// Published but never processed: gaps in `seq` plus overwritten ones.
    public var dropped: UInt64 = 0
    /// Replaced by newer ones (latest wins) or evicted from a full queue before the node took them.
    public var overwritten: UInt64 = 0
    /// Missing `seq` values (lost upstream or in transit).
    public var gaps: UInt64 = 0
    /// Messages that broke the envelope (bad JSON, blob sizes): skipped by the bus.
    public var malformed: UInt64 = 0
    /// Messages the runtime or the node refused (not the declared type, an invalid stamp, an error in `process`).
    public var skipped: UInt64 = 0
    /// Frames that came through shared memory (read in place from the publisher's ring).
    public var sharedMemory: UInt64 = 0
    /// Shared-memory frames dropped because the publisher reused their slot before or while the
    /// node read them (never processed to a result; part of `dropped`).
    public var torn: UInt64 = 0

    public init() {}
}

/// Runs one node: opens its inputs and outputs from resolved wiring, applies control messages,
/// hands data messages to a `NodeProcessor`, stamps and publishes its results, counts everything,
/// and stops when a `StopSignal` is raised.
///
/// Not thread-safe: the loop, `process`, `control` and `publish` run on the caller's thread.
public final class NodeRuntime {
    public struct Options: Sendable {
        /// Process at most this many data messages per second (the newest each time, for
        /// latest-wins inputs); the rest are overwritten and counted. Nil: as fast as possible.
        public var maxRate: Double?
        /// Queue of each output publisher.
        public var outputQueue: Int
        /// Frame inputs from a publisher on this host negotiate shared memory (`NodeSockets.subscriber`).
        /// Default: on, unless the environment sets `VLMNODE_SHM=0`.
        public var sharedMemory: Bool
        /// Shared memory for same-host frame inputs, unless `VLMNODE_SHM=0` (for comparing with inline).
        public static var sharedMemoryDefault: Bool { ProcessInfo.processInfo.environment["VLMNODE_SHM"] != "0" }

        public init(maxRate: Double? = nil, outputQueue: Int = 100, sharedMemory: Bool = Options.sharedMemoryDefault) {
            self.maxRate = maxRate
            self.outputQueue = outputQueue
            self.sharedMemory = sharedMemory
        }
    }

    struct Input {
        let port: PortSpec
        let binding: TopicBinding
        let subscriber: Subscriber
    }

    public let spec: NodeTypeSpec
    /// The resolved wiring (parameters with defaults, every port with a topic).
    public let wiring: NodeWiring
    public let options: Options
    public let log: NodeLog
    private var inputs: [String: Input] = [:]
    private var dataRoles: [String] = []
    private var controlRoles: [String] = []
    private var publishers: [String: Publisher] = [:]
    private var seqs: [String: UInt64] = [:]
    private var skipped: [String: UInt64] = [:]
    /// Results published per output role.
    public private(set) var published: [String: UInt64] = [:]
    /// The data input whose message `process` is handling.
    public private(set) var currentInput: String?

    /// Opens every output (binding) and every input that has an endpoint. A required data input
    /// without an endpoint is an error naming the node and the input.
    public init(spec: NodeTypeSpec, wiring: NodeWiring, options: Options = .init(), log: NodeLog = .stdout) throws {
        self.spec = spec
        self.wiring = wiring
        self.options = options
        self.log = log
        var shared: Publisher?
        for port in spec.outputs {
            guard let binding = wiring.outputs[port.role] else { continue }
            if let endpoint = binding.endpoint {
                publishers[port.role] = try NodeSockets.publisher(binding, endpoint: endpoint, node: wiring.name, role: port.role, qos: .queue(capacity: options.outputQueue), log: log)
            }
            shared = shared ?? publishers[port.role]
        }
        // Outputs without an endpoint share the first bound socket (one socket, several topics).
        for port in spec.outputs where publishers[port.role] == nil && wiring.outputs[port.role] != nil {
            if shared == nil { shared = try NodeSockets.publisher(wiring.outputs[port.role]!, endpoint: Endpoint.defaultPublisher, node: wiring.name, role: port.role, qos: .queue(capacity: options.outputQueue), log: log) }
            publishers[port.role] = shared
        }
        for port in spec.inputs {
            guard let binding = wiring.inputs[port.role], let endpoint = binding.endpoint else {
                if !port.optional && !port.isControl {
                    throw NodeWiringError("node \(wiring.name): input '\(port.role)' is not wired (no endpoint)")
                }
                continue
            }
            let subscriber = try NodeSockets.subscriber(binding, endpoint: endpoint, node: wiring.name, role: port.role, qos: port.qos,
                                                         sharedMemory: options.sharedMemory && port.type == MessageType.frame, log: log)
            inputs[port.role] = Input(port: port, binding: binding, subscriber: subscriber)
            if port.isControl { controlRoles.append(port.role) } else { dataRoles.append(port.role) }
        }
    }

    /// The endpoint an input listens on or connects to (the bound address, resolved), if opened.
    public func inputEndpoint(_ role: String) -> String? { inputs[role]?.subscriber.endpoints.first }
    /// The endpoint an output is published on (resolved: `tcp://127.0.0.1:*` becomes a port).
    public func outputEndpoint(_ role: String) -> String? { publishers[role]?.endpoint }
    /// The resolved topic of a port.
    public func topic(_ role: String) -> String? { wiring.inputs[role]?.topic ?? wiring.outputs[role]?.topic }
    /// The publisher of an output (for waiting on subscribers in tests and tools).
    public func publisher(_ role: String) -> Publisher? { publishers[role] }
    /// The subscriber of an opened input (its CURVE `authenticationStats` when it binds).
    public func subscriber(_ role: String) -> Subscriber? { inputs[role]?.subscriber }

    /// Counters of an input (zero for one that was not opened).
    public func stats(_ role: String) -> InputStats {
        var s = InputStats()
        guard let input = inputs[role] else { return s }
        let bus = input.subscriber.stats
        let c = bus.topics[input.binding.topic] ?? TopicCounters()
        s.received = c.received
        s.dropped = c.dropped
        s.overwritten = c.overwritten
        s.gaps = c.gaps
        s.malformed = bus.malformed
        s.skipped = skipped[role] ?? 0
        let shm = input.subscriber.sharedMemoryStats
        s.sharedMemory = shm.resolved
        s.torn = shm.torn + shm.reclaimed
        s.dropped &+= s.torn
        return s
    }

    /// Publishes `message` on output `role`: the runtime sets `seq` (per output), `stamp_ns` (now)
    /// and, when `source` is given, `source_seq`/`source_stamp_ns`, `latency_ms` and the source
    /// input's counters (`frames_received`, `frames_dropped`, `frames_overwritten`).
    public func publish<M: TypedMessage>(_ message: M, on role: String, stampedFrom source: BusMessage? = nil) throws {
        guard let publisher = publishers[role], let binding = wiring.outputs[role] else {
            throw NodeWiringError("node \(wiring.name): no output '\(role)' (outputs: \(spec.outputs.map(\.role).joined(separator: ", ")))")
        }
        // A result computed from a shared-memory frame counts only if the slot was intact after
        // the pixels were read (the seqlock's end), unless a checked read already said so.
        try source?.sharedFrame?.checkIntact()
        let now = BusClock.nowNs()
        let seq = seqs[role] ?? 0
        var header = try message.header(seq: seq, stampNs: now, sourceSeq: source?.header.seq,
                                        sourceStampNs: source?.header.stampNs)
        if let source {
            let counters = currentInput.map(stats) ?? InputStats()
            let stamp = ResultStamp(latencyMs: ResultStamp.latencyMs(nowNs: now, sourceStampNs: source.header.stampNs),
                                    framesReceived: counters.received, framesDropped: counters.dropped,
                                    framesOverwritten: counters.overwritten)
            for (k, v) in stamp.fields where header.fields[k] == nil { header.fields[k] = v }
        }
        try publisher.publish(topic: binding.topic, header: header, blobs: message.blobs)
        seqs[role] = seq &+ 1
        published[role, default: 0] += 1
    }

    /// Runs until `stop` is raised (checked at least every 100 ms): control messages first, then
    /// the next data message, at most `options.maxRate` per second.
    public func run(_ processor: any NodeProcessor, until stop: StopSignal) {
        processor.started(runtime: self)
        var nextStart = BusClock.monotonicNs()
        while !stop.isRaised {
            applyControls(processor)
            if let rate = options.maxRate, rate > 0 {
                let wait = nextStart - BusClock.monotonicNs()
                if wait > 0 { Thread.sleep(forTimeInterval: min(Double(wait) / 1e9, 0.1)); continue }
            }
            guard let (role, message) = nextData(timeout: 0.1) else { continue }
            if let rate = options.maxRate, rate > 0 { nextStart = BusClock.monotonicNs() + Int64(1e9 / rate) }
            handle(message, role: role, processor)
        }
    }

    /// One line with what the node published and received (logged when a command-line node stops).
    public var summary: String {
        let results = published.values.reduce(0, +)
        let inputsText = dataRoles.map { role -> String in
            let s = stats(role)
            let torn = s.sharedMemory > 0 ? ", torn \(s.torn)" : ""
            return "\(role) received \(s.received), dropped \(s.dropped) (overwritten \(s.overwritten), gaps \(s.gaps)\(torn)), skipped \(s.skipped)"
        }.joined(separator: "; ")
        return "\(spec.name): \(results) results; \(inputsText)"
    }

    /// The default banner: the node type and where each port is.
    public func logBanner() { log("\(spec.name): " + portsDescription) }

    /// "image /camera/image from ipc://…; detections /detections on tcp://…": where each opened port is.
    public var portsDescription: String {
        var parts: [String] = []
        for port in spec.inputs {
            guard let e = inputEndpoint(port.role), let t = topic(port.role) else { continue }
            parts.append("\(port.role) \(t) \(inputs[port.role]!.binding.bind ? "bound at" : "from") \(e)")
        }
        for port in spec.outputs {
            guard let e = outputEndpoint(port.role), let t = topic(port.role) else { continue }
            parts.append("\(port.role) \(t) on \(e)")
        }
        return parts.joined(separator: "; ")
    }

    func applyControls(_ processor: any NodeProcessor) {
        for role in controlRoles {
            guard let input = inputs[role] else { continue }
            while let message = input.subscriber.receive(timeout: 0) {
                guard message.topic == input.binding.topic else { continue }
                let text: TextMessage
                do { text = try TextMessage(message: message) } catch {
                    skipped[role, default: 0] += 1
                    log("ignored a message on \(message.topic): \(error)")
                    continue
                }
                do { try processor.control(text, input: role, runtime: self) } catch {
                    log("ignored \(role) \"\(text.text)\": \(error)")
                }
            }
        }
    }

    private var roundRobin = 0
    private var tornLogged = 0

    func nextData(timeout: Double) -> (String, BusMessage)? {
        guard !dataRoles.isEmpty else {
            Thread.sleep(forTimeInterval: timeout)
            return nil
        }
        // One data input (the usual case) waits on its socket; several take turns.
        let each = dataRoles.count == 1 ? timeout : min(timeout / Double(dataRoles.count), 0.02)
        for _ in 0 ..< dataRoles.count {
            let role = dataRoles[roundRobin % dataRoles.count]
            roundRobin &+= 1
            let input = inputs[role]!
            if let m = input.subscriber.receive(timeout: each), m.topic == input.binding.topic { return (role, m) }
        }
        return nil
    }

    func handle(_ message: BusMessage, role: String, _ processor: any NodeProcessor) {
        let port = inputs[role]!.port
        let what = port.type == MessageType.frame ? "frame" : "message"
        if let problem = Self.check(message, expected: port.type) {
            skip(role, "skipped \(what) \(message.header.seq) on \(message.topic): \(problem)")
            return
        }
        currentInput = role
        defer { currentInput = nil }
        do {
            try processor.process(message, input: role, runtime: self)
        } catch let torn as SharedFrameTornError {
            // Counted by the subscriber (InputStats.torn): a drop, not a refusal.
            tornLogged += 1
            if tornLogged <= 3 { log("dropped frame \(message.header.seq) on \(message.topic): \(torn)") }
        } catch {
            skip(role, "skipped \(what) \(message.header.seq): \(error)")
        }
    }

    private func skip(_ role: String, _ line: String) {
        let n = (skipped[role] ?? 0) + 1
        skipped[role] = n
        // A flood of bad messages must not flood the log: the first ten, then every power of two.
        if n <= 10 || n & (n - 1) == 0 { log(n > 10 ? "\(line) (\(n) skipped so far)" : line) }
    }

    /// Why a data message cannot be processed, or nil. Stamps are nanoseconds since the epoch, so a
    /// negative one is refused here: every node's arithmetic on stamps then stays in range.
    static func check(_ message: BusMessage, expected type: String) -> String? {
        if type != MessageType.any && message.header.type != type {
            return "type \"\(message.header.type)\", expected \(type)"
        }
        if message.header.stampNs < 0 { return "stamp_ns \(message.header.stampNs) is negative" }
        if type == MessageType.frame {
            do { _ = try FrameMessage(message: message) } catch { return "\(error)" }
        }
        return nil
    }
}
