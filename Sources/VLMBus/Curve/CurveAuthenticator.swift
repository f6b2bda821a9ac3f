import CZMQ
import Foundation

/// What a CURVE server refused so far.
public struct CurveAuthStats: Sendable, Equatable {
    /// Clients that completed the CURVE handshake with a key not in the authorized set (ZAP 400).
    public var refusedKeys: UInt64 = 0
    /// Distinct refused keys (counted up to `RefusalLog.maxEntries`).
    public var distinctRefusedKeys: Int = 0
    /// Handshakes that failed before a key was known: a plain (non-CURVE) peer, a client that
    /// does not know this server's key, or junk.
    public var failedHandshakes: UInt64 = 0
    /// Clients accepted.
    public var accepted: UInt64 = 0
    /// Lines written to stderr about refused peers (bounded however many attempts: `RefusalLog`).
    public var loggedLines: Int = 0

    /// Every refused peer.
    public var refused: UInt64 { refusedKeys + failedHandshakes }
}

/// The ZAP handler of one CURVE server: a REP socket bound to `inproc://zeromq.zap.01` in the
/// server's context, answered on a thread of its own, plus a monitor of the server socket that
/// sees handshakes failing before ZAP is asked (a peer without CURVE). One per context: libzmq
/// asks whoever is bound at that address. Its owner (the publisher) holds this object; when it
/// goes, the thread is stopped and joined, and the worker's sockets are closed.
///
/// Each refused key and each peer address whose handshake failed is written to stderr once, with
/// bounded tables (`RefusalLog`); every attempt is counted.
final class CurveAuthenticator: @unchecked Sendable {
    private let worker: ZAPWorker

    init(context: ZMQContext, authorized: Set<String>, endpointForLog: String) throws {
        worker = try ZAPWorker(context: context, authorized: authorized, endpointForLog: endpointForLog)
    }

    deinit { worker.stop() }

    /// Starts watching `server` for failed handshakes, then starts answering ZAP requests.
    func monitor(_ server: ZMQSocket) throws { try worker.monitor(server) }

    var stats: CurveAuthStats { worker.stats }

    /// The resolved endpoint, once bound, for log lines (`tcp://0.0.0.0:*` becomes the real port).
    func bound(_ endpoint: String) { worker.setEndpoint(endpoint) }
}

/// The thread side of `CurveAuthenticator`: owns the ZAP and monitor sockets (used only on its
/// thread once started; closed when the last reference, the thread's or the owner's, goes).
final class ZAPWorker: @unchecked Sendable {
    static let zapEndpoint = "inproc://zeromq.zap.01"
    /// Accepted connections whose peer address is remembered until they end (a flood of open
    /// connections beyond it is counted with an unknown address).
    static let maxOpenPeers = 4096

    private let lock = NSLock()
    private var counters = CurveAuthStats()
    private var refusals = RefusalLog()
    /// Peer address of each accepted connection's fd (monitor thread only).
    private var peers: [Int32: String] = [:]
    /// Why the last handshake failed, until its connection's DISCONNECTED event names the fd
    /// (libzmq emits the two back to back on the one I/O thread; monitor thread only).
    private var pendingFailure: String?
    private var stopping = false
    private let finished = DispatchSemaphore(value: 0)
    private var started = false
    private let zap: ZMQSocket
    private var monitorSocket: ZMQSocket?
    private let authorized: Set<String>
    private var endpointForLog: String
    let monitorEndpoint = "inproc://vlmbus-curve-monitor-\(UInt64.random(in: 0 ... .max))"

    init(context: ZMQContext, authorized: Set<String>, endpointForLog: String) throws {
        let zap = try ZMQSocket(context, type: ZMQ_REP)
        try zap.set(ZMQ_LINGER, 0, name: "ZMQ_LINGER")
        do { try zap.bind(Self.zapEndpoint) } catch let error as ZMQError where error.code == EADDRINUSE {
            throw CurveKeyError("another CURVE server already owns this ZeroMQ context's ZAP handler; give each CURVE publisher its own context")
        }
        self.zap = zap
        self.authorized = authorized
        self.endpointForLog = endpointForLog
    }

    /// Starts watching `server` for failed handshakes, then starts the thread.
    func monitor(_ server: ZMQSocket) throws {
        let events = ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
            | ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED
        try ZMQError.check(zmq_socket_monitor(server.handle, monitorEndpoint, events), "monitor", subject: monitorEndpoint)
        let pair = try ZMQSocket(server.context, type: ZMQ_PAIR)
        try pair.set(ZMQ_LINGER, 0, name: "ZMQ_LINGER")
        try pair.connect(monitorEndpoint)
        monitorSocket = pair
        started = true
        // Both sockets move to this thread (thread start is the memory barrier libzmq asks for).
        let thread = Thread { [self] in
            self.run()
            self.finished.signal()
        }
        thread.name = "vlmbus-zap"
        thread.start()
    }

    func setEndpoint(_ endpoint: String) {
        lock.lock()
        endpointForLog = endpoint
        lock.unlock()
    }

    var stats: CurveAuthStats {
        lock.lock()
        defer { lock.unlock() }
        return counters
    }

    func stop() {
        lock.lock()
        let wasRunning = started && !stopping
        stopping = true
        lock.unlock()
        if wasRunning { finished.wait() }
    }

    private var isStopping: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopping
    }

    private func run() {
        guard let monitorSocket else { return }
        var items = [zmq_pollitem_t(socket: zap.handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0),
                     zmq_pollitem_t(socket: monitorSocket.handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)]
        while !isStopping {
            guard zmq_poll(&items, 2, 100) >= 0 else {
                if ZMQError.lastErrno == ETERM { break }
                continue
            }
            if items[0].revents & Int16(ZMQ_POLLIN) != 0, let request = try? zap.receiveMultipart(dontWait: true) {
                answer(request)
            }
            if items[1].revents & Int16(ZMQ_POLLIN) != 0, let event = try? monitorSocket.receiveMultipart(dontWait: true) {
                noteMonitorEvent(event)
            }
        }
    }

    /// ZAP (RFC 27): version, request id, domain, address, routing id, mechanism, credentials;
    /// for CURVE the one credential is the client's 32-byte public key.
    private func answer(_ request: [ZMQMessage]) {
        guard request.count >= 6 else { return }  // not from libzmq: nothing sensible to answer
        let parts = request.map { Array($0.bytes) }
        let address = String(decoding: parts[3], as: UTF8.self)
        var status = "400", text = "not a CURVE client"
        if String(decoding: parts[5], as: UTF8.self) == "CURVE", parts.count >= 7, parts[6].count == 32 {
            let key = z85(parts[6])
            if authorized.contains(key) {
                (status, text) = ("200", "OK")
                lock.lock(); counters.accepted += 1; lock.unlock()
            } else {
                text = "key not authorized"
                refuse(key: key, address: address)
            }
        } else {
            lock.lock(); counters.refusedKeys += 1; lock.unlock()
        }
        let reply: [[UInt8]] = [Array("1.0".utf8), parts[1], Array(status.utf8), Array(text.utf8),
                                status == "200" ? Array("vlmnode".utf8) : [], []]
        for (i, part) in reply.enumerated() {
            _ = part.withUnsafeBytes { try? zap.send(bytes: $0, more: i + 1 < reply.count) }
        }
    }

    private func refuse(key: String, address: String) {
        lock.lock()
        counters.refusedKeys += 1
        let line = refusals.refusedKey(key, address: address, endpoint: endpointForLog)
        counters.distinctRefusedKeys = refusals.distinctKeys
        counters.loggedLines = refusals.lines
        lock.unlock()
        if let line { log(line) }
    }

    /// A monitor event: [u16 event, u32 value][endpoint]. ACCEPTED carries the new connection's
    /// fd (its peer address is read at once), a failed handshake the error, DISCONNECTED the fd.
    private func noteMonitorEvent(_ parts: [ZMQMessage]) {
        guard let event = parts.first, event.bytes.count >= 6 else { return }
        let head = Array(event.bytes)
        let kind = Int32(head[0]) | Int32(head[1]) << 8
        let value = UInt32(head[2]) | UInt32(head[3]) << 8 | UInt32(head[4]) << 16 | UInt32(head[5]) << 24
        let fd = Int32(bitPattern: value)
        switch kind {
        case ZMQ_EVENT_ACCEPTED:
            if peers.count < Self.maxOpenPeers { peers[fd] = Self.peerAddress(fd) }
        case ZMQ_EVENT_DISCONNECTED:
            let address = peers.removeValue(forKey: fd) ?? "an unknown address"
            if let why = pendingFailure {
                pendingFailure = nil
                lock.lock()
                let line = refusals.failedHandshake(address: address, why: why, endpoint: endpointForLog)
                counters.loggedLines = refusals.lines
                lock.unlock()
                if let line { log(line) }
            }
        default:
            lock.lock(); counters.failedHandshakes += 1; lock.unlock()
            pendingFailure = Self.describe(kind: kind, value: value)
        }
    }

    private static func describe(kind: Int32, value: UInt32) -> String {
        if kind == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL {
            return "its connection ended during the handshake (\(String(cString: strerror(Int32(bitPattern: value)))))"
        } else if value == UInt32(ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH) {
            return "it has no CURVE (plain ZeroMQ)"
        } else if value == UInt32(ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC) {
            return "it failed the CURVE handshake (it expects another server key)"
        }
        return String(format: "the handshake failed (libzmq protocol error 0x%x)", value)
    }

    /// The IP address of the peer of `fd` (no port: a reconnecting peer changes port every time).
    /// Read when the ACCEPTED event arrives; a connection already gone by then is "an unknown address".
    static func peerAddress(_ fd: Int32) -> String {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) == 0 }
        }
        guard ok else { return "an unknown address" }
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        let found = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getnameinfo($0, length, &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0
            }
        }
        return found ? String(cString: host) : "an unknown address"
    }

    private func z85(_ key: [UInt8]) -> String {
        var out = [CChar](repeating: 0, count: 41)
        return key.withUnsafeBufferPointer { zmq_z85_encode(&out, $0.baseAddress, 32) } == nil ? "" : String(cString: out)
    }

    private func log(_ line: String) {
        FileHandle.standardError.write(Data(("vlmbus: " + line + "\n").utf8))
    }
}
