import Foundation
import Testing
import TestSupport
import VLMBus

/// Runs `vlmnode args(endpoint)` while publishing 32x24 frames on /camera/image (and small
/// messages on /events) every 10 ms, until the command exits.
private func runWhilePublishing(_ args: @escaping @Sendable (String) -> [String]) throws -> ProcessResult {
    let dir = try makeTemporaryDirectory("topic-cli")
    let pub = try Publisher(bind: "ipc://\(dir.path)/p.sock")
    let endpoint = pub.endpoint
    nonisolated(unsafe) var result: Result<ProcessResult, Error>?
    let done = DispatchSemaphore(value: 0)
    Thread {
        result = Result { try VLMNodeBinary.run(args(endpoint), timeout: 60) }
        done.signal()
    }.start()
    let frame = FrameInfo(width: 32, height: 24, encoding: .rgb8)
    var seq: UInt64 = 0
    while done.wait(timeout: .now() + .milliseconds(10)) == .timedOut {
        try pub.publishFrame(topic: "/camera/image", seq: seq, stampNs: BusClock.nowNs(), frame: frame,
                             pixels: try Blob([UInt8](repeating: 1, count: frame.byteCount)))
        try pub.publish(topic: "/camera/image_info", header: MessageHeader(type: "test/Info", seq: seq))
        seq += 1
    }
    return try result!.get()
}

@Test func echoPrintsHeadersAsJSONLines() throws {
    let r = try runWhilePublishing { ["topic", "echo", "/camera/image", "--connect", $0, "--count", "3"] }
    #expect(r.status == 0, "\(r.stderr)")
    let lines = r.stdout.split(separator: "\n")
    #expect(lines.count == 3)
    var lastSeq = -1
    for line in lines {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["v"] as? Int == 1)
        #expect(object["type"] as? String == "vlm/Frame")  // /camera/image_info is filtered out
        #expect(object["width"] as? Int == 32 && object["step"] as? Int == 96)
        let seq = try #require(object["seq"] as? Int)
        #expect(seq > lastSeq)
        lastSeq = seq
    }
}

@Test func hzReportsRateWithIntervalStatistics() throws {
    let r = try runWhilePublishing { ["topic", "hz", "/camera/image", "--connect", $0, "--count", "20", "--window", "10"] }
    #expect(r.status == 0, "\(r.stderr)")
    let last = try #require(r.stdout.split(separator: "\n").last.map(String.init))
    #expect(last.hasPrefix("/camera/image: average rate "), "\(last)")
    #expect(last.contains(" min ") && last.contains(" max ") && last.contains(" std dev ") && last.hasSuffix("window 10"))
    // Published every ~10 ms (plus scheduling): anything from 10 to 150 Hz is this publisher.
    let rate = Double(last.split(separator: " ")[3]) ?? 0
    #expect(rate > 10 && rate < 150, "\(last)")
}

@Test func bwReportsBytesPerSecond() throws {
    let r = try runWhilePublishing { ["topic", "bw", "/camera/image", "--connect", $0, "--count", "10"] }
    #expect(r.status == 0, "\(r.stderr)")
    let last = try #require(r.stdout.split(separator: "\n").last.map(String.init))
    #expect(last.hasPrefix("/camera/image: ") && last.contains("/s  mean "), "\(last)")
    // 2304 pixel bytes + topic + header per message.
    #expect(last.contains("mean 2.") && last.contains(" KB"), "\(last)")
}

@Test func listShowsTopicsAndTypes() throws {
    let r = try runWhilePublishing { ["topic", "list", "--connect", $0, "--duration", "1"] }
    #expect(r.status == 0, "\(r.stderr)")
    let lines = r.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
    #expect(lines == [["/camera/image", "vlm/Frame"], ["/camera/image_info", "test/Info"]])
}

@Test func topicToolsFailWithOneClearLine() throws {
    let noConnect = try VLMNodeBinary.run(["topic", "echo", "/x"])
    #expect(noConnect.status != 0 && noConnect.stderr.contains("--connect"))
    let silent = try VLMNodeBinary.run(["topic", "echo", "/x", "--connect", "tcp://127.0.0.1:9", "--timeout", "0.5"])
    #expect(silent.status != 0)
    #expect(silent.stderr.contains("no message on /x from tcp://127.0.0.1:9 within 0.5 s"), "\(silent.stderr)")
    let badEndpoint = try VLMNodeBinary.run(["topic", "hz", "/x", "--connect", "udp://1.2.3.4:5"])
    #expect(badEndpoint.status != 0 && badEndpoint.stderr.contains("udp://1.2.3.4:5"), "\(badEndpoint.stderr)")
}

@Test func benchBusPrintsATableForEveryCase() throws {
    // A smoke run (tiny frames, few messages): the figures themselves come from release builds.
    let r = try VLMNodeBinary.run(["bench", "bus", "--count", "10", "--spacing-ms", "1", "--duration", "0.1",
                                   "--sizes", "64x48", "--transports", "ipc", "tcp", "shm"])
    #expect(r.status == 0, "\(r.stderr)")
    let rows = r.stdout.split(separator: "\n").filter { $0.hasPrefix("64x48 rgb8 0.0 MB") }
    #expect(rows.count == 8, "\(r.stdout)")
    for (path, n) in [("raw zmq", 2), ("VLMBus", 3), ("ratio", 3)] {
        #expect(rows.filter { $0.contains(path) }.count == n, "\(path)")
    }
    #expect(rows.filter { $0.contains(" shm ") }.count == 2)
    // Fan-out: ipc and shm with 1 and 4 subscribers, every frame delivered to every subscriber or not.
    let fanout = r.stdout.split(separator: "\n").filter { $0.hasPrefix("64x48 rgb8 ") && !$0.hasPrefix("64x48 rgb8 0.0 MB") }
    #expect(fanout.count == 4, "\(r.stdout)")
    #expect(fanout.filter { $0.contains(" shm ") }.count == 2 && fanout.filter { $0.contains("/40") }.count == 2)
    #expect(r.stdout.contains("load average before: "))
    let bad = try VLMNodeBinary.run(["bench", "bus", "--sizes", "64by48"])
    #expect(bad.status != 0 && bad.stderr.contains("64by48"))
}
