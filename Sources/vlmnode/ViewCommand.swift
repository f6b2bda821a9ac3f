import ArgumentParser
import Foundation
import VLMBus
import VLMNode
import VLMViewer

/// `vlmnode view`: a live Foxglove WebSocket server and browser page on one port.
struct ViewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "view",
        abstract: "Serve live topics to Foxglove/Lichtblick (Foxglove WebSocket) and to a browser page on one port.",
        discussion: """
            Open http://127.0.0.1:8765/ in a browser, or connect Foxglove / Lichtblick to ws://127.0.0.1:8765.
            Without --connect, serves every topic of the running launch. See docs/viewing.md.
            """)

    @Option(name: .customLong("connect"), help: "Endpoint of a publisher (repeat for several).")
    var endpoints: [String] = []

    @Option(name: .customLong("topic"), help: "Only these topics (repeat; default: every topic).")
    var topics: [String] = []

    @Option(help: "Address to listen on (loopback unless --allow-remote).")
    var host = "127.0.0.1"

    @Option(help: "Port (0: any free port; the bound port is printed).")
    var port = 8765

    @Flag(name: .customLong("allow-remote"), help: "Allow a non-loopback --host (the page can send commands into the graph).")
    var allowRemote = false

    @Option(name: .customLong("text-bind"), help: "Bind this endpoint and publish the page's text (vlm/Text) there; nodes connect to it (e.g. the detector's --queries-endpoint).")
    var textBind: String?

    @Option(name: .customLong("jpeg-quality"), help: "JPEG quality (1-100) of frames for the browser.")
    var jpegQuality = 75

    @Option(name: .customLong("stale-after"), help: "Seconds of silence after which a topic is unadvertised.")
    var staleAfter = 5.0

    @OptionGroup(title: "Security (docs/multi-host.md): --server-key for --connect, --authorized for --text-bind")
    var security: BusSecurityOptions

    func validate() throws {
        if !allowRemote && !ViewerServerOptions.isLoopback(host) {
            throw ValidationError("--host \(host) is not loopback: add --allow-remote to serve beyond this machine")
        }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535, got \(port)") }
        guard (1...100).contains(jpegQuality) else { throw ValidationError("--jpeg-quality must be 1...100, got \(jpegQuality)") }
        guard staleAfter > 0 else { throw ValidationError("--stale-after must be > 0, got \(staleAfter)") }
    }

    /// The endpoints and topics given, or those of the running launch.
    func sources() throws -> (endpoints: [String], topics: [String]) {
        if !endpoints.isEmpty { return (endpoints, topics) }
        guard let graph = GraphRegistry.current() else {
            throw CLIError("give --connect ENDPOINT, or start a launch first (the registry in \(GraphRegistry.directory().path) lists none)")
        }
        let published = graph.topics.filter { $0.publisher != nil && $0.endpoint != nil && (topics.isEmpty || topics.contains($0.name)) }
        guard !published.isEmpty else { throw CLIError("launch \(graph.launchID) publishes no topics to view") }
        return (Array(Set(published.compactMap(\.endpoint))).sorted(), published.map(\.name))
    }

    func run() async throws {
        do {
            let (endpoints, topics) = try sources()
            let hub = ViewerHub(staleAfter: staleAfter)
            let jpeg = JPEGWorker(quality: jpegQuality) { [hub] channel, logTime, payload in
                hub.publish(channel: channel, logTime: logTime, payload: payload)
            }
            hub.jpegSink = { topic, channel, header, pixels in jpeg.offer(topic: topic, channel: channel, header: header, pixels: pixels) }
            jpeg.start()
            let keys = try security.forNode()
            let text = try textBind.map { endpoint in
                let (busSecurity, allowRemote) = try NodeSockets.serverSecurity(keys?.side(binds: true), endpoint: endpoint,
                                                                                what: "view: --text-bind", log: NodeLog { emitError($0) })
                return try TextPublisher(bind: endpoint, allowRemote: allowRemote, security: busSecurity)
            }
            if let text { progress("view: text from the page is published on \(text.endpoint)") }
            let feed = try ViewerFeed(endpoints: endpoints, topics: topics, hub: hub,
                                      security: NodeSockets.clientSecurity(keys?.side(binds: false), what: "view: --connect"))
            feed.start()
            var options = ViewerServerOptions()
            options.host = host
            options.port = port
            options.allowRemote = allowRemote
            let server = FoxgloveServer(hub: hub, options: options, publishSink: text.map { t in { t.publish(topic: $0, schemaName: $1, payload: $2) } })
            do {
                try await server.run { port in
                    print("view: http://\(host):\(port)/  (Foxglove/Lichtblick: ws://\(host):\(port))")
                    fflush(stdout)
                }
            } catch {
                throw CLIError("cannot serve on \(host):\(port): \(error)")
            }
            feed.stop()
            jpeg.stop()
        } catch {
            exitWithError(error)
        }
    }
}

/// Publishes what the page's text field sends as `vlm/Text` messages (one sequence per topic).
final class TextPublisher: @unchecked Sendable {
    private let publisher: Publisher
    private let lock = NSLock()
    private var seqs: [String: UInt64] = [:]
    var endpoint: String { publisher.endpoint }

    init(bind endpoint: String, allowRemote: Bool = false, security: BusSecurity = .none) throws {
        publisher = try Publisher(bind: endpoint, qos: .queue(capacity: 16), allowRemote: allowRemote, security: security)
    }

    /// nil on success, else why the message was refused.
    func publish(topic: String, schemaName: String, payload: [UInt8]) -> String? {
        let object = payload.withUnsafeBytes { try? JSONValue.parseObject($0) }
        guard let text = object?["text"]?.stringValue else { return "publish on \(topic): expected {\"text\": \"…\"}" }
        lock.lock(); defer { lock.unlock() }
        let seq = seqs[topic, default: 0]
        seqs[topic] = seq + 1
        do {
            try publisher.publish(topic: topic, header: MessageHeader(type: "vlm/Text", seq: seq, fields: ["text": .string(text)]))
            return nil
        } catch {
            return "publish on \(topic): \(error)"
        }
    }
}
