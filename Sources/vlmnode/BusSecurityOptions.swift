import ArgumentParser
import Foundation
import VLMBus
import VLMNode

/// `--identity --authorized --server-key --insecure`: how a command's bus sockets authenticate.
/// Shared by every command that binds or connects (docs/multi-host.md).
struct BusSecurityOptions: ParsableArguments {
    @Option(help: ArgumentHelp("This end's CURVE key pair (NAME.key from `vlmnode keys generate`, mode 0600).",
                               valueName: "file.key"))
    var identity: String?

    @Option(help: ArgumentHelp("Publishing: accept only subscribers whose NAME.pub is in this directory (needs --identity).",
                               valueName: "dir"))
    var authorized: String?

    @Option(name: .customLong("server-key"),
            help: ArgumentHelp("Subscribing: the publisher's NAME.pub; both ends are authenticated (needs --identity).",
                               valueName: "file.pub"))
    var serverKey: String?

    @Flag(help: "Allow binding a non-loopback tcp address without CURVE (unauthenticated plaintext).")
    var insecure = false

    /// The security of a socket that binds `endpoint` (a publisher), and whether it may bind
    /// beyond loopback. Without CURVE a non-loopback tcp bind stays refused (by `Endpoint`)
    /// unless `--insecure`, which warns once.
    func forBinding(_ endpoint: String) throws -> (security: BusSecurity, allowRemote: Bool) {
        if serverKey != nil { throw CLIError("--server-key is for subscribing; a publisher takes --identity and --authorized") }
        guard identity != nil || authorized != nil else {
            if insecure, Endpoint.isRemoteTCP(endpoint) {
                emitError("warning: --insecure: \(endpoint) accepts anyone and sends in plaintext (use --identity and --authorized for CURVE)")
            }
            return (.none, insecure)
        }
        guard let identity, let authorized else {
            throw CLIError("--identity and --authorized go together (a CURVE publisher needs both)")
        }
        guard endpoint.hasPrefix("tcp://") else { throw CLIError("CURVE applies to tcp:// endpoints; \(endpoint) is not one") }
        do {
            return (try BusSecurity.server(identity: identity, authorizedDirectory: authorized), insecure)
        } catch let error as CurveKeyError { throw CLIError(error.description) }
    }

    /// The security of a socket that connects (a subscriber).
    func forConnecting() throws -> BusSecurity {
        if authorized != nil { throw CLIError("--authorized is for publishing; a subscriber takes --identity and --server-key") }
        guard identity != nil || serverKey != nil else { return .none }
        guard let identity, let serverKey else {
            throw CLIError("--identity and --server-key go together (a CURVE subscriber needs both)")
        }
        do { return try BusSecurity.client(identity: identity, serverKey: serverKey) } catch let error as CurveKeyError {
            throw CLIError(error.description)
        }
    }

    /// The node-wide security of `vlmnode node TYPE` (and `view`): the wiring resolution applies it
    /// to each port by direction (`--authorized` to ports that bind, `--server-key` to ports that
    /// connect, `--identity` to both), over the launcher's `"security"`. Keys are loaded when the
    /// sockets open. Nil when no option is given.
    func forNode() throws -> PortSecurity? {
        if identity != nil && authorized == nil && serverKey == nil {
            throw CLIError("--identity needs --authorized (ports that bind) or --server-key (ports that connect)")
        }
        if identity == nil && (authorized != nil || serverKey != nil) {
            throw CLIError("--\(authorized != nil ? "authorized" : "server-key") needs --identity (this node's NAME.key)")
        }
        let s = PortSecurity(identity: identity, authorized: authorized, serverKey: serverKey, insecure: insecure ? true : nil)
        return s.isEmpty ? nil : s
    }
}
