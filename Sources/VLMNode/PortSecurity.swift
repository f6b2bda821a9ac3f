import Foundation

/// How one port's socket authenticates: the `"security"` object of a port in `VLMNODE_WIRING`
/// (docs/multi-host.md "Wiring"). It holds key file *paths* only, never key material: the files
/// are loaded when the socket opens, with the same permission checks as `--identity`.
///
/// ```json
/// {"identity": "/keys/robot.key", "authorized": "/keys/authorized"}      // a port that binds: CURVE server
/// {"identity": "/keys/ws.key", "server_key": "/keys/robot.pub"}          // a port that connects: CURVE client
/// {"insecure": true}                                                     // a bind beyond loopback without CURVE
/// ```
///
/// A port that binds (every output, an input with `"bind": true`) uses `identity` + `authorized`;
/// a port that connects uses `identity` + `server_key`. `insecure` only matters for a bind.
public struct PortSecurity: Sendable, Hashable, Codable {
    /// This end's key pair, a `NAME.key` file (mode 0600).
    public var identity: String?
    /// Binding: a directory of `NAME.pub` files; only those clients are admitted.
    public var authorized: String?
    /// Connecting: the `NAME.pub` file of the server (the peer that binds).
    public var serverKey: String?
    /// Binding without CURVE on a non-loopback tcp address is allowed (one warning line).
    public var insecure: Bool?

    public init(identity: String? = nil, authorized: String? = nil, serverKey: String? = nil, insecure: Bool? = nil) {
        self.identity = identity
        self.authorized = authorized
        self.serverKey = serverKey
        self.insecure = insecure
    }

    enum CodingKeys: String, CodingKey { case identity, authorized, serverKey = "server_key", insecure }

    /// Nothing set: the same as no `"security"` object.
    public var isEmpty: Bool { identity == nil && authorized == nil && serverKey == nil && insecure != true }

    /// `overrides` (a command line's node-wide options) applied to this port's security. Only the
    /// fields of the port's direction are taken, and `identity` only together with them: a node
    /// given `--identity K --server-key S` makes its connecting inputs CURVE clients and leaves its
    /// binding outputs alone (they would need `--authorized`).
    public func applying(_ overrides: PortSecurity, binds: Bool) -> PortSecurity? {
        var s = self
        if binds {
            if let authorized = overrides.authorized {
                s.authorized = authorized
                s.identity = overrides.identity ?? s.identity
            }
            if overrides.insecure == true { s.insecure = true }
        } else if let serverKey = overrides.serverKey {
            s.serverKey = serverKey
            s.identity = overrides.identity ?? s.identity
        }
        return s.isEmpty ? nil : s
    }

    /// The part of node-wide options that applies to a socket that binds (or connects).
    public func side(binds: Bool) -> PortSecurity? { PortSecurity().applying(self, binds: binds) }

    /// The one-line problem with this object for a port that binds (or connects), or nil: the
    /// other direction's field, or half of a pair.
    public func problem(binds: Bool) -> String? {
        if binds {
            if serverKey != nil { return "\"server_key\" is for a port that connects; a port that binds takes \"identity\" and \"authorized\"" }
            if (identity == nil) != (authorized == nil) {
                return "\"identity\" and \"authorized\" go together (a CURVE server needs both)"
            }
        } else {
            if authorized != nil { return "\"authorized\" is for a port that binds; a port that connects takes \"identity\" and \"server_key\"" }
            if (identity == nil) != (serverKey == nil) {
                return "\"identity\" and \"server_key\" go together (a CURVE client needs both)"
            }
        }
        return nil
    }
}
