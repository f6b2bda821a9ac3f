import Foundation
import Testing
import TestSupport
@testable import VLMBus

/// Local peers on the bus are untrusted (issue 15, findings 2, 5, 10, 15, 16): what they send is
/// counted and skipped, never grows memory without bound, and binding never destroys a file.

/// A raw PUB socket standing in for a hostile publisher.
private final class RawPublisher {
    let socket: ZMQSocket
    let endpoint: String

    init() throws {
        socket = try ZMQSocket(ZMQContext.shared, type: ZMQSocket.pub)
        try socket.bind("tcp://127.0.0.1:*")
        endpoint = try socket.lastEndpoint()
    }

    func send(_ parts: [[UInt8]]) throws {
        for (i, p) in parts.enumerated() {
            try p.withUnsafeBytes { _ = try socket.send(bytes: $0, more: i + 1 < parts.count) }
        }
    }

    func frame(_ topic: String, seq: UInt64, bytes: Int = 2) -> [[UInt8]] {
        [Array(topic.utf8),
         Array(#"{"v":1,"type":"vlm/Frame","seq":\#(seq),"stamp_ns":1,"width":\#(bytes),"height":1,"encoding":"gray8","step":\#(bytes)}"#.utf8),
         [UInt8](repeating: 7, count: bytes)]
    }
}

private func limits(_ change: (inout BusLimits) -> Void) -> BusLimits {
    var l = BusLimits.defaults
    change(&l)
    return l
}

@Test func aSeqJumpIsARestartNotThousandsOfDrops() throws {
    let raw = try RawPublisher()
    let sub = try Subscriber(connect: [raw.endpoint], topics: ["/t"], qos: .queue(capacity: 100))
    #expect(try awaitFirstMessage(sub, publish: { try raw.send(raw.frame("/t", seq: 0)) }) != nil)
    while sub.receive(timeout: 0.2) != nil {}
    let before = sub.stats.topics["/t"]?.received ?? 0
    for seq: UInt64 in [1, 1656, 5, 6, 10, 1 << 62, 0] { try raw.send(raw.frame("/t", seq: seq)) }
    let deadline = Date(timeIntervalSinceNow: 5)
    while (sub.stats.topics["/t"]?.received ?? 0) < before + 7 && Date() < deadline { usleep(10_000) }
    let c = try #require(sub.stats.topics["/t"])
    #expect(c.received == before + 7)
    // 1 -> 1656 (a jump of 1655, once all counted as drops), 6 -> 5 back... : restarts;
    // 6 -> 10 is three lost messages; 2^62 and back to 0 are restarts, never a trap.
    #expect(c.gaps == 3, "gaps \(c.gaps)")
    #expect(c.restarts == 4, "restarts \(c.restarts)")
    #expect(c.dropped == 3)
}

@Test func countSequenceRules() {
    var c = TopicCounters()
    c.countSequence(from: 10, to: 10, maxGap: 1000)  // a repeat
    c.countSequence(from: 10, to: 11, maxGap: 1000)
    c.countSequence(from: 11, to: 1011, maxGap: 1000) // 999 lost: the largest counted jump
    c.countSequence(from: 1011, to: 2012, maxGap: 1000)
    c.countSequence(from: 2012, to: 0, maxGap: 1000)
    #expect(c.gaps == 999 && c.restarts == 2)
}

@Test func topicsBeyondTheCapAreCountedAndDropped() throws {
    let raw = try RawPublisher()
    let sub = try Subscriber(connect: [raw.endpoint], topics: ["/t/"], qos: .latest, limits: limits { $0.maxTopics = 10 })
    #expect(try awaitFirstMessage(sub, publish: { try raw.send(raw.frame("/t/0", seq: 0)) }) != nil)
    for i in 0..<50 { try raw.send(raw.frame("/t/\(i)", seq: 1)) }
    let deadline = Date(timeIntervalSinceNow: 5)
    while sub.stats.received + sub.stats.excessTopicMessages < 51 && Date() < deadline { usleep(10_000) }
    #expect(sub.stats.topics.count == 10)
    #expect(sub.stats.excessTopicMessages == 40)
    // The tracked topics still flow.
    try raw.send(raw.frame("/t/3", seq: 2))
    var got = false
    while let m = sub.receive(timeout: 2) { if m.topic == "/t/3" && m.header.seq == 2 { got = true; break } }
    #expect(got)
}

private let pythonHasZMQ = (try? runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", "import zmq"], timeout: 30))?.status == 0

/// Publishes small frames on /t/0 until a line arrives on stdin, then 1,000 topics x 1 MiB.
private let topicFloodScript = """
    import sys, zmq, json, threading, time
    s = zmq.Context().socket(zmq.PUB); s.setsockopt(zmq.SNDHWM, 0)
    print(s.bind_to_random_port("tcp://127.0.0.1"), flush=True)
    def header(w): return json.dumps({"v": 1, "type": "vlm/Frame", "seq": 1, "stamp_ns": 1, "width": w, "height": 1, "encoding": "gray8", "step": w}).encode()
    go = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.readline(), go.set()), daemon=True).start()
    while not go.is_set():
        s.send_multipart([b"/t/0", header(2), b"xx"]); time.sleep(0.01)
    big = bytes(1 << 20)
    for i in range(1000):
        s.send_multipart([b"/t/%d" % i, header(1 << 20), big], copy=False)
    time.sleep(60)
    """

@Test(.enabled(if: pythonHasZMQ, "python3 cannot import zmq"))
func aThousandTopicsOfLargeFramesHoldOnlyTheCappedSlots() throws {
    // Finding 10: a busy reader (taking nothing) under 1,000 topics x 1 MiB held them all (1.08 GB).
    // The publisher is another process, so only the subscriber's memory is measured.
    let python = Process()
    python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    python.arguments = ["python3", "-c", topicFloodScript]
    let input = Pipe(), output = Pipe()
    python.standardInput = input
    python.standardOutput = output
    try python.run()
    // SIGKILL: children of test threads may inherit a mask that blocks SIGTERM.
    defer { kill(python.processIdentifier, SIGKILL); python.waitUntilExit() }
    var portText = ""
    while let byte = try output.fileHandleForReading.read(upToCount: 1)?.first, byte != UInt8(ascii: "\n") {
        portText.append(Character(UnicodeScalar(byte)))
    }
    let limits = BusLimits.current
    let sub = try Subscriber(connect: ["tcp://127.0.0.1:\(portText)"], topics: ["/t/"], qos: .latest, limits: limits)
    #expect(sub.receive(timeout: 20) != nil)
    let before = residentBytes()
    let counted = sub.stats.received + sub.stats.excessTopicMessages
    try input.fileHandleForWriting.write(contentsOf: Data("go\n".utf8))
    let deadline = Date(timeIntervalSinceNow: 60)
    while sub.stats.received + sub.stats.excessTopicMessages < counted + 1000 && Date() < deadline { usleep(20_000) }
    usleep(200_000)
    let grown = residentBytes() - before
    print("1000 topics x 1 MiB: subscriber RSS grew \(grown >> 20) MiB, \(sub.stats.topics.count) topics kept, \(sub.stats.excessTopicMessages) messages dropped")
    #expect(sub.stats.topics.count == limits.maxTopics)
    #expect(sub.stats.excessTopicMessages == UInt64(1000 - limits.maxTopics))
    #expect(grown < (limits.maxTopics + 64) << 20, "RSS grew \(grown >> 20) MiB")
}

@Test func aSubscriberTracksEveryTopicItAskedFor() throws {
    let raw = try RawPublisher()
    let topics = (0..<5).map { "/x\($0)" }
    let sub = try Subscriber(connect: [raw.endpoint], topics: topics, qos: .latest, limits: limits { $0.maxTopics = 2 })
    #expect(try awaitFirstMessage(sub, publish: { try raw.send(raw.frame("/x0", seq: 0)) }) != nil)
    for t in topics { try raw.send(raw.frame(t, seq: 1)) }
    let deadline = Date(timeIntervalSinceNow: 5)
    while sub.stats.topics.count < 5 && Date() < deadline { usleep(10_000) }
    #expect(sub.stats.topics.count == 5 && sub.stats.excessTopicMessages == 0)
}

@Test func aPartOverTheSizeCapCutsThePeerOff() throws {
    let raw = try RawPublisher()
    // libzmq refuses a part over maxMessageBytes before allocating it, and drops the connection
    // for good (a protocol error): the hostile peer is cut off, the subscriber lives on.
    let sub = try Subscriber(connect: [raw.endpoint], topics: ["/t"], qos: .queue(capacity: 10),
                             limits: limits { $0.maxMessageBytes = 1 << 20 })
    #expect(try awaitFirstMessage(sub, publish: { try raw.send(raw.frame("/t", seq: 0)) }) != nil)
    while sub.receive(timeout: 0.1) != nil {}
    try raw.send(raw.frame("/t", seq: 1, bytes: 2 << 20))
    var seqs: [UInt64] = []
    for _ in 0..<10 {
        try raw.send(raw.frame("/t", seq: 2))
        if let m = sub.receive(timeout: 0.1) { seqs.append(m.header.seq) }
    }
    #expect(!seqs.contains(1), "\(seqs)")
    #expect(sub.stats.receiveError == nil)
    sub.close()
}

@Test func aDataMessageOverItsCapIsSkippedAndCounted() throws {
    let raw = try RawPublisher()
    let sub = try Subscriber(connect: [raw.endpoint], topics: ["/t"], qos: .queue(capacity: 10),
                             limits: limits { $0.maxDataMessageBytes = 4096 })
    #expect(try awaitFirstMessage(sub, publish: { try raw.send(raw.frame("/t", seq: 0)) }) != nil)
    while sub.receive(timeout: 0.1) != nil {}
    try raw.send([Array("/t".utf8), Array(#"{"v":1,"type":"vlm/Text","seq":1,"stamp_ns":1,"text":"x"}"#.utf8),
                  [UInt8](repeating: 1, count: 8192)])
    try raw.send(raw.frame("/t", seq: 2, bytes: 8192))  // frames are sized by their fields instead
    #expect(sub.receive(timeout: 5)?.header.seq == 2)
    #expect(sub.stats.malformed == 1)
    #expect(sub.stats.lastMalformedReason?.hasPrefix("message too large: vlm/Text of 8") == true, "\(sub.stats.lastMalformedReason ?? "")")
}

@Test func anOversizedDataMessageIsCountedAsMalformed() throws {
    let l = limits { $0.maxDataMessageBytes = 100 }
    let parts = try [Array("/t".utf8), Array(#"{"v":1,"type":"vlm/Text","seq":2,"stamp_ns":1}"#.utf8), [UInt8](repeating: 1, count: 200)]
        .map { bytes in try bytes.withUnsafeBytes { try ZMQMessage(copying: $0) } }
    #expect(throws: EnvelopeError.self) { try Envelope.decode(parts, limits: l) }
    do { _ = try Envelope.decode(parts, limits: l) } catch { #expect(error.description.hasPrefix("message too large: vlm/Text of")) }
}

@Test func reporterTableIsBoundedAndExpires() {
    var t = ReporterTable(limits: limits { $0.maxReporters = 3; $0.reporterTTLNs = 1000 })
    func report(_ id: String, _ dropped: UInt64) -> SubscriberReport {
        let json = #"{"vlm_stats":1,"sub":"\#(id)","topics":{"/t":{"received":1,"dropped":\#(dropped)},"/junk":{"dropped":5}}}"#
        return Array(json.utf8).withUnsafeBytes { SubscriberReport(json: $0)! }
    }
    let published: [String: UInt64] = ["/t": 1]
    for i in 0..<5 { t.record(report("s\(i)", 1), published: published, nowNs: Int64(i)) }
    #expect(t.count == 3, "least recently heard evicted")
    #expect(t.droppedPerTopic == ["/t": 5], "evicted counts retired, not lost; unknown topics never kept")
    t.record(report("s4", 2), published: published, nowNs: 10)
    #expect(t.droppedPerTopic["/t"] == 6, "a repeated id replaces its cumulative count")
    t.expire(nowNs: 5000)
    #expect(t.count == 0 && t.droppedPerTopic["/t"] == 6)
}

@Test func aForgedReportFloodKeepsThePublisherSmall() throws {
    let pub = try Publisher(bind: "tcp://127.0.0.1:0", qos: .latest)
    let xsub = try ZMQSocket(ZMQContext.shared, type: ZMQSocket.xsub)
    try xsub.connect(pub.endpoint)
    try [UInt8(1)].withUnsafeBytes { _ = try xsub.send(bytes: $0, more: false) }
    #expect(pub.waitForSubscribers(1, timeout: 5))
    try pub.publish(topic: "/t", header: MessageHeader(type: "vlm/Text", seq: 0))
    let rssBefore = residentBytes()
    let junk = (0..<50).map { "\"/junk\($0)\":{\"dropped\":1}" }.joined(separator: ",")
    var sent = 0
    for i in 0..<100_000 {
        let json = #"{"vlm_stats":1,"sub":"forged-\#(i)","topics":{"/t":{"dropped":1},\#(junk)}}"#
        if try Array(json.utf8).withUnsafeBytes({ try xsub.send(bytes: $0, more: false, dontWait: true) }) { sent += 1 }
        if i % 500 == 0 { _ = pub.stats }  // the publisher drains upstream when used
    }
    usleep(200_000)
    let stats = pub.stats
    let grown = residentBytes() - rssBefore
    #expect(sent > 10_000, "sent \(sent)")
    #expect(stats.reportingSubscribers <= BusLimits.current.maxReporters)
    #expect(stats.reportsIgnored > 0, "a flood is dropped unparsed beyond 4 reports per reporter and second")
    #expect(grown < 64 << 20, "RSS grew \(grown >> 20) MiB under \(sent) forged reports")
    print("forged reports: \(sent) sent, RSS grew \(grown >> 20) MiB, \(stats.reportingSubscribers) reporters kept")
}

@Test func bindingAnIPCPathNeverReplacesAFile() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vlmbus-ipc-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let file = dir.appendingPathComponent("v.mcap")
    try Data("recording".utf8).write(to: file)
    let link = dir.appendingPathComponent("link")
    try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: file.path)
    for path in [file.path, link.path, dir.path] {
        #expect(throws: Endpoint.BindRefusal.self) { try Publisher(bind: "ipc://\(path)") }
        #expect(throws: Endpoint.BindRefusal.self) { try Subscriber(bind: "ipc://\(path)") }
    }
    #expect(try String(contentsOf: file, encoding: .utf8) == "recording")
    #expect(FileManager.default.destinationOfSymbolicLinkOrNil(link.path) == file.path)

    // A live socket is in use; a stale one of ours (its process gone) is replaced.
    let sockPath = dir.appendingPathComponent("s.sock").path
    var live: Publisher? = try Publisher(bind: "ipc://\(sockPath)")
    #expect(throws: ZMQError.self) { try Publisher(bind: "ipc://\(sockPath)") }
    _ = live
    live = nil
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)  // leave a stale socket file behind
    var addr = sockaddr_un()
    addr.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &addr.sun_path) { raw in raw.copyBytes(from: sockPath.utf8); raw[sockPath.utf8.count] = 0 }
    unlink(sockPath)
    _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
    close(fd)
    #expect(Endpoint.ipcPathState(sockPath) == .staleSocket)
    #expect(try Publisher(bind: "ipc://\(sockPath)").endpoint == "ipc://\(sockPath)")

    #expect(throws: Endpoint.BindRefusal.self) { try Publisher(bind: "ipc://@vlmbus-abstract") }
}

@Test func localhostAndIPv6LoopbackWork() throws {
    for host in ["localhost", "[::1]"] {
        let pub = try Publisher(bind: "tcp://\(host):0")
        #expect(pub.endpoint.hasPrefix(host == "localhost" ? "tcp://127.0.0.1:" : "tcp://[::1]:"), "\(pub.endpoint)")
        let port = pub.endpoint.split(separator: ":").last!
        let sub = try Subscriber(connect: ["tcp://\(host):\(port)"], topics: ["/t"])
        let got = try awaitFirstMessage(sub, publish: { try pub.publish(topic: "/t", header: MessageHeader(type: "vlm/Text", seq: 1)) })
        #expect(got?.header.seq == 1, "\(host)")
    }
}

private extension FileManager {
    func destinationOfSymbolicLinkOrNil(_ path: String) -> String? { try? destinationOfSymbolicLink(atPath: path) }
}
