import Foundation
import Testing
import TestSupport
import VLMBus
import VLMMessages
import VLMRecord

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
    // An empty runtime directory of its own: a launch running elsewhere on the machine (another
    // test, another user's graph) would otherwise make `/x` resolvable through its graph file.
    let runtime = try makeTemporaryDirectory("topic-cli-runtime")
    var env = ProcessInfo.processInfo.environment
    env["VLMNODE_RUNTIME_DIR"] = runtime.path
    let noConnect = try VLMNodeBinary.run(["topic", "echo", "/x"], environment: env)
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

/// Wire text with terminal escapes (a topic, a type, a field) is printed escaped by `topic echo`
/// (still valid JSON that decodes to the same text), `topic list` and `bag info`.
@Test func hostileTopicAndHeaderArePrintedEscaped() throws {
    let topic = "/evil\u{1b}[2J"
    let type = "x/\u{1b}]0;pwned\u{7}"
    let note = "\u{9b}31m\u{7f} red\nforged"
    func noControls(_ text: String) -> Bool {
        !text.unicodeScalars.contains { $0 != "\n" && TerminalText.isControl($0) }
    }
    let dir = try makeTemporaryDirectory("topic-hostile")
    defer { try? FileManager.default.removeItem(at: dir) }
    let pub = try Publisher(bind: "ipc://\(dir.path)/p.sock")
    let endpoint = pub.endpoint
    nonisolated(unsafe) var results: [ProcessResult] = []
    let done = DispatchSemaphore(value: 0)
    Thread {
        results = [
            (try? VLMNodeBinary.run(["topic", "echo", topic, "--connect", endpoint, "--count", "1"], timeout: 60)),
            (try? VLMNodeBinary.run(["topic", "list", "--connect", endpoint, "--duration", "1.5", "--verbose"], timeout: 60)),
        ].compactMap { $0 }
        done.signal()
    }.start()
    var seq: UInt64 = 0
    while done.wait(timeout: .now() + .milliseconds(20)) == .timedOut {
        try pub.publish(topic: topic, header: MessageHeader(type: type, seq: seq, fields: ["note": .string(note)]))
        seq += 1
    }
    try #require(results.count == 2)
    let (echo, list) = (results[0], results[1])
    #expect(echo.status == 0 && list.status == 0, "\(echo.stderr) \(list.stderr)")
    #expect(noControls(echo.stdout) && noControls(list.stdout), "raw control characters: \(echo.stdout.debugDescription) \(list.stdout.debugDescription)")
    let line = try #require(echo.stdout.split(separator: "\n").first)
    let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    #expect(object["type"] as? String == type && object["note"] as? String == note)
    #expect(list.stdout.contains("/evil\\u{1b}[2J") && list.stdout.contains("x/\\u{1b}]0;pwned\\u{7}"), "\(list.stdout)")

    // A recording with the same names: bag info prints them escaped too.
    var options = RecordOptions(path: dir.appendingPathComponent("evil.mcap").path)
    options.format = .native
    let recorder = try Recorder(options: options)
    try recorder.record(topic: topic, parts: [Array(MessageHeader(type: type, seq: 0, stampNs: 1).jsonText.utf8)], receiveTime: 1)
    try recorder.finish()
    let info = try VLMNodeBinary.run(["bag", "info", try #require(recorder.files.first)])
    #expect(info.status == 0, "\(info.stderr)")
    #expect(noControls(info.stdout) && info.stdout.contains("/evil\\u{1b}[2J"), "\(info.stdout.debugDescription)")
}
