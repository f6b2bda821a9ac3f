import Foundation
import VLMBus

/// One `<machine name=… address=… user=… [port=…] [vlmnode=…] [env-loader=…] [identity=…]/>`
/// after substitution (docs/multi-host.md). Nodes name it with `machine=`.
public struct MachineDescription: Sendable, Hashable {
    /// Letters, digits and `_`, unique in a launch.
    public var name: String
    /// Host name or IP address ssh connects to, and the address other machines reach its topics at.
    public var address: String
    /// Login name for ssh; nil: ssh's default (the current user, or the ssh config's `User`).
    public var user: String?
    /// ssh port; nil: ssh's default (22, or the ssh config's `Port`).
    public var port: Int?
    /// The `vlmnode` binary on that machine; nil: `vlmnode` from the login PATH.
    public var vlmnode: String?
    /// A program on that machine that sets up the environment and runs its arguments (roslaunch's
    /// env-loader): the remote command becomes `ENV_LOADER VLMNODE remote-node`.
    public var envLoader: String?
    /// This machine's CURVE key pair (`NAME.key` on the launcher's host, mode 0600) instead of a
    /// pair generated for the launch.
    public var identity: String?
    public var location: SourceLocation

    public init(name: String, address: String, user: String? = nil, port: Int? = nil, vlmnode: String? = nil,
                envLoader: String? = nil, identity: String? = nil, location: SourceLocation) {
        self.name = name
        self.address = address
        self.user = user
        self.port = port
        self.vlmnode = vlmnode
        self.envLoader = envLoader
        self.identity = identity
        self.location = location
    }

    /// Checks the attributes: they end up as ssh arguments, so none may look like an option.
    static func validated(name: String, address: String, user: String?, port: String?, vlmnode: String?,
                          envLoader: String?, identity: String?, at location: SourceLocation) throws -> MachineDescription {
        guard Names.isValid(name, allowSlash: false), !name.hasPrefix("~") else {
            throw LaunchError("invalid machine name '\(name)' (letters, digits and _ only)", at: location)
        }
        guard isHostLike(address) else {
            throw LaunchError("machine '\(name)': address=\"\(LaunchExpander.excerpt(address))\" is not a host name or IP address", at: location)
        }
        if let user, !isLoginName(user) {
            throw LaunchError("machine '\(name)': user=\"\(LaunchExpander.excerpt(user))\" is not a login name", at: location)
        }
        var portNumber: Int?
        if let port {
            guard let n = Int(port.trimmingCharacters(in: .whitespaces)), (1...65535).contains(n) else {
                throw LaunchError("machine '\(name)': port=\"\(LaunchExpander.excerpt(port))\" must be a whole number from 1 to 65535", at: location)
            }
            portNumber = n
        }
        for (attribute, value) in [("vlmnode", vlmnode), ("env-loader", envLoader)] {
            guard let value else { continue }
            guard !value.isEmpty, !value.hasPrefix("-"), value.allSatisfy(isPathCharacter) else {
                throw LaunchError("machine '\(name)': \(attribute)=\"\(LaunchExpander.excerpt(value))\" must be a program path (letters, digits, / . _ - + only)", at: location)
            }
        }
        return MachineDescription(name: name, address: address, user: user, port: portNumber, vlmnode: vlmnode,
                                  envLoader: envLoader, identity: identity, location: location)
    }

    /// A DNS name, an IPv4 address or an IPv6 address (no brackets); never starting with `-`.
    static func isHostLike(_ text: String) -> Bool {
        guard !text.isEmpty, text.count <= 253, !text.hasPrefix("-") else { return false }
        return text.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "." || $0 == "-" || $0 == ":" }
    }

    static func isLoginName(_ text: String) -> Bool {
        guard !text.isEmpty, text.count <= 64, !text.hasPrefix("-") else { return false }
        return text.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "_" || $0 == "-" || $0 == "." }
    }

    static func isPathCharacter(_ c: Character) -> Bool {
        (c.isASCII && (c.isLetter || c.isNumber)) || "/._-+".contains(c)
    }

    /// `user@address` as ssh takes it.
    public var destination: String { user.map { "\($0)@\(address)" } ?? address }

    /// True when `address` is an IPv4 or IPv6 literal (a socket can bind it).
    public var addressIsLiteral: Bool { Self.isIPLiteral(address) }

    static func isIPLiteral(_ text: String) -> Bool {
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }
}

/// Which machines are the launcher's own host: loopback addresses, `localhost`, this host's name,
/// and the addresses of its interfaces. A machine at one of them runs its nodes without ssh.
public struct LocalHost: Sendable {
    public var addresses: Set<String>

    public init(addresses: Set<String>) { self.addresses = addresses }

    /// This host now: its interface addresses (getifaddrs) and host name.
    public static func current() -> LocalHost {
        var found: Set<String> = ["localhost"]
        var list: UnsafeMutablePointer<ifaddrs>?
        if getifaddrs(&list) == 0, let first = list {
            var item: UnsafeMutablePointer<ifaddrs>? = first
            while let entry = item {
                if let addr = entry.pointee.ifa_addr {
                    var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
                    let family = Int32(addr.pointee.sa_family)
                    let length = family == AF_INET6 ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size
                    if family == AF_INET || family == AF_INET6,
                       getnameinfo(addr, socklen_t(length), &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0 {
                        found.insert(String(cString: host).split(separator: "%").first.map(String.init) ?? "")
                    }
                }
                item = entry.pointee.ifa_next
            }
            freeifaddrs(first)
        }
        var name = [CChar](repeating: 0, count: 256)
        if gethostname(&name, name.count) == 0 { found.insert(String(cString: name)) }
        return LocalHost(addresses: found)
    }

    public func isLocal(_ machine: MachineDescription) -> Bool {
        Endpoint.isLoopback(machine.address) || addresses.contains(machine.address)
    }
}
