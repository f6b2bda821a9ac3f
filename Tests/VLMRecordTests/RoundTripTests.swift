import Foundation
import Testing
import TestSupport
@testable import VLMRecord

@Suite struct RoundTripTests {
    static let layouts: [(String, MCAPWriterOptions)] = {
        var none = MCAPWriterOptions(); none.compression = .none
        var zstd = MCAPWriterOptions(); zstd.compression = .zstd; zstd.chunkSize = 4096
        var lz4 = MCAPWriterOptions(); lz4.compression = .lz4; lz4.largeMessageCompression = .lz4
        var bigZstd = MCAPWriterOptions(); bigZstd.largeMessageCompression = .zstd
        var unchunked = MCAPWriterOptions(); unchunked.useChunks = false
        return [("none", none), ("zstd", zstd), ("lz4", lz4), ("zstd-frames", bigZstd), ("unchunked", unchunked)]
    }()

    @Test(arguments: 0..<5)
    func writesAndReadsBackEveryMessageInOrder(layout: Int) throws {
        let (name, options) = Self.layouts[layout]
        let dir = try makeTemporaryDirectory()
        let path = dir.appendingPathComponent("\(name).mcap").path
        let messages = sampleMessages()
        try writeSample(messages, options: options, to: path)

        let reader = try MCAPReader(path: path)
        #expect(reader.damage == nil)
        #expect(reader.usedSummary == options.useChunks)
        #expect(reader.profile == "x-vlmnode" && reader.library == "vlmnode")
        #expect(reader.topics == ["/a", "/b", "/big"])
        let back = try readAll(path)
        #expect(back == logTimeOrder(messages), "layout \(name)")
        if options.useChunks {
            let stats = try #require(reader.statistics)
            #expect(stats.messageCount == UInt64(messages.count))
            #expect(Int(stats.chunkCount) == reader.chunkIndexes.count)
            #expect(reader.chunkIndexes.allSatisfy { $0.compression == (($0.uncompressedSize > 500_000) ? options.largeMessageCompression : options.compression).rawValue })
        }
    }

    @Test func filtersTopicsAndTimeWindow() throws {
        let path = try makeTemporaryDirectory().appendingPathComponent("f.mcap").path
        let messages = sampleMessages()
        try writeSample(messages, options: MCAPWriterOptions(), to: path)
        #expect(try readAll(path, topics: ["/b"]) == logTimeOrder(messages).filter { $0.topic == "/b" })
        let reader = try MCAPReader(path: path)
        let window = try reader.messages(start: 1_500_000_000, end: 1_600_000_000)
        var times: [UInt64] = []
        while let m = try window.nextMessage() { times.append(m.logTime) }
        #expect(times == logTimeOrder(messages).map(\.logTime).filter { $0 >= 1_500_000_000 && $0 < 1_600_000_000 })
    }

    @Test func crcMatchesZlibAndCombines() {
        let a = Array("The quick brown fox ".utf8), b = Array("jumps over the lazy dog".utf8)
        #expect(CRC32.checksum(a + b) == 0x414F_A339)
        #expect(CRC32.combine(CRC32.checksum(a), CRC32.checksum(b), lengthB: b.count) == CRC32.checksum(a + b))
        let long = (0..<100_003).map { UInt8(truncatingIfNeeded: $0 * 31) }
        #expect(CRC32.combine(CRC32.checksum(Array(long[..<7])), CRC32.checksum(Array(long[7...])), lengthB: long.count - 7)
                == CRC32.checksum(long))
    }

    @Test func wireFramingRoundTrips() throws {
        let header = Array(#"{"v":1,"type":"vlm/Frame","seq":7,"stamp_ns":123}"#.utf8)
        let blob: [UInt8] = [1, 2, 3, 4, 5]
        let data = WireEncoding.prefix(partSizes: [header.count, blob.count]) + header + blob
        let parts = try data.withUnsafeBytes { try WireEncoding.parts(of: $0).map(Array.init) }
        #expect(parts == [header, blob])
        let fields = header.withUnsafeBytes { WireEncoding.headerFields($0) }
        #expect(fields == WireEncoding.HeaderFields(type: "vlm/Frame", seq: 7, stampNs: 123))
        #expect(throws: MCAPError.self) { try Array(data.dropLast()).withUnsafeBytes { try WireEncoding.parts(of: $0) } }
    }
}
