import Foundation
import Testing
import TestSupport
@testable import VLMRecord

/// Files found by fuzzing (Tests/Fixtures/mcap/fuzz, copied from the fuzzer's reproducers): each
/// is refused or flagged with a message, never a huge allocation or a trap.
@Suite struct FuzzReproMCAPTests {
    /// python_writer.mcap with the first chunk's uncompressed size raised to 3221227549 (3 GiB).
    static let oomChunk = Fixtures.url("mcap/fuzz/mcap-oom-chunk-3GB.mcap").path
    /// Its first two chunks with the second's compressed size set to 2^64-1, and a footer whose
    /// summary_start lies past the end (so readers scan the chunk headers).
    static let sizeOverflow = Fixtures.url("mcap/fuzz/mcap-baginfo-overflow.mcap").path

    /// Limits so loose that only the zstd frame header can stop the 3 GiB claim.
    static let trusting = MCAPReadLimits(maxChunkBytes: 1 << 40, maxRatio: 1 << 30, ratioFloorBytes: 1 << 40)

    @Test func aChunkClaimingMoreThanItsZstdFrameIsRefusedBeforeAllocating() throws {
        let reader = try MCAPReader(path: Self.oomChunk)
        reader.limits = Self.trusting
        let before = HostileMCAPTests.residentBytes()
        let it = try reader.messages()
        do {
            while try it.nextMessage() != nil {}
            Issue.record("a chunk claiming 3 GiB was read")
        } catch {
            #expect("\(error)".contains("chunk header says 3221227549 uncompressed bytes, its zstd frame holds 2077"), "\(error)")
        }
        #expect(throws: MCAPError.self) { try reader.verify() }
        let grown = HostileMCAPTests.residentBytes() - before
        #expect(grown < 64 << 20, "RSS grew \(grown >> 20) MiB")
    }

    @Test func theDefaultLimitsRefuseItToo() throws {
        let reader = try MCAPReader(path: Self.oomChunk)
        reader.limits = .defaults
        let it = try reader.messages()
        #expect(throws: MCAPError.self) { while try it.nextMessage() != nil {} }
    }

    @Test func anHonestZstdChunkStillReads() throws {
        let reader = try MCAPReader(path: Fixtures.url("mcap/python_writer.mcap").path)
        reader.limits = Self.trusting
        try reader.verify()
    }
}

/// `bag info` sums sizes from the file: impossible ones are named, not summed (a trap with overflow
/// checks on, a wrapped figure under -Ounchecked).
@Suite struct FuzzReproBagInfoTests {
    @Test func aChunkStoringMoreThanTheFileIsFlaggedNotSummed() throws {
        let info = try BagInfo(path: FuzzReproMCAPTests.sizeOverflow)
        #expect(info.chunkCount == 2)
        // Only the sound first chunk is summed.
        #expect(info.compressedBytes == 562)
        #expect(info.uncompressedBytes == 2077)
        #expect(info.problems.contains { $0.contains("chunk at byte 858 claims 18446744073709551615 stored bytes in a 601-byte record") }, "\(info.problems)")
        // The scan stops at the unreadable chunk; the messages before it are still counted.
        #expect(info.messageCount == 10)
        #expect(info.problems.contains { $0.hasPrefix("messages counted up to: malformed record at byte 911") }, "\(info.problems)")
        #expect(info.render().contains("damaged:     chunk at byte 858 claims"))
    }

    @Test func indexOffsetsBeyondTheirChunkDoNotBecomeSizes() throws {
        // Its summary is sound, but one message index offset is 2^64 - 16776485.
        let info = try BagInfo(path: FuzzReproMCAPTests.oomChunk)
        #expect(info.messageCount == 40)
        #expect(info.topics.allSatisfy { $0.bytes < 8 << 10 }, "\(info.topics.map(\.bytes))")
        #expect(info.problems == ["chunk at byte 858: 1 message index offset(s) beyond its 2201 uncompressed bytes (sizes taken as 0)"])
    }

    @Test func chunkSizesAreCheckedAgainstTheFileAndLimits() throws {
        let reader = try MCAPReader(path: Fixtures.url("mcap/python_writer.mcap").path)
        reader.limits = .defaults
        func index(start: UInt64, length: UInt64, compression: String = "zstd", stored: UInt64, expanded: UInt64) -> MCAPChunkIndex {
            MCAPChunkIndex(messageStartTime: 0, messageEndTime: 0, chunkStartOffset: start, chunkLength: length,
                           messageIndexOffsets: [:], messageIndexLength: 0, compression: compression,
                           compressedSize: stored, uncompressedSize: expanded)
        }
        #expect(reader.chunkIndexes.allSatisfy { reader.chunkSizeProblem($0) == nil })
        // start + length wraps past 2^64: not "within the file".
        #expect(reader.chunkSizeProblem(index(start: .max - 8, length: 100, stored: 10, expanded: 10))?.contains("runs past the end") == true)
        #expect(reader.chunkSizeProblem(index(start: 53, length: 100, stored: 101, expanded: 101))?.contains("stored bytes in a 100-byte record") == true)
        #expect(reader.chunkSizeProblem(index(start: 53, length: 100, compression: "", stored: 80, expanded: 81))?.contains("limit 80") == true)
        #expect(reader.chunkSizeProblem(index(start: 53, length: 100, stored: 80, expanded: (64 << 20) + 1))?.contains("limit 67108864") == true)
        #expect(reader.chunkSizeProblem(index(start: 53, length: 100, stored: 80, expanded: 64 << 20)) == nil)
    }
}
