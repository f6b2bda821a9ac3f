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
