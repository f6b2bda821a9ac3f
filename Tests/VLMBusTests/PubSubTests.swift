import Foundation
import Testing
@testable import VLMBus

@Test(arguments: ["ipc", "tcp"])
func framesTravelOverLoopback(transport: String) throws {
    let endpoint = transport == "ipc" ? temporaryIPCEndpoint() : "tcp://127.0.0.1:0"
    let pub = try Publisher(bind: endpoint, qos: .queue(capacity: 100))
    if transport == "tcp" { #expect(pub.endpoint.hasPrefix("tcp://127.0.0.1:") && !pub.endpoint.hasSuffix(":*")) }
    let sub = try Subscriber(connect: [pub.endpoint], topics: ["/camera/image"], qos: .queue(capacity: 100))
    #expect(pub.waitForSubscribers(1, timeout: 5))
    for seq in UInt64(0)..<20 {
        let (info, blob) = try makeFrameBlob(width: 64, height: 48, seq: seq)
        try pub.publishFrame(topic: "/camera/image", seq: seq, stampNs: BusClock.nowNs(), frame: info, pixels: blob)
        // Another topic that the prefix filter must keep out.
        try pub.publish(topic: "/other", header: MessageHeader(type: "x", seq: seq))
    }
    for seq in UInt64(0)..<20 {
        let m = try #require(sub.receive(timeout: 5))
        #expect(m.topic == "/camera/image")
        #expect(m.header.seq == seq)
        #expect(m.frame == FrameInfo(width: 64, height: 48, encoding: .rgb8))
        #expect(m.blobs[0].withUnsafeBytes { $0.allSatisfy { $0 == UInt8(seq) } })
    }
    #expect(sub.receive(timeout: 0.1) == nil)
    #expect(sub.stats.received == 20 && sub.stats.dropped == 0 && sub.stats.malformed == 0)
}

@Test func bindingABusyEndpointNamesIt() throws {
    let tcp = try Publisher(bind: "tcp://127.0.0.1:0")
    do {
        _ = try Publisher(bind: tcp.endpoint)
        Issue.record("second bind of \(tcp.endpoint) succeeded")
    } catch let error as ZMQError {
        #expect(error.code == EADDRINUSE)
        #expect(error.description.contains(tcp.endpoint))
        #expect(error.description.contains("in use"))
    }
    let ipc = try Publisher(bind: temporaryIPCEndpoint())
    #expect(throws: ZMQError(code: EADDRINUSE, operation: "bind", subject: ipc.endpoint)) {
        _ = try Publisher(bind: ipc.endpoint)
    }
}

@Test func publisherRefusesNonLoopbackBindUnlessAllowed() throws {
    do {
        _ = try Publisher(bind: "tcp://0.0.0.0:0")
        Issue.record("bound 0.0.0.0 without allowRemote")
    } catch let refusal as Endpoint.BindRefusal {
        #expect(refusal.description.hasPrefix("cannot bind tcp://0.0.0.0:0: 0.0.0.0 is not a loopback address"))
    }
    // (Binding with allowRemote: true is not exercised: tests bind loopback only.)
    #expect(throws: ZMQError.self) { _ = try Subscriber(connect: [], topics: [""]) }
}
