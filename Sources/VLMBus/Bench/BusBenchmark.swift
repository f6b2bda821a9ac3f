import CZMQ
import Foundation

/// What one benchmark case measured.
public struct BusBenchFigures: Sendable {
    /// Per-hop latency (publish call to the reader holding the message), milliseconds, sorted.
    public var latenciesMs: [Double]
    /// Messages the reader got during the back-to-back run, per second.
    public var throughputMessagesPerSecond: Double
    /// Messages sent during the back-to-back run (the excess was dropped at high-water marks).
    public var throughputSent: Int
    public var throughputReceived: Int

    public func percentile(_ p: Double) -> Double {
        guard !latenciesMs.isEmpty else { return .nan }
        return latenciesMs[min(latenciesMs.count - 1, Int(Double(latenciesMs.count) * p))]
    }
}

/// Transport cost of VLMBus next to raw libzmq on the same bytes, in one process (PUB and SUB
/// threads), following the method of shared/reference/zmqbench.c: `count` messages `spacingUs`
/// apart for latency, then `duration` seconds back-to-back for throughput.
///
/// Throughput is sustained and lossless: both publishers use `ZMQ_XPUB_NODROP` with a send
/// high-water mark of 16, so a full peer queue makes the sender wait instead of dropping, and the
/// figure is messages received / (last receipt - first send).
///
/// Both paths do one copy of the payload per message: raw `zmq_send` copies the caller's buffer;
/// the VLMBus path copies a template into a fresh malloc'd frame (as a decoder would produce it)
/// and then sends it without a copy. Both use the same high-water marks in each run.
public struct BusBenchmark: Sendable {
    public var count = 200
    public var spacingUs: UInt32 = 5000
    public var duration = 1.0

    public init(count: Int = 200, spacingUs: UInt32 = 5000, duration: Double = 1.0) {
        self.count = count
        self.spacingUs = spacingUs
        self.duration = duration
    }

    /// Raw libzmq PUB/SUB; `endpoint` may use a wildcard port or `ipc://*`-style path.
    public func runRaw(endpoint: String, bytes: Int) throws -> BusBenchFigures {
        let latencies = try rawRun(endpoint: Self.variant(endpoint, "lat"), bytes: bytes, hwm: 1000, backToBack: false)
        let tp = try rawRun(endpoint: Self.variant(endpoint, "tp"), bytes: bytes, hwm: Self.throughputHWM, backToBack: true)
        return BusBenchFigures(latenciesMs: latencies.latencies.sorted(), throughputMessagesPerSecond: tp.rate,
                               throughputSent: tp.sent, throughputReceived: tp.latencies.count)
    }

    /// VLMBus `Publisher` -> `Subscriber` with `vlm/Frame` messages of `width`x`height` rgb8;
    /// `sharedMemory`: the subscriber asks for frames through the publisher's shared-memory ring.
    /// `curve`: both ends authenticate and encrypt with fresh CURVE keys (tcp only).
    public func runVLMBus(endpoint: String, width: Int, height: Int, sharedMemory: Bool = false,
                          curve: Bool = false) throws -> BusBenchFigures {
        let latencies = try busRun(endpoint: Self.variant(endpoint, "lat"), width: width, height: height,
                                   qos: .queue(capacity: 1000), backToBack: false, shm: sharedMemory, curve: curve)
        let tp = try busRun(endpoint: Self.variant(endpoint, "tp"), width: width, height: height,
                            qos: .queue(capacity: Int(Self.throughputHWM)), backToBack: true, shm: sharedMemory, curve: curve)
        return BusBenchFigures(latenciesMs: latencies.latencies.sorted(), throughputMessagesPerSecond: tp.rate,
                               throughputSent: tp.sent, throughputReceived: tp.latencies.count)
    }

    static let throughputHWM: Int32 = 16

    /// A distinct ipc path per run: closing a socket is asynchronous in libzmq, so the previous
    /// run's listener may still hold the path for a moment.
    static func variant(_ endpoint: String, _ suffix: String) -> String {
        endpoint.hasPrefix("ipc://") ? "\(endpoint).\(suffix)" : endpoint
    }

    private struct Run { var latencies: [Double]; var sent: Int; var rate: Double }

    /// Sends until `count` messages (paced) or `duration` seconds (back-to-back) have gone out.
    func sendLoop(backToBack: Bool, _ send: (Int) throws -> Void) rethrows -> (sent: Int, startNs: Int64) {
        let start = BusClock.nowNs()
        var i = 0
        while backToBack ? Double(BusClock.nowNs() - start) / 1e9 < duration : i < count {
            try send(i)
            i += 1
            if !backToBack { usleep(spacingUs) }
        }
        return (i, start)
    }

    private func rawRun(endpoint: String, bytes: Int, hwm: Int32, backToBack: Bool) throws -> Run {
        let ctx = try ZMQContext()
        let pub = try ZMQSocket(ctx, type: backToBack ? ZMQ_XPUB : ZMQ_PUB)
        try pub.set(ZMQ_SNDHWM, hwm, name: "ZMQ_SNDHWM")
        if backToBack { try pub.set(ZMQ_XPUB_NODROP, 1, name: "ZMQ_XPUB_NODROP") }
        try pub.set(ZMQ_LINGER, 0, name: "ZMQ_LINGER")
        try pub.bind(try Endpoint.validateForBind(endpoint, allowRemote: false))
        let sub = try ZMQSocket(ctx, type: ZMQ_SUB)
        try sub.set(ZMQ_SUBSCRIBE, bytes: [], name: "ZMQ_SUBSCRIBE")
        try sub.set(ZMQ_RCVHWM, hwm, name: "ZMQ_RCVHWM")
        try sub.set(ZMQ_RCVTIMEO, 500, name: "ZMQ_RCVTIMEO")
        try sub.set(ZMQ_LINGER, 0, name: "ZMQ_LINGER")
        try sub.connect(try pub.lastEndpoint())
        let receiver = BenchReceiver { [expected = backToBack ? Int.max : count] in
            var latencies: [Double] = []
            var lastNs: Int64 = 0
            // The socket is used only on this thread from here on.
            while latencies.count < expected, let msg = try? sub.receive() {
                let now = BusClock.nowNs()
                var stamp: Int64 = 0
                withUnsafeMutableBytes(of: &stamp) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: msg.bytes.prefix(8))) }
                if stamp == -1 { break }
                latencies.append(Double(now - stamp) / 1e6)
                lastNs = now
            }
            return (latencies, lastNs)
        }
        usleep(300_000)  // slow joiner, as in zmqbench.c
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        defer { buffer.deallocate() }
        memset(buffer, 7, bytes)
        let sent = try sendLoop(backToBack: backToBack) { _ in
            var t = BusClock.nowNs()
            memcpy(buffer, &t, 8)
            try pub.send(bytes: UnsafeRawBufferPointer(start: buffer, count: bytes), more: false)
        }
        var end: Int64 = -1
        _ = try withUnsafeBytes(of: &end) { try pub.send(bytes: $0, more: false) }
        let (latencies, lastNs) = receiver.join()
        return Run(latencies: latencies, sent: sent.sent,
                   rate: Double(latencies.count) / max(Double(lastNs - sent.startNs) / 1e9, 1e-9))
    }

    private func busRun(endpoint: String, width: Int, height: Int, qos: QoS, backToBack: Bool, shm: Bool,
                        curve: Bool) throws -> Run {
        let security = try curve ? BusSecurity.benchPair() : (server: .none, client: .none)
        let frame = FrameInfo(width: width, height: height, encoding: .rgb8)
        // One context (one I/O thread) for both ends, as in the raw run. The reader's queue is
        // bounded so a stalled reader cannot pile up frames; its drops show as received < sent.
        let ctx = try ZMQContext()
        let pub = try Publisher(bind: endpoint, qos: qos, allowRemote: false, lingerMs: 0, context: ctx,
                                blockWhenFull: backToBack, security: security.server)
        let sub = shm
            ? try Subscriber(connect: [pub.endpoint], sharedMemoryTopics: ["/bench"], qos: .queue(capacity: 64), context: ctx)
            : try Subscriber(connect: [pub.endpoint], topics: ["/bench"], qos: .queue(capacity: 64), context: ctx,
                             security: security.client)
        _ = pub.waitForSubscribers(1, timeout: 5)
        let receiver = BenchReceiver { [expected = backToBack ? Int.max : count] in
            var latencies: [Double] = []
            var lastNs: Int64 = 0
            // The first frame may wait for the ring to be made and mapped on a loaded machine.
            while latencies.count < expected, let m = sub.receive(timeout: latencies.isEmpty ? 5 : 0.5) {
                let now = BusClock.nowNs()
                if m.header.type == "bench/End" { break }
                if let shared = m.sharedFrame, !shared.isIntact { continue }  // reused slot: not delivered
                latencies.append(Double(now - m.header.stampNs) / 1e6)
                lastNs = now
            }
            return (latencies, lastNs)
        }
        usleep(300_000)
        let template = UnsafeMutableRawPointer.allocate(byteCount: frame.byteCount, alignment: 64)
        defer { template.deallocate() }
        memset(template, 7, frame.byteCount)
        let sent = try sendLoop(backToBack: backToBack) { i in
            let stamp = BusClock.nowNs()
            if shm {
                // The shared-memory path's one copy: straight into the ring slot, as a decoder would.
                try pub.publishFrame(topic: "/bench", seq: UInt64(i), stampNs: stamp, frame: frame) {
                    memcpy($0.baseAddress!, template, frame.byteCount)
                }
                return
            }
            let pixels = malloc(frame.byteCount)!
            memcpy(pixels, template, frame.byteCount)
            try pub.publishFrame(topic: "/bench", seq: UInt64(i), stampNs: stamp, frame: frame,
                                 pixels: try Blob(takingOwnershipOf: pixels, count: frame.byteCount))
        }
        try pub.publish(topic: "/bench", header: MessageHeader(type: "bench/End", seq: UInt64(sent.sent)))
        let (latencies, lastNs) = receiver.join()
        return Run(latencies: latencies, sent: sent.sent,
                   rate: Double(latencies.count) / max(Double(lastNs - sent.startNs) / 1e9, 1e-9))
    }
}

/// Runs the receiving side of a benchmark on its own thread.
final class BenchReceiver: @unchecked Sendable {
    private var result: ([Double], Int64) = ([], 0)
    private let done = DispatchSemaphore(value: 0)

    /// `body` returns the latencies and the wall-clock time of the last receipt.
    init(_ body: @escaping () -> ([Double], Int64)) {
        Thread { [self] in
            result = body()
            done.signal()
        }.start()
    }

    func join() -> ([Double], Int64) {
        done.wait()
        return result
    }
}
