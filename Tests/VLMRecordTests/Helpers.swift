import Foundation
import TestSupport
@testable import VLMRecord

/// A message as the tests write and expect it back.
struct SampleMessage: Equatable {
    var topic: String
    var sequence: UInt32
    var logTime: UInt64
    var publishTime: UInt64
    var data: [UInt8]
}

/// Deterministic sample data: small messages on two topics plus large ones on a third.
func sampleMessages(count: Int = 200, largeEvery: Int = 25, largeSize: Int = 600_000) -> [SampleMessage] {
    var out: [SampleMessage] = []
    for i in 0..<count {
        let t = 1_000_000_000 + UInt64(i) * 10_000_000
        let topic = i % 2 == 0 ? "/a" : "/b"
        let data = (0..<(10 + i % 50)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ i) }
        out.append(SampleMessage(topic: topic, sequence: UInt32(i), logTime: t, publishTime: t - 500, data: data))
        if largeEvery > 0 && i % largeEvery == 0 {
            var big = [UInt8](repeating: UInt8(truncatingIfNeeded: i), count: largeSize)
            big.withUnsafeMutableBufferPointer { b in
                var k = 0
                while k < b.count { b[k] = UInt8(truncatingIfNeeded: k &+ i); k += 4093 }
            }
            out.append(SampleMessage(topic: "/big", sequence: UInt32(i), logTime: t + 1, publishTime: t, data: big))
        }
    }
    return out
}

/// Writes `messages` with `options` and returns the path.
@discardableResult
func writeSample(_ messages: [SampleMessage], options: MCAPWriterOptions, to path: String) throws -> String {
    let writer = try MCAPWriter(path: path, options: options)
    var channelIDs: [String: UInt16] = [:]
    for m in messages {
        let id: UInt16
        if let known = channelIDs[m.topic] {
            id = known
        } else {
            let schema = try writer.addSchema(name: "test/Type", encoding: "", data: [])
            id = try writer.addChannel(topic: m.topic, messageEncoding: "x-test", schemaID: schema, metadata: ["k": "v"])
            channelIDs[m.topic] = id
        }
        try writer.addMessage(channelID: id, sequence: m.sequence, logTime: m.logTime, publishTime: m.publishTime, data: m.data)
    }
    try writer.finish()
    return path
}

/// Reads every message back (log-time order) as `SampleMessage`s.
func readAll(_ path: String, topics: Set<String>? = nil) throws -> [SampleMessage] {
    let reader = try MCAPReader(path: path)
    var out: [SampleMessage] = []
    let it = try reader.messages(topics: topics)
    while let m = try it.nextMessage() {
        out.append(SampleMessage(topic: m.channel.topic, sequence: m.sequence, logTime: m.logTime,
                                 publishTime: m.publishTime, data: m.bytes))
    }
    return out
}

/// Sorted the way the reader streams: by log time, ties in write order.
func logTimeOrder(_ messages: [SampleMessage]) -> [SampleMessage] {
    messages.enumerated().sorted { ($0.element.logTime, $0.offset) < ($1.element.logTime, $1.offset) }.map(\.element)
}

/// True when `python3` can import the official `mcap` package (installed by Scripts/setup.sh).
let pythonHasMCAP: Bool = {
    guard let python = pythonURL else { return false }
    return (try? runProcess(python, ["-c", "import mcap"]))?.status == 0
}()

let pythonURL: URL? = {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
        let url = URL(fileURLWithPath: String(dir)).appendingPathComponent("python3")
        if FileManager.default.isExecutableFile(atPath: url.path) { return url }
    }
    return nil
}()

/// Flips one byte of a file in place.
func corrupt(_ path: String, at offset: Int) throws {
    var data = try Data(contentsOf: URL(fileURLWithPath: path))
    data[offset] ^= 0xFF
    try data.write(to: URL(fileURLWithPath: path))
}

