import Foundation
import Testing
import TestSupport
@testable import VLMRecord

/// Files must open in the tools people already have: the official Python `mcap` package reads
/// ours, and ours reads a file that package wrote.
@Suite struct InteropTests {
    /// A vlmnode recording (wire messages, frames in their own chunks, zstd for the rest).
    static func writeWireRecording(to path: String) throws -> [(topic: String, type: String, seq: UInt32, log: UInt64, pub: UInt64, data: [UInt8])] {
        let writer = try WireRecordingWriter(path: path)
        var expected: [(String, String, UInt32, UInt64, UInt64, [UInt8])] = []
        for i in 0..<40 {
            let stamp = UInt64(1_700_000_000_000_000_000) + UInt64(i) * 33_000_000
            let isFrame = i % 2 == 0
            let type = isFrame ? "vlm/Frame" : "vlm/Detections"
            let topic = isFrame ? "/camera/image" : "/detections"
            let header = Array(#"{"v":1,"type":"\#(type)","seq":\#(i),"stamp_ns":\#(stamp)}"#.utf8)
            let blob = isFrame ? [UInt8](repeating: UInt8(i), count: i % 4 == 0 ? 700_000 : 300) : []
            let parts: [any MCAPPayload] = isFrame ? [header, blob] : [header]
            try writer.write(topic: topic, parts: parts, receiveTime: stamp + 2_000_000)
            let data = WireEncoding.prefix(partSizes: parts.map(\.payloadCount)) + header + blob
            expected.append((topic, type, UInt32(i), stamp + 2_000_000, stamp, data))
        }
        try writer.finish()
        return expected.map { (topic: $0.0, type: $0.1, seq: $0.2, log: $0.3, pub: $0.4, data: $0.5) }
    }

    @Test(.enabled(if: pythonHasMCAP, "python3 with the `mcap` package is missing: run Scripts/setup.sh"))
    func officialPythonReaderReadsEveryMessageInOrder() throws {
        let dir = try makeTemporaryDirectory()
        let path = dir.appendingPathComponent("vlm.mcap").path
        let expected = try Self.writeWireRecording(to: path)
        let script = """
            import sys, zlib
            from mcap.reader import make_reader
            from mcap.stream_reader import StreamReader
            for _ in StreamReader(open(sys.argv[1], "rb"), validate_crcs=True).records:
                pass
            reader = make_reader(open(sys.argv[1], "rb"), validate_crcs=True)
            s = reader.get_summary()
            print("summary", s.statistics.message_count, len(s.chunk_indexes), reader.get_header().profile)
            for schema, channel, m in reader.iter_messages(log_time_order=True):
                print(channel.topic, schema.name, channel.message_encoding, m.sequence, m.log_time, m.publish_time, len(m.data), zlib.crc32(m.data))
            """
        let result = try runProcess(pythonURL!, ["-c", script, path])
        #expect(result.status == 0, "python mcap reader failed: \(result.stderr)")
        var lines = result.stdout.split(separator: "\n").map(String.init)
        let summary = lines.removeFirst().split(separator: " ")
        #expect(summary[1] == "40" && summary[3] == "x-vlmnode")
        let want = expected.map { "\($0.topic) \($0.type) x-vlmnode-multipart \($0.seq) \($0.log) \($0.pub) \($0.data.count) \(CRC32.checksum($0.data))" }
        #expect(lines == want)
    }

    @Test func readsFileWrittenByPythonWriter() throws {
        let path = Fixtures.url("mcap/python_writer.mcap").path
        let reader = try MCAPReader(path: path)
        #expect(reader.usedSummary && reader.damage == nil)
        #expect(reader.library == "python mcap fixture")
        #expect(reader.topics == ["/camera/image", "/detections"])
        #expect(reader.chunkIndexes.count > 1)
        try reader.verify()
        var frames = 0, detections = 0
        var lastLog: UInt64 = 0
        let it = try reader.messages()
        while let m = try it.nextMessage() {
            #expect(m.logTime >= lastLog)
            lastLog = m.logTime
            let parts = try WireEncoding.parts(of: m.data)
            let fields = WireEncoding.headerFields(parts[0])
            #expect(fields.type == m.schema?.name)
            #expect(fields.stampNs == m.publishTime)
            if m.channel.topic == "/camera/image" {
                let i = Int(fields.seq!)
                #expect(Array(parts[1]) == (0..<8).map { UInt8((i + $0) % 256) })
                frames += 1
            } else {
                detections += 1
            }
        }
        #expect(frames == 30 && detections == 10)
    }

    @Test(.enabled(if: pythonHasMCAP, "python3 with the `mcap` package is missing: run Scripts/setup.sh"))
    func committedFixtureMatchesItsScript() throws {
        let out = try makeTemporaryDirectory().appendingPathComponent("py.mcap").path
        let script = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Scripts/fixtures/mcap_python_writer.py").path
        let result = try runProcess(pythonURL!, [script, out])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == Data(contentsOf: Fixtures.url("mcap/python_writer.mcap")))
    }
}

/// The official reader on the other layouts: lz4 chunks (frames too) and unchunked messages.
@Suite struct PythonLayoutTests {
    @Test(.enabled(if: pythonHasMCAP, "python3 with the `mcap` package is missing: run Scripts/setup.sh"),
          arguments: [2, 4])
    func officialReaderReadsLayout(layout: Int) throws {
        let (name, options) = RoundTripTests.layouts[layout]
        let path = try makeTemporaryDirectory().appendingPathComponent("\(name).mcap").path
        try writeSample(sampleMessages(count: 80, largeEvery: 20), options: options, to: path)
        let script = """
            import sys, zlib
            from mcap.reader import make_reader
            from mcap.stream_reader import StreamReader
            for _ in StreamReader(open(sys.argv[1], "rb"), validate_crcs=True).records:
                pass
            for schema, channel, m in make_reader(open(sys.argv[1], "rb"), validate_crcs=True).iter_messages(log_time_order=True):
                print(channel.topic, m.sequence, m.log_time, m.publish_time, zlib.crc32(m.data))
            """
        let result = try runProcess(pythonURL!, ["-c", script, path])
        #expect(result.status == 0, "python mcap reader failed on \(name): \(result.stderr)")
        let want = logTimeOrder(sampleMessages(count: 80, largeEvery: 20)).map {
            "\($0.topic) \($0.sequence) \($0.logTime) \($0.publishTime) \(CRC32.checksum($0.data))"
        }
        #expect(result.stdout.split(separator: "\n").map(String.init) == want, "layout \(name)")
    }
}
