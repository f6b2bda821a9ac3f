import Foundation
import SwiftProtobuf
import VLMBus
import VLMFoxglove

/// The viewer's state between the bus and the WebSocket clients: channels (created from the
/// first message on a topic, unadvertised when the topic goes quiet), clients and their
/// subscriptions. Bus messages come in on the feed thread; nothing here waits on a client.
public final class ViewerHub: @unchecked Sendable {
    private let lock = NSLock()
    private var channels: [UInt32: ViewerChannel] = [:]
    private var channelByKey: [String: UInt32] = [:]
    private var nextChannelID: UInt32 = 1
    private var lastHeard: [String: Int64] = [:]
    private var clients: [UInt64: ViewerClient] = [:]
    private var nextClientID: UInt64 = 1
    /// A bus topic silent this long is unadvertised (its publisher went away); it comes back with its next message.
    public let staleAfterNs: Int64
    /// Receives frames that a client wants as JPEG (encoded off the feed thread).
    public var jpegSink: ((_ topic: String, _ channel: UInt32, _ header: MessageHeader, _ pixels: Blob) -> Void)?
    /// Messages received per bus topic (for `bench view`).
    public private(set) var received: [String: UInt64] = [:]

    public init(staleAfter seconds: Double = 5) {
        staleAfterNs = Int64(seconds * 1e9)
    }

    /// Every channel now advertised.
    public var advertisedChannels: [ViewerChannel] {
        lock.lock(); defer { lock.unlock() }
        return channels.values.sorted { $0.id < $1.id }
    }

    public func channel(id: UInt32) -> ViewerChannel? {
        lock.lock(); defer { lock.unlock() }
        return channels[id]
    }

    /// A new client: it is told about every channel advertised now and later.
    public func connect() -> ViewerClient {
        lock.lock()
        let client = ViewerClient(id: nextClientID)
        nextClientID += 1
        clients[client.id] = client
        let current = channels.values.sorted { $0.id < $1.id }
        lock.unlock()
        if !current.isEmpty { client.send(text: FoxgloveProtocol.advertise(current)) }
        return client
    }

    public func disconnect(_ client: ViewerClient) {
        lock.lock(); clients[client.id] = nil; lock.unlock()
        client.close()
    }

    private var clientList: [ViewerClient] { lock.lock(); defer { lock.unlock() }; return Array(clients.values) }

    /// The id of the (topic, kind) channel, advertising it to every client the first time.
    private func ensureChannel(source: String, kind: ViewerChannel.Kind, schema: FoxgloveSchema) -> UInt32 {
        let key = source + "\u{0}" + kind.rawValue + "\u{0}" + schema.name
        lock.lock()
        if let id = channelByKey[key] { lock.unlock(); return id }
        let channel = ViewerChannel(id: nextChannelID, topic: ViewerChannel.topic(for: source, kind: kind),
                                    sourceTopic: source, kind: kind, schema: schema)
        nextChannelID += 1
        channels[channel.id] = channel
        channelByKey[key] = channel.id
        let all = Array(clients.values)
        lock.unlock()
        let text = FoxgloveProtocol.advertise([channel])
        for c in all { c.send(text: text) }
        return channel.id
    }

    /// Hands a message on `channel` to every client subscribed to it.
    public func publish(channel: UInt32, logTime: UInt64, payload: [UInt8]) {
        for c in clientList { c.offer(channel: channel, logTime: logTime, payload: payload) }
    }

    private func anySubscribed(_ channel: UInt32) -> Bool { clientList.contains { $0.isSubscribed(channel: channel) } }

    /// One bus message (feed thread). Frames: RawImage to raw subscribers, the pixels to the JPEG
    /// encoder when someone watches the compressed channel; header-only results: their JSON and
    /// annotations. Other messages are counted only.
    public func ingest(topic: String, header: MessageHeader, blobs: [Blob], receivedAt: Int64 = BusClock.nowNs()) {
        lock.lock()
        lastHeard[topic] = BusClock.monotonicNs()
        received[topic, default: 0] += 1
        lock.unlock()
        let logTime = UInt64(clamping: receivedAt)
        if header.type == "vlm/Frame", blobs.count == 1, let layout = FoxgloveFrame.Layout(header: header, pixelBytes: blobs[0].count) {
            let raw = ensureChannel(source: topic, kind: .rawImage, schema: .rawImage)
            let jpeg = ensureChannel(source: topic, kind: .jpeg, schema: .compressedImage)
            if anySubscribed(raw), let prefix = try? FoxgloveFrame.prefix(header: header, headerJSON: Array(header.jsonText.utf8),
                                                                           layout: layout, pixelBytes: blobs[0].count),
               let pixels = try? blobs[0].withCheckedBytes({ Array($0) }) {  // nil: a torn shared-memory frame
                publish(channel: raw, logTime: logTime, payload: prefix + pixels)
            }
            if anySubscribed(jpeg) { jpegSink?(topic, jpeg, header, blobs[0]) }
            return
        }
        guard blobs.isEmpty else { return }
        let json = ensureChannel(source: topic, kind: .json, schema: .json(type: header.type))
        publish(channel: json, logTime: logTime, payload: Array(header.jsonText.utf8))
        if ResultAnnotations.annotates(type: header.type) {
            let ann = ensureChannel(source: topic, kind: .annotations, schema: .imageAnnotations)
            if let a = ResultAnnotations.annotations(for: header), let bytes: [UInt8] = try? a.serializedBytes() {
                publish(channel: ann, logTime: logTime, payload: bytes)
            }
        }
    }

    /// Unadvertises the channels of bus topics silent for `staleAfter` (call periodically).
    public func expireStale(now: Int64 = BusClock.monotonicNs()) {
        lock.lock()
        let stale = Set(lastHeard.filter { now - $0.value > staleAfterNs }.keys)
        for t in stale { lastHeard[t] = nil }
        let gone = channels.values.filter { stale.contains($0.sourceTopic) }
        for c in gone {
            channels[c.id] = nil
            channelByKey = channelByKey.filter { $0.value != c.id }
        }
        let all = Array(clients.values)
        lock.unlock()
        guard !gone.isEmpty else { return }
        let ids = gone.map(\.id).sorted()
        let text = FoxgloveProtocol.unadvertise(ids)
        for c in all {
            c.removeChannels(Set(ids))
            c.send(text: text)
        }
    }
}
