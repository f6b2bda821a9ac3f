import Foundation
import VLMLaunch
#if canImport(Glibc)
import Glibc
#endif

/// The launch files `vlmnode doctor` sees by name, each loaded with its default args: whether it
/// validates, the models its nodes load and the tcp ports it pins.
struct DoctorLaunchFiles {
    struct File {
        var name: String
        var path: String
        var origin: LaunchSearchPath.Origin
        var args: [LaunchArgDeclaration]
        var graph: LaunchGraph?
        /// The first problem loading it with its defaults.
        var error: String?
        var requiredArgs: [String] { args.filter(\.isRequired).map(\.name) }
    }

    let searchPath: LaunchSearchPath
    let files: [File]

    init(searchPath: LaunchSearchPath, environment: [String: String]) {
        self.searchPath = searchPath
        files = searchPath.list().map { entry in
            let used = entry.used
            var file = File(name: entry.name, path: used.path, origin: used.directory.origin, args: [])
            do {
                file.args = try LaunchArgDeclaration.declared(inFileAt: used.path)
                // A file with required args (camera.launch) is meant to be included or given them.
                if file.requiredArgs.isEmpty {
                    file.graph = try LaunchLoader.load(file: used.path, paths: LaunchPaths(file: used.path, launchID: "doctor",
                                                                                            environment: environment),
                                                       environment: environment)
                }
            } catch {
                file.error = "\(error)".split(separator: "\n").first.map(String.init) ?? "\(error)"
            }
            return file
        }
    }

    /// The models each file's nodes load (files without models left out).
    var models: [(file: String, uses: [LaunchModelUse])] {
        files.compactMap { file in
            guard let uses = file.graph?.modelUses, !uses.isEmpty else { return nil }
            return (file.name, uses)
        }
    }

    var modelFiles: [String] { models.map(\.file) }

    func section() -> DoctorReport.Section {
        var s = DoctorReport.Section(title: "launch files")
        let order = searchPath.directories.map { "\($0.path) (\($0.origin.rawValue))" }.joined(separator: ", ")
        s.add("search path", order)
        if files.isEmpty { s.add("found", "none (`vlmnode launch --list` shows where it looks)") }
        for file in files {
            let place = "\(file.origin.rawValue)"
            if let error = file.error {
                s.add(file.name, "\(place): does not validate")
                s.problem("\(file.path): \(error)",
                          fix: "`vlmnode launch --check \(file.name)` lists every problem; Scripts/setup.sh installs python3 "
                            + "and the Examples' packages")
            } else if let graph = file.graph {
                s.add(file.name, "\(place): ok, \(graph.nodes.count) node\(graph.nodes.count == 1 ? "" : "s")")
            } else {
                s.add(file.name, "\(place): needs \(file.requiredArgs.map { "\($0):=…" }.joined(separator: " ")) (or is included by others)")
            }
        }
        return s
    }

    /// The tcp ports the files pin (`<output endpoint="tcp://127.0.0.1:5560"/>`), free or busy.
    func portsSection() -> DoctorReport.Section {
        var s = DoctorReport.Section(title: "ports")
        var seen = Set<String>()
        for file in files {
            guard let graph = file.graph else { continue }
            for topic in graph.topics {
                guard let endpoint = topic.endpoint, endpoint.hasPrefix("tcp://"),
                      let colon = endpoint.lastIndex(of: ":"), let port = Int(endpoint[endpoint.index(after: colon)...]),
                      seen.insert("\(file.name) \(endpoint)").inserted else { continue }
                let host = String(endpoint.dropFirst("tcp://".count).prefix { $0 != ":" })
                let state = Self.portState(host: host, port: port)
                s.add("\(endpoint)", "\(state.text)  (\(file.name): \(topic.name))")
                guard state.problem else { continue }
                let arg = file.args.first { $0.defaultValue == String(port) }
                let other = arg.map { "run with \($0.name):=\(port + 1)" } ?? "pin another port in \(file.path)"
                s.problem("\(endpoint) (\(file.name)) is \(state.text)",
                          fix: "stop the program holding it (`ss -ltnp 'sport = :\(port)'` names it), or \(other)")
            }
        }
        if seen.isEmpty { s.add("pinned", "no launch file found pins a tcp port (ipc sockets need none)") }
        return s
    }

    /// Whether a tcp socket could bind `host:port` now, as libzmq would (SO_REUSEADDR).
    static func portState(host: String, port: Int) -> (text: String, problem: Bool) {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(clamping: port)).bigEndian
        let numeric = host == "*" ? "0.0.0.0" : host == "localhost" ? "127.0.0.1" : host
        guard port > 0, port < 65536, inet_pton(AF_INET, numeric, &address.sin_addr) == 1 else {
            return ("not checked (not an IPv4 address)", false)
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return ("not checked (socket: \(String(cString: strerror(errno))))", false) }
        defer { close(fd) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if result == 0 { return ("free", false) }
        switch errno {
        case EADDRINUSE: return ("busy", true)
        case EADDRNOTAVAIL: return ("not an address of this host", true)
        case EACCES: return ("not allowed (ports below 1024 need privileges)", true)
        default: return ("cannot bind (\(String(cString: strerror(errno))))", true)
        }
    }
}
