import Foundation

/// Endpoint conventions: `ipc://PATH` on one host, `tcp://HOST:PORT` across hosts.
/// Binding checks keep a graph on the local host unless exposure is asked for explicitly.
public enum Endpoint {
    /// Where a publisher binds when none is given: TCP loopback on a free port, resolved after
    /// binding (every language's ZeroMQ binding can reach it; use `ipc://` for the fastest hop).
    public static let defaultPublisher = "tcp://127.0.0.1:*"

    /// Why an endpoint may not be bound.
    public struct BindRefusal: Error, CustomStringConvertible, Sendable {
        public let endpoint: String
        public let reason: String
        public var description: String { "cannot bind \(endpoint): \(reason)" }
    }

    /// Checks `endpoint` before binding: a known transport, a loopback host for tcp unless
    /// `allowRemote`, and an ipc path that holds nothing but (at most) a stale socket of this user:
    /// libzmq unlinks whatever is at the path before binding, so a regular file, directory, symlink
    /// or live socket there would be destroyed or stolen. Abstract ipc names (`ipc://@name`) have no
    /// file permissions (any local user can connect), so they need `allowRemote` too. Returns the
    /// endpoint as libzmq must see it: `:0` spelled `:*`, `localhost` as `127.0.0.1`.
    public static func validateForBind(_ endpoint: String, allowRemote: Bool) throws -> String {
        if endpoint.hasPrefix("inproc://") { return endpoint }
        if endpoint.hasPrefix("ipc://") {
            let path = String(endpoint.dropFirst("ipc://".count))
            guard !path.isEmpty else { throw BindRefusal(endpoint: endpoint, reason: "empty ipc path") }
            if path.hasPrefix("@") && !allowRemote {
                throw BindRefusal(endpoint: endpoint,
                                  reason: "abstract socket names have no file permissions (any local user could connect); use an ipc:// path (only the API's allowRemote permits them)")
            }
            if path != "*", !path.hasPrefix("@") {
                switch ipcPathState(path) {
                case .absent, .staleSocket: break
                case .liveSocket: throw ZMQError(code: EADDRINUSE, operation: "bind", subject: endpoint)
                case .refused(let what):
                    throw BindRefusal(endpoint: endpoint, reason: "\(path) \(what); binding would delete it (remove it yourself or pick another path)")
                }
            }
            return endpoint
        }
        guard endpoint.hasPrefix("tcp://") else {
            throw BindRefusal(endpoint: endpoint, reason: "unsupported transport (use ipc:// or tcp://)")
        }
        let rest = endpoint.dropFirst("tcp://".count)
        guard let colon = rest.lastIndex(of: ":") else {
            throw BindRefusal(endpoint: endpoint, reason: "tcp endpoint needs HOST:PORT")
        }
        var host = String(rest[..<colon])
        var port = String(rest[rest.index(after: colon)...])
        if port == "0" { port = "*" }
        guard port == "*" || (UInt16(port) != nil) else {
            throw BindRefusal(endpoint: endpoint, reason: "port \"\(port)\" is not a number or *")
        }
        if !allowRemote && !isLoopback(host) {
            throw BindRefusal(endpoint: endpoint,
                              reason: "\(host) is not a loopback address; binding beyond this host must be allowed explicitly")
        }
        // libzmq binds interfaces and addresses, not host names: `localhost` would fail with ENODEV.
        if host == "localhost" { host = "127.0.0.1" }
        return "tcp://\(host):\(port)"
    }

    /// What an ipc path holds, judged by `lstat` (a symlink is never followed).
    enum IPCPathState: Equatable {
        case absent
        /// A socket of this user that nobody listens on: left by a process that died; safe to replace.
        case staleSocket
        case liveSocket
        /// Anything else: why it must not be replaced.
        case refused(String)
    }

    static func ipcPathState(_ path: String) -> IPCPathState {
        var st = stat()
        guard lstat(path, &st) == 0 else {
            return errno == ENOENT ? .absent : .refused("cannot be examined (\(String(cString: strerror(errno))))")
        }
        switch st.st_mode & S_IFMT {
        case S_IFSOCK:
            if ipcPathHasListener(path) { return .liveSocket }
            return st.st_uid == getuid() ? .staleSocket : .refused("is a socket of another user")
        case S_IFREG: return .refused("is an existing file")
        case S_IFDIR: return .refused("is a directory")
        case S_IFLNK: return .refused("is a symbolic link")
        default: return .refused("exists and is not a socket")
        }
    }

    /// True when the tcp endpoint names an IPv6 address (`tcp://[::1]:5555`): libzmq needs
    /// ZMQ_IPV6 on the socket for it.
    static func needsIPv6(_ endpoint: String) -> Bool {
        endpoint.hasPrefix("tcp://[") || endpoint.hasPrefix("tcp://::")
    }

    /// Checks a connect endpoint's transport (no host restriction: connecting out is the user's call).
    public static func validateForConnect(_ endpoint: String) throws {
        guard endpoint.hasPrefix("ipc://") || endpoint.hasPrefix("tcp://") || endpoint.hasPrefix("inproc://") else {
            throw ZMQError(code: EPROTONOSUPPORT, operation: "connect", subject: endpoint)
        }
    }

    /// 127.0.0.0/8, ::1, `localhost` and the loopback interface `lo`.
    public static func isLoopback(_ host: String) -> Bool {
        var h = host
        if h.hasPrefix("[") && h.hasSuffix("]") { h = String(h.dropFirst().dropLast()) }
        if h == "localhost" || h == "lo" || h == "::1" { return true }
        let octets = h.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    /// True when something accepts connections on the Unix socket at `path`.
    static func ipcPathHasListener(_ path: String) -> Bool {
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFSOCK else { return false }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: addr.sun_path)
        guard path.utf8.count < capacity else { return false }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
            raw[path.utf8.count] = 0
        }
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0
            }
        }
    }
}
