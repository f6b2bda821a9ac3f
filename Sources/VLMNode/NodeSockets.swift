import Foundation
import VLMBus

/// Opens a node's bus sockets from its resolved wiring, with each port's `"security"`: CURVE keys
/// loaded from the paths given (permission checks included), a CURVE server for a port that binds,
/// a CURVE client for one that connects, and `insecure` for a plain bind beyond loopback. Errors
/// are one line naming the node and the port.
public enum NodeSockets {
    /// The publisher of output `role` bound at `endpoint` (the binding's, or the runtime's default).
    public static func publisher(_ binding: TopicBinding, endpoint: String, node: String, role: String,
                                 qos: QoS, log: NodeLog) throws -> Publisher {
        let (security, allowRemote) = try serverSecurity(binding.security, endpoint: endpoint, what: "node \(node): output '\(role)'", log: log)
        return try Publisher(bind: endpoint, qos: qos, allowRemote: allowRemote, security: security)
    }

    /// The subscriber of input `role`: binds (`binding.bind`, a CURVE server with security) or
    /// connects (a CURVE client with security).
    /// `sharedMemory`: a frame input that may negotiate shared memory. It does when it connects
    /// without CURVE to a publisher on this host (`ipc://`, loopback `tcp://`): a vlmnode publisher
    /// then hands over each frame as a reference to a slot of its ring and `process` reads the pixels
    /// in place (a latest-wins input pins at most one slot); a plain ZeroMQ publisher, or one whose
    /// segment cannot be mapped here, keeps sending inline.
    public static func subscriber(_ binding: TopicBinding, endpoint: String, node: String, role: String,
                                  qos: QoS, sharedMemory: Bool = false, log: NodeLog) throws -> Subscriber {
        let what = "node \(node): input '\(role)'"
        if binding.bind {
            let (security, allowRemote) = try serverSecurity(binding.security, endpoint: endpoint, what: what, log: log)
            return try Subscriber(bind: endpoint, topics: [binding.topic], qos: qos, allowRemote: allowRemote, security: security)
        }
        return try Subscriber(connect: endpoint, topics: [binding.topic], qos: qos,
                              security: try clientSecurity(binding.security, what: what), sharedMemory: sharedMemory)
    }

    /// Loads every wired port's keys and checks its `"security"` without opening a socket: a bad
    /// key file is one error before a model loads (`NodeMain`), and for a launcher's `--check`.
    public static func checkKeys(_ wiring: NodeWiring) throws {
        let quiet = NodeLog { _ in }
        for (role, b) in wiring.outputs.sorted(by: { $0.key < $1.key }) where b.security != nil {
            _ = try serverSecurity(b.security, endpoint: b.endpoint ?? Endpoint.defaultPublisher,
                                   what: "node \(wiring.name): output '\(role)'", log: quiet)
        }
        for (role, b) in wiring.inputs.sorted(by: { $0.key < $1.key }) where b.security != nil {
            guard let endpoint = b.endpoint else { continue }
            let what = "node \(wiring.name): input '\(role)'"
            if b.bind { _ = try serverSecurity(b.security, endpoint: endpoint, what: what, log: quiet) } else {
                _ = try clientSecurity(b.security, what: what)
            }
        }
    }

    /// The security of a socket that binds `endpoint`, and whether it may bind beyond loopback.
    /// `what` starts error lines (`node /x: output 'out'`, `view: --text-bind`).
    public static func serverSecurity(_ security: PortSecurity?, endpoint: String, what: String,
                                      log: NodeLog) throws -> (BusSecurity, allowRemote: Bool) {
        guard let s = security, !s.isEmpty else { return (.none, false) }
        if let problem = s.problem(binds: true) { throw NodeWiringError("\(what): security: \(problem)") }
        let insecure = s.insecure == true
        guard let identity = s.identity, let authorized = s.authorized else {
            if insecure, Endpoint.isRemoteTCP(endpoint) {
                log("warning: \(what): \(endpoint) is insecure: it accepts anyone and sends in plaintext (give it \"identity\" and \"authorized\" for CURVE)")
            }
            return (.none, insecure)
        }
        guard endpoint.hasPrefix("tcp://") else {
            throw NodeWiringError("\(what): CURVE applies to tcp:// endpoints; \(endpoint) is not one")
        }
        return (try keys(what) { try BusSecurity.server(identity: identity, authorizedDirectory: authorized) }, insecure)
    }

    /// The security of a socket that connects.
    public static func clientSecurity(_ security: PortSecurity?, what: String) throws -> BusSecurity {
        guard let s = security, !s.isEmpty else { return .none }
        if let problem = s.problem(binds: false) { throw NodeWiringError("\(what): security: \(problem)") }
        guard let identity = s.identity, let serverKey = s.serverKey else { return .none }
        return try keys(what) { try BusSecurity.client(identity: identity, serverKey: serverKey) }
    }

    /// Loads keys, naming the socket in a key file's error.
    private static func keys(_ what: String, _ load: () throws -> BusSecurity) throws -> BusSecurity {
        do { return try load() } catch let error as CurveKeyError {
            throw NodeWiringError("\(what): \(error.description)")
        }
    }
}
