import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import VLMBus

/// Options of `vlmnode view`'s server.
public struct ViewerServerOptions: Sendable {
    public var host = "127.0.0.1"
    public var port = 8765
    /// Binding anything but loopback must be asked for (the page can send commands to the graph).
    public var allowRemote = false
    public var name = "vlmnode"
    public init() {}

    /// True for 127.0.0.0/8, ::1 and localhost.
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}

/// What the viewer does with messages a client publishes (`clientPublish`): the text field of the
/// page sends `{"text": …}` on a topic; the sink turns it into a `vlm/Text` bus message.
public typealias ClientPublishSink = @Sendable (_ topic: String, _ schemaName: String, _ payload: [UInt8]) -> String?

/// The Foxglove WebSocket server and the browser page on one port (Hummingbird + its WebSocket upgrade).
public final class FoxgloveServer: Sendable {
    public let hub: ViewerHub
    public let options: ViewerServerOptions
    private let publishSink: ClientPublishSink?

    public init(hub: ViewerHub, options: ViewerServerOptions, publishSink: ClientPublishSink?) {
        self.hub = hub; self.options = options; self.publishSink = publishSink
    }

    /// Runs until SIGINT/SIGTERM; `onRunning` gets the bound port.
    public func run(onRunning: @escaping @Sendable (Int) -> Void) async throws {
        let router = Router()
        router.get("/") { request, _ -> Response in
            if request.headers[.upgrade]?.lowercased().contains("websocket") == true {
                // An upgrade that the WebSocket handler refused: say why rather than serve the page.
                return Response(status: .badRequest, headers: [.contentType: "text/plain"],
                                body: .init(byteBuffer: ByteBuffer(string: "offer WebSocket subprotocol "
                                    + FoxgloveProtocol.subprotocols.joined(separator: " or ") + "\n")))
            }
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(string: ViewerPage.html)))
        }
        let app = Application(
            router: router,
            server: .http1WebSocketUpgrade(configuration: .init(ws: .init(maxFrameSize: 1 << 20))) { [self] request, _, _ in
                guard let proto = FoxgloveProtocol.negotiate(request.headerFields[.secWebSocketProtocol]) else { return .dontUpgrade }
                return .upgrade([.secWebSocketProtocol: proto]) { inbound, outbound, _ in
                    try await self.serve(inbound: inbound, outbound: outbound)
                }
            },
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: options.name),
            onServerRunning: { channel in onRunning(channel.localAddress?.port ?? 0) },
            logger: Logger(label: "vlmnode.view", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        try await app.runService()
    }

    /// One WebSocket connection: serverInfo, then a writer task that drains the client's slots
    /// while this task reads its requests.
    private func serve(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        let client = hub.connect()
        defer { hub.disconnect(client) }
        try await outbound.write(.text(FoxgloveProtocol.serverInfo(name: options.name, sessionID: UUID().uuidString)))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in client.wakeups {
                    let (texts, messages) = client.take()
                    for text in texts { try await outbound.write(.text(text)) }
                    for m in messages {
                        var buffer = ByteBuffer()
                        buffer.reserveCapacity(13 + m.payload.count)
                        buffer.writeBytes(FoxgloveProtocol.messageDataHeader(subscriptionID: m.subscriptionID, logTime: m.logTime))
                        buffer.writeBytes(m.payload)
                        try await outbound.write(.binary(buffer))
                    }
                }
            }
            var session = ClientSession()
            for try await message in inbound.messages(maxSize: 1 << 20) {
                switch message {
                case .text(let text): handle(text: text, client: client, session: &session)
                case .binary(let buffer): handle(binary: buffer, client: client, session: session)
                }
            }
            client.close()
            group.cancelAll()
        }
    }

    /// What a client advertised for publishing (clientPublish).
    struct ClientSession {
        var channels: [UInt32: (topic: String, schemaName: String)] = [:]
    }

    private func handle(text: String, client: ViewerClient, session: inout ClientSession) {
        let object: [String: JSONValue]
        do { object = try Array(text.utf8).withUnsafeBytes { try JSONValue.parseObject($0) } } catch {
            return client.send(text: FoxgloveProtocol.status(level: 2, message: "not a JSON object: \(text.prefix(80))"))
        }
        switch object["op"]?.stringValue {
        case "subscribe":
            for s in object["subscriptions"]?.arrayValue ?? [] {
                guard let o = s.objectValue, let id = o["id"]?.intValue, let channelID = o["channelId"]?.intValue,
                      let sub = UInt32(exactly: id), let cid = UInt32(exactly: channelID) else {
                    client.send(text: FoxgloveProtocol.status(level: 2, message: "subscribe: each subscription needs integer id and channelId"))
                    continue
                }
                guard let channel = hub.channel(id: cid) else {
                    client.send(text: FoxgloveProtocol.status(level: 1, message: "subscribe: no channel \(cid)"))
                    continue
                }
                if !client.subscribe(id: sub, channel: cid, latestOnly: channel.latestOnly) {
                    client.send(text: FoxgloveProtocol.status(level: 1, message: "subscribe: subscription id \(sub) is in use"))
                }
            }
        case "unsubscribe":
            for id in object["subscriptionIds"]?.arrayValue ?? [] {
                if let i = id.intValue, let sub = UInt32(exactly: i) { client.unsubscribe(id: sub) }
            }
        case "advertise":
            for c in object["channels"]?.arrayValue ?? [] {
                guard let o = c.objectValue, let id = o["id"]?.intValue, let cid = UInt32(exactly: id),
                      let topic = o["topic"]?.stringValue, !topic.isEmpty else { continue }
                session.channels[cid] = (topic, o["schemaName"]?.stringValue ?? "")
            }
        case "unadvertise":
            for id in object["channelIds"]?.arrayValue ?? [] {
                if let i = id.intValue, let cid = UInt32(exactly: i) { session.channels[cid] = nil }
            }
        default:
            client.send(text: FoxgloveProtocol.status(level: 1, message: "unsupported op \(object["op"]?.jsonText ?? "(none)")"))
        }
    }

    /// Client message data: `u8 1 | u32 channel id | payload`.
    private func handle(binary buffer: ByteBuffer, client: ViewerClient, session: ClientSession) {
        var b = buffer
        guard b.readInteger(as: UInt8.self) == 1, let cid = b.readInteger(endianness: .little, as: UInt32.self) else {
            return client.send(text: FoxgloveProtocol.status(level: 2, message: "binary message: expected opcode 1 and a channel id"))
        }
        guard let channel = session.channels[cid] else {
            return client.send(text: FoxgloveProtocol.status(level: 2, message: "publish on channel \(cid), which this client did not advertise"))
        }
        guard let sink = publishSink else {
            return client.send(text: FoxgloveProtocol.status(level: 2, message: "this viewer does not publish (start it with --text-bind)"))
        }
        let payload = b.readBytes(length: b.readableBytes) ?? []
        if let problem = sink(channel.topic, channel.schemaName, payload) {
            client.send(text: FoxgloveProtocol.status(level: 2, message: problem))
        } else {
            client.send(text: FoxgloveProtocol.status(level: 0, message: "sent to \(channel.topic)"))
        }
    }
}
