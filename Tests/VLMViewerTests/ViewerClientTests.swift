import Foundation
import Testing
import VLMBus
@testable import VLMViewer

/// The viewer's per-client slots and the protocol pieces, without sockets.
@Suite struct ViewerClientTests {
    @Test func imagesKeepOnlyTheNewestAndResultsQueueBounded() {
        let client = ViewerClient(id: 1)
        #expect(client.subscribe(id: 5, channel: 1, latestOnly: true))
        #expect(client.subscribe(id: 6, channel: 2, latestOnly: false))
        #expect(!client.subscribe(id: 5, channel: 2, latestOnly: false))  // id in use
        for i in 0..<10 { client.offer(channel: 1, logTime: UInt64(i), payload: [UInt8(i)]) }
        for i in 0..<(ViewerClient.queueCapacity + 3) { client.offer(channel: 2, logTime: UInt64(i), payload: [UInt8(i)]) }
        client.offer(channel: 3, logTime: 0, payload: [9])  // nobody subscribed
        let (_, messages) = client.take()
        let images = messages.filter { $0.subscriptionID == 5 }
        #expect(images.map(\.logTime) == [9])  // the newest frame only, never a backlog
        let results = messages.filter { $0.subscriptionID == 6 }
        #expect(results.count == ViewerClient.queueCapacity && results.first?.logTime == 3)
        #expect(client.skipped == 9 + 3)
        #expect(client.take().messages.isEmpty)
        client.unsubscribe(id: 5)
        client.offer(channel: 1, logTime: 11, payload: [])
        #expect(client.take().messages.isEmpty)
    }

    @Test func hubAdvertisesFromTheFirstMessageAndUnadvertisesQuietTopics() throws {
        let hub = ViewerHub(staleAfter: 0.05)
        let client = hub.connect()
        hub.ingest(topic: "/det", header: MessageHeader(type: "vlm/Detections", seq: 0, sourceSeq: 0, sourceStampNs: 1,
                                                         fields: ["detections": []]), blobs: [])
        let topics = hub.advertisedChannels.map(\.topic)
        #expect(topics == ["/det", "/det/annotations"])
        var (texts, _) = client.take()
        #expect(texts.count == 2 && texts.allSatisfy { $0.contains(#""op":"advertise""#) })
        let json = try #require(hub.advertisedChannels.first)
        #expect(client.subscribe(id: 1, channel: json.id, latestOnly: false))
        hub.ingest(topic: "/det", header: MessageHeader(type: "vlm/Detections", seq: 1, fields: [:]), blobs: [])
        #expect(client.take().messages.count == 1)
        Thread.sleep(forTimeInterval: 0.1)
        hub.expireStale()
        #expect(hub.advertisedChannels.isEmpty)
        (texts, _) = client.take()
        #expect(texts.count == 1 && texts[0].contains(#""op":"unadvertise""#))
        hub.ingest(topic: "/det", header: MessageHeader(type: "vlm/Detections", seq: 2, fields: [:]), blobs: [])
        #expect(client.take().messages.isEmpty)  // its subscription went with the channel
    }

    @Test func subprotocolNegotiationEchoesAKnownNameOnly() {
        #expect(FoxgloveProtocol.negotiate("foxglove.websocket.v1") == "foxglove.websocket.v1")
        #expect(FoxgloveProtocol.negotiate("bogus, foxglove.sdk.v1") == "foxglove.sdk.v1")
        #expect(FoxgloveProtocol.negotiate("bogus.v1") == nil)
        #expect(FoxgloveProtocol.negotiate(nil) == nil)
        #expect(FoxgloveProtocol.messageDataHeader(subscriptionID: 0x0102_0304, logTime: 5) == [1, 4, 3, 2, 1, 5, 0, 0, 0, 0, 0, 0, 0])
    }

    @Test func loopbackHostsOnly() {
        #expect(ViewerServerOptions.isLoopback("127.0.0.1") && ViewerServerOptions.isLoopback("localhost") && ViewerServerOptions.isLoopback("::1"))
        #expect(!ViewerServerOptions.isLoopback("0.0.0.0") && !ViewerServerOptions.isLoopback("192.168.1.5"))
    }
}
