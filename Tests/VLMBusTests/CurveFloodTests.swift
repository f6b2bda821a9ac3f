import Foundation
import Testing
@testable import VLMBus

/// Handshake floods: every refused attempt is counted, but log lines are bounded per key and per
/// address, and the tables behind them are bounded too.
@Test func refusalLogIsOncePerKeyAndAddressAndBounded() {
    var log = RefusalLog()
    var lines: [String] = []
    func note(_ line: String?) { if let line { lines.append(line) } }
    // One address inventing a fresh key per attempt: maxKeysPerAddress lines, the last says so.
    for i in 0 ..< 500 { note(log.refusedKey("key\(i)", address: "10.0.0.9", endpoint: "tcp://0.0.0.0:5555")) }
    #expect(lines.count == RefusalLog.maxKeysPerAddress, "\(lines)")
    #expect(lines.last?.contains("\(RefusalLog.maxKeysPerAddress) different refused keys from 10.0.0.9: further ones are counted, not logged") == true)
    #expect(log.distinctKeys == 500)
    // The same key again, from anywhere: nothing.
    note(log.refusedKey("key0", address: "10.0.0.10", endpoint: "e"))
    #expect(lines.count == RefusalLog.maxKeysPerAddress)
    // Failed handshakes: one line per address, however often.
    lines.removeAll()
    for _ in 0 ..< 100 { note(log.failedHandshake(address: "10.0.0.7", why: "it has no CURVE (plain ZeroMQ)", endpoint: "e")) }
    #expect(lines == ["refused a peer from 10.0.0.7 on e: it has no CURVE (plain ZeroMQ) (further ones from 10.0.0.7 are counted, not logged)"])
    // Many addresses: the table stops at maxEntries with one line saying so.
    lines.removeAll()
    for i in 0 ..< 3000 { note(log.failedHandshake(address: "10.1.\(i / 256).\(i % 256)", why: "w", endpoint: "e")) }
    #expect(lines.count == RefusalLog.maxEntries, "\(lines.count)")  // 1023 new addresses + the "exceed" line
    #expect(lines.last?.contains("exceed \(RefusalLog.maxEntries) distinct keys or addresses") == true)
    for i in 0 ..< 3000 { note(log.refusedKey("fresh\(i)", address: "10.2.\(i / 256).\(i % 256)", endpoint: "e")) }
    #expect(log.distinctKeys <= RefusalLog.maxEntries)
    #expect(lines.count <= RefusalLog.maxEntries + 1024, "bounded")
}

/// Many bad clients at once against one CURVE publisher: plain subscribers, subscribers with fresh
/// unknown keys, and ones holding the wrong server key. The good subscriber still gets its data;
/// every bad attempt is counted; the log stays a handful of lines.
@Test func manyBadClientsAreCountedAndLoggedAFewTimes() throws {
    let server = try CurveCertificate.generate(), client = try CurveCertificate.generate()
    let pub = try Publisher(bind: "tcp://127.0.0.1:0", qos: .queue(capacity: 100),
                            security: .curveServer(identity: server, authorized: [client.publicKey]))
    let good = try Subscriber(connect: [pub.endpoint], topics: [""], qos: .queue(capacity: 1000),
                              security: .curveClient(identity: client, serverKey: server.publicKey))
    let plainCount = 30, freshCount = 30, wrongServerCount = 10
    var bad: [Subscriber] = []
    for _ in 0 ..< plainCount { bad.append(try Subscriber(connect: [pub.endpoint], topics: [""])) }
    for _ in 0 ..< freshCount {
        bad.append(try Subscriber(connect: [pub.endpoint], topics: [""],
                                  security: .curveClient(identity: try CurveCertificate.generate(), serverKey: server.publicKey)))
    }
    let impostor = try CurveCertificate.generate()
    for _ in 0 ..< wrongServerCount {
        bad.append(try Subscriber(connect: [pub.endpoint], topics: [""],
                                  security: .curveClient(identity: client, serverKey: impostor.publicKey)))
    }
    var seq: UInt64 = 0
    let first = try awaitFirstMessage(good, publish: {
        seq += 1
        try pub.publish(topic: "/events", header: MessageHeader(type: "test/Event", seq: seq))
    }, timeout: 20)
    #expect(first != nil)
    // Until every bad client has tried at least once (they retry every ~100 ms), or 20 s.
    let deadline = Date(timeIntervalSinceNow: 20)
    func enough(_ a: CurveAuthStats) -> Bool {
        a.distinctRefusedKeys >= freshCount && a.failedHandshakes >= UInt64(plainCount + wrongServerCount)
    }
    while !enough(pub.authenticationStats!) && Date() < deadline {
        seq += 1
        try pub.publish(topic: "/events", header: MessageHeader(type: "test/Event", seq: seq))
        usleep(20_000)
    }
    let auth = try #require(pub.authenticationStats)
    #expect(enough(auth), "\(auth)")
    #expect(auth.accepted == 1, "\(auth)")
    for sub in bad { #expect(sub.stats.received == 0) }
    // The authorized client still receives after the flood (one more message: when every bad client
    // had already been refused, the loop above published nothing after the first).
    seq += 1
    try pub.publish(topic: "/events", header: MessageHeader(type: "test/Event", seq: seq))
    #expect(good.receive(timeout: 5) != nil)
    // All from 127.0.0.1: up to maxKeysPerAddress key lines, one failed-handshake line (plus one
    // for a connection whose address was gone before the monitor read it).
    #expect(auth.loggedLines >= 2 && auth.loggedLines <= RefusalLog.maxKeysPerAddress + 2, "\(auth)")
}
