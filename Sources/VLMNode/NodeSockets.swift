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
        let (security, allowRemote) = try serverSecurity(binding, endpoint: endpoint, node: node, port: "output '\(role)'", log: log)
        return try Publisher(bind: endpoint, qos: qos, allowRemote: allowRemote, security: security)
    }

    /// The subscriber of input `role`: binds (`binding.bind`, a CURVE server with security) or
    /// connects (a CURVE client with security).
    public static func subscriber(_ binding: TopicBinding, endpoint: String, node: String, role: String,
                                  qos: QoS, log: NodeLog) throws -> Subscriber {
        let port = "input '\(role)'"
        if binding.bind {
            let (security, allowRemote) = try serverSecurity(binding, endpoint: endpoint, node: node, port: port, log: log)
            return try Subscriber(bind: endpoint, topics: [binding.topic], qos: qos, allowRemote: allowRemote, security: security)
        }
        return try Subscriber(connect: [endpoint], topics: [binding.topic], qos: qos,
                              security: try clientSecurity(binding, node: node, port: port))
    }

    /// The security of a binding socket and whether it may bind beyond loopback.
    static func serverSecurity(_ binding: TopicBinding, endpoint: String, node: String, port: String,
                               log: NodeLog) throws -> (BusSecurity, allowRemote: Bool) {
        guard let s = binding.security, !s.isEmpty else { return (.none, false) }
        if let problem = s.problem(binds: true) { throw NodeWiringError("node \(node): \(port): security: \(problem)") }
        let insecure = s.insecure == true
        guard let identity = s.identity, let authorized = s.authorized else {
            if insecure, Endpoint.isRemoteTCP(endpoint) {
                log("warning: \(port) \(endpoint) is insecure: it accepts anyone and sends in plaintext (give it \"identity\" and \"authorized\" for CURVE)")
            }
            return (.none, insecure)
        }
        guard endpoint.hasPrefix("tcp://") else {
            throw NodeWiringError("node \(node): \(port): CURVE applies to tcp:// endpoints; \(endpoint) is not one")
        }
        return (try keys(node, port) { try BusSecurity.server(identity: identity, authorizedDirectory: authorized) }, insecure)
    }

    /// The security of a connecting socket.
    static func clientSecurity(_ binding: TopicBinding, node: String, port: String) throws -> BusSecurity {
        guard let s = binding.security, !s.isEmpty else { return .none }
        if let problem = s.problem(binds: false) { throw NodeWiringError("node \(node): \(port): security: \(problem)") }
        guard let identity = s.identity, let serverKey = s.serverKey else { return .none }
        return try keys(node, port) { try BusSecurity.client(identity: identity, serverKey: serverKey) }
    }

    /// Loads keys, naming the node and port in a key file's error.
    private static func keys(_ node: String, _ port: String, _ load: () throws -> BusSecurity) throws -> BusSecurity {
        do { return try load() } catch let error as CurveKeyError {
            throw NodeWiringError("node \(node): \(port): \(error.description)")
        }
    }
}
