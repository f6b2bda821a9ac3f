import CZMQ

/// How a bus socket authenticates and encrypts its connections.
public enum BusSecurity: Sendable {
    /// No authentication, no encryption (same-host ipc, loopback tcp, or `--insecure`).
    case none
    /// A CURVE server (a publisher): proves `identity` to clients and accepts only those whose
    /// public key is in `authorized` (checked by a ZAP handler, `CurveAuthenticator`).
    case curveServer(identity: CurveCertificate, authorized: Set<String>)
    /// A CURVE client (a subscriber): proves `identity` and accepts only a server whose public
    /// key is `serverKey` (Z85), so both ends are authenticated.
    case curveClient(identity: CurveCertificate, serverKey: String)

    /// The ZAP domain vlmnode servers ask their handler about.
    static let zapDomain = "vlmnode"

    var isCurveServer: Bool { if case .curveServer = self { return true } else { return false } }
    /// True for a CURVE server or client (shared memory is never negotiated over such a link).
    public var isCurve: Bool { if case .none = self { return false } else { return true } }

    /// Makes `socket` a CURVE server with a ZAP handler in its context; call before binding.
    /// Returns the handler (its owner keeps it for as long as the socket lives); nil for `.none`.
    func configureServer(_ socket: ZMQSocket, endpointForLog: String) throws -> CurveAuthenticator? {
        switch self {
        case .none: return nil
        case .curveClient:
            throw CurveKeyError("a socket that binds needs --identity and --authorized (a CURVE server), not --server-key")
        case .curveServer(let identity, let authorized):
            guard CurveCertificate.isAvailable else { throw CurveKeyError("this libzmq has no CURVE support (built without libsodium)") }
            guard let secret = identity.secretKey else { throw CurveKeyError("the server identity has no secret key") }
            // The handler binds inproc://zeromq.zap.01 first: a client may arrive as soon as we bind.
            let authenticator = try CurveAuthenticator(context: socket.context, authorized: authorized,
                                                       endpointForLog: endpointForLog)
            try socket.set(ZMQ_CURVE_SERVER, 1, name: "ZMQ_CURVE_SERVER")
            try socket.set(ZMQ_CURVE_SECRETKEY, bytes: Array(secret.utf8), name: "ZMQ_CURVE_SECRETKEY")
            try socket.set(ZMQ_ZAP_DOMAIN, bytes: Array(Self.zapDomain.utf8), name: "ZMQ_ZAP_DOMAIN")
            try authenticator.monitor(socket)
            return authenticator
        }
    }

    /// Makes `socket` a CURVE client; call before connecting.
    func configureClient(_ socket: ZMQSocket) throws {
        switch self {
        case .none: return
        case .curveServer:
            throw CurveKeyError("a socket that connects needs --identity and --server-key (a CURVE client), not --authorized")
        case .curveClient(let identity, let serverKey):
            guard CurveCertificate.isAvailable else { throw CurveKeyError("this libzmq has no CURVE support (built without libsodium)") }
            guard let secret = identity.secretKey else { throw CurveKeyError("the client identity has no secret key") }
            guard CurveCertificate.isZ85Key(serverKey) else { throw CurveKeyError("the server key is not 40 Z85 characters") }
            try socket.set(ZMQ_CURVE_SERVERKEY, bytes: Array(serverKey.utf8), name: "ZMQ_CURVE_SERVERKEY")
            try socket.set(ZMQ_CURVE_PUBLICKEY, bytes: Array(identity.publicKey.utf8), name: "ZMQ_CURVE_PUBLICKEY")
            try socket.set(ZMQ_CURVE_SECRETKEY, bytes: Array(secret.utf8), name: "ZMQ_CURVE_SECRETKEY")
        }
    }
}

extension BusSecurity {
    /// A CURVE server from files: `identity` a NAME.key (mode 0600), `authorizedDirectory` holding
    /// the NAME.pub of every client allowed in.
    public static func server(identity: String, authorizedDirectory: String) throws -> BusSecurity {
        .curveServer(identity: try CurveCertificate.load(identity, requireSecret: true),
                     authorized: try CurveCertificate.loadAuthorized(directory: authorizedDirectory))
    }

    /// A CURVE client from files: `identity` a NAME.key (mode 0600), `serverKey` the server's NAME.pub.
    public static func client(identity: String, serverKey: String) throws -> BusSecurity {
        .curveClient(identity: try CurveCertificate.load(identity, requireSecret: true),
                     serverKey: try CurveCertificate.load(serverKey, requireSecret: false).publicKey)
    }
}

extension Publisher {
    /// What the CURVE handshake refused and accepted; nil for a publisher without CURVE.
    public var authenticationStats: CurveAuthStats? { authenticator?.stats }
}

extension Subscriber {
    /// What the CURVE handshake of a bound subscriber (a CURVE server) refused and accepted; nil
    /// for one without CURVE or one that connects.
    public var authenticationStats: CurveAuthStats? { authenticator?.stats }
}

extension Endpoint {
    /// A tcp endpoint whose host is not loopback: what a bind refuses without CURVE or `insecure`.
    public static func isRemoteTCP(_ endpoint: String) -> Bool {
        guard endpoint.hasPrefix("tcp://") else { return false }
        let rest = endpoint.dropFirst("tcp://".count)
        guard let colon = rest.lastIndex(of: ":") else { return false }
        return !isLoopback(String(rest[..<colon]))
    }
}

extension BusSecurity {
    /// A fresh server and client that trust each other (benchmarks, tests).
    static func benchPair() throws -> (server: BusSecurity, client: BusSecurity) {
        let server = try CurveCertificate.generate(), client = try CurveCertificate.generate()
        return (.curveServer(identity: server, authorized: [client.publicKey]),
                .curveClient(identity: client, serverKey: server.publicKey))
    }
}
