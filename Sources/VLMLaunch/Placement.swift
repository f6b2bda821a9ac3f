import Foundation
import VLMBus
import VLMNode

/// Placeholders in a remote node's wiring, command line and environment that the remote side
/// replaces with paths of its own (`vlmnode remote-node`), since the launcher cannot know them.
public enum RemoteMarkers {
    /// The node's own fresh 0700 key directory.
    public static let keys = "@VLMNODE_KEYS@"
    /// The directory for the launch's ipc sockets on that machine (shared by its nodes). An
    /// absolute-looking path, so an `ipc://` endpoint holding it is not taken for an abstract name.
    public static let run = "/@VLMNODE_RUN@"
    /// The launcher host's address as that machine sees it (the client address of the ssh session).
    public static let launcherAddress = "@VLMNODE_LAUNCHER_ADDRESS@"
}

/// Where nodes run and how topics between machines are carried (docs/multi-host.md): same-host
/// topics stay ipc; a topic with a subscriber on another machine is tcp on the publisher
/// machine's address, with CURVE, on a port from `portBase` upwards.
struct Placement {
    /// A machine, by key name: `launcher-host` for the launcher's own host (no machine, or a
    /// declared machine whose address is this host's), else the machine's name.
    typealias Host = String
    static let launcherHost: Host = "launcher-host"

    let machines: [String: MachineDescription]
    let remote: Set<String>
    /// Each node's host.
    private(set) var host: [String: Host] = [:]
    /// A declared machine that is this host at a non-loopback address (where other machines reach
    /// the launcher's topics; without one they use the address their ssh session came from).
    let localMachine: MachineDescription?
    let socketDirectory: String
    let keyDirectory: String
    var nextPort: Int
    /// Cross-host topics: the port, and the hosts that subscribe.
    private(set) var crossing: [String: (port: Int, publisherHost: Host, subscriberHosts: Set<Host>)] = [:]

    init(description: LaunchDescription, localHost: LocalHost, socketDirectory: String, portBase: Int,
         errors: inout [LaunchError]) {
        var machines: [String: MachineDescription] = [:]
        var remote: Set<String> = []
        var local: MachineDescription?
        for m in description.machines {
            machines[m.name] = m
            guard localHost.isLocal(m) else { remote.insert(m.name); continue }
            // A loopback address is this host, but no use to other machines.
            if !Endpoint.isLoopback(m.address) { local = local ?? m }
        }
        self.machines = machines
        self.remote = remote
        localMachine = local
        self.socketDirectory = socketDirectory
        keyDirectory = socketDirectory + "/keys"
        nextPort = portBase
        for node in description.nodes {
            guard let name = node.machine else { host[node.fullName] = Self.launcherHost; continue }
            guard machines[name] != nil else {
                let known = machines.keys.sorted()
                let list = known.isEmpty ? "no <machine> is declared" : "machines: \(known.joined(separator: ", "))"
                errors.append(LaunchError("node '\(node.fullName)': unknown machine '\(name)' (\(list))",
                                          at: node.machineLocation ?? node.location))
                host[node.fullName] = Self.launcherHost
                continue
            }
            host[node.fullName] = remote.contains(name) ? name : Self.launcherHost
        }
    }

    func isRemote(_ node: String) -> Bool { host[node].map { $0 != Self.launcherHost } ?? false }

    /// The machine a node runs on over ssh, nil when it runs on the launcher's host.
    func remoteMachine(of node: String) -> MachineDescription? {
        guard let h = host[node], h != Self.launcherHost else { return nil }
        return machines[h]
    }

    /// The endpoint a topic gets when the file pins none. Registers cross-host topics.
    mutating func endpoint(topic: String, publisher: String, subscribers: [String]) -> String {
        let pubHost = host[publisher] ?? Self.launcherHost
        let subHosts = Set(subscribers.map { host[$0] ?? Self.launcherHost })
        if subHosts.contains(where: { $0 != pubHost }) {
            let port = nextPort
            nextPort += 1
            crossing[topic] = (port, pubHost, subHosts)
            return connectEndpoint(topic: topic, from: Self.launcherHost)!
        }
        if pubHost != Self.launcherHost { return "ipc://\(RemoteMarkers.run)/\(GraphBuilder.socketName(topic))" }
        return "ipc://\(socketDirectory)/\(GraphBuilder.socketName(topic))"
    }

    func isCrossing(_ topic: String) -> Bool { crossing[topic] != nil }

    /// Where a node on `from` connects for a cross-host topic.
    func connectEndpoint(topic: String, from: Host) -> String? {
        guard let c = crossing[topic] else { return nil }
        let address: String
        if c.publisherHost == from {
            address = bindAddress(of: from).map { $0 == "0.0.0.0" ? "127.0.0.1" : $0 } ?? "127.0.0.1"
        } else if c.publisherHost == Self.launcherHost {
            address = localMachine?.address ?? RemoteMarkers.launcherAddress
        } else {
            address = machines[c.publisherHost]?.address ?? "?"
        }
        return "tcp://\(Self.bracketed(address)):\(c.port)"
    }

    /// What the publisher of a cross-host topic binds.
    func bindEndpoint(topic: String) -> String? {
        guard let c = crossing[topic] else { return nil }
        return "tcp://\(Self.bracketed(bindAddress(of: c.publisherHost) ?? "0.0.0.0")):\(c.port)"
    }

    /// A machine's own address when it is an IP literal (bind only there), else every interface.
    private func bindAddress(of host: Host) -> String? {
        let machine = host == Self.launcherHost ? localMachine : machines[host]
        guard let machine, machine.addressIsLiteral else { return "0.0.0.0" }
        return machine.address
    }

    static func bracketed(_ address: String) -> String { address.contains(":") ? "[\(address)]" : address }

    /// Key paths as the node on `host` sees them.
    private func keyPath(_ file: String, on host: Host) -> String {
        (host == Self.launcherHost ? keyDirectory : RemoteMarkers.keys) + "/" + file
    }

    /// Gives a node its per-host view of cross-host topics: endpoints, bind address, CURVE paths.
    func apply(to node: inout LaunchGraph.Node) {
        let me = host[node.name] ?? Self.launcherHost
        for (role, binding) in node.outputs {
            guard crossing[binding.topic] != nil else { continue }
            node.outputs[role]?.endpoint = bindEndpoint(topic: binding.topic)
            node.outputs[role]?.security = PortSecurity(identity: keyPath(KeyPlan.secretFile(me), on: me),
                                                        authorized: keyPath(KeyPlan.authorizedDirectory(me), on: me))
        }
        for (role, binding) in node.inputs {
            guard let c = crossing[binding.topic] else { continue }
            node.inputs[role]?.endpoint = connectEndpoint(topic: binding.topic, from: me)
            node.inputs[role]?.security = PortSecurity(identity: keyPath(KeyPlan.secretFile(me), on: me),
                                                       serverKey: keyPath(KeyPlan.publicFile(c.publisherHost), on: me))
        }
        node.machine = node.description.machine.flatMap { machines[$0] }
        node.isRemote = me != Self.launcherHost
    }

    /// Which key pairs the launch needs and who admits whom.
    var keyPlan: KeyPlan {
        var plan = KeyPlan()
        for (_, c) in crossing {
            plan.hosts.insert(c.publisherHost)
            for sub in c.subscriberHosts {
                plan.hosts.insert(sub)
                plan.authorized[c.publisherHost, default: []].insert(sub)
            }
        }
        for h in plan.hosts {
            let machine = h == Self.launcherHost ? localMachine : machines[h]
            if let identity = machine?.identity { plan.givenIdentity[h] = identity }
        }
        return plan
    }
}

/// The CURVE keys of one launch: one pair per host that takes part in a cross-host topic, and
/// per publishing host the public keys it admits. Generated into `<runtime dir>/keys` (0700, files
/// 0600) at start unless a `<machine identity=…>` gives the pair.
public struct KeyPlan: Sendable, Hashable {
    public var hosts: Set<String> = []
    /// Publisher host -> hosts whose key it admits.
    public var authorized: [String: Set<String>] = [:]
    /// Hosts whose key pair the file gives (a NAME.key path on the launcher's host).
    public var givenIdentity: [String: String] = [:]

    public static func secretFile(_ host: String) -> String { "\(host).key" }
    public static func publicFile(_ host: String) -> String { "\(host).pub" }
    public static func authorizedDirectory(_ host: String) -> String { "authorized-\(host)" }

    public var isEmpty: Bool { hosts.isEmpty }
}
