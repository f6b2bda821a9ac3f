import Foundation

/// Ceilings for reading MCAP files from others: a chunk declares its uncompressed size, and a
/// small zstd chunk can honestly expand to gigabytes (a decompression bomb). docs/security.md
/// lists the defaults; each can be raised with the environment variable named.
public struct MCAPReadLimits: Sendable, Equatable {
    /// Largest uncompressed chunk, whatever its compressed size. `VLM_MCAP_MAX_CHUNK_BYTES`,
    /// default 1 GiB (a chunk holds at least one message: an 8K RGBA frame is 127 MiB).
    public var maxChunkBytes: UInt64
    /// Largest expansion of a compressed chunk beyond `ratioFloorBytes`: its uncompressed size may
    /// be at most this many times its compressed size. `VLM_MCAP_MAX_RATIO`, default 1024.
    public var maxRatio: UInt64
    /// Any chunk may expand to this size whatever its ratio (black frames compress extremely
    /// well). `VLM_MCAP_RATIO_FLOOR_BYTES`, default 64 MiB.
    public var ratioFloorBytes: UInt64

    public static let defaults = MCAPReadLimits(maxChunkBytes: 1 << 30, maxRatio: 1024, ratioFloorBytes: 64 << 20)
    public static let current = MCAPReadLimits(environment: ProcessInfo.processInfo.environment)

    public init(maxChunkBytes: UInt64, maxRatio: UInt64, ratioFloorBytes: UInt64) {
        self.maxChunkBytes = maxChunkBytes
        self.maxRatio = maxRatio
        self.ratioFloorBytes = ratioFloorBytes
    }

    public init(environment: [String: String]) {
        self = .defaults
        func value(_ name: String) -> UInt64? { environment[name].flatMap { UInt64($0) }.flatMap { $0 > 0 ? $0 : nil } }
        if let v = value("VLM_MCAP_MAX_CHUNK_BYTES") { maxChunkBytes = v }
        if let v = value("VLM_MCAP_MAX_RATIO") { maxRatio = v }
        if let v = value("VLM_MCAP_RATIO_FLOOR_BYTES") { ratioFloorBytes = v }
    }

    /// The most a chunk of `compressedBytes` may declare (uncompressed chunks: their own size).
    func chunkCeiling(compressedBytes: UInt64) -> UInt64 {
        let (relative, overflow) = compressedBytes.multipliedReportingOverflow(by: maxRatio)
        return min(maxChunkBytes, max(ratioFloorBytes, overflow ? .max : relative))
    }
}

extension MCAPReader {
    /// Why a chunk index's sizes cannot be true (nil when they can): it lies past the end of the
    /// file, stores more than its record holds, or expands beyond the limits. Sizes from the file
    /// are checked like this before anything sums or allocates by them.
    func chunkSizeProblem(_ c: MCAPChunkIndex) -> String? {
        let (end, overflow) = c.chunkStartOffset.addingReportingOverflow(c.chunkLength)
        if overflow || end > fileSize {
            return "chunk at byte \(c.chunkStartOffset) of \(c.chunkLength) bytes runs past the end of the file (\(fileSize) bytes)"
        }
        if c.compressedSize > c.chunkLength {
            return "chunk at byte \(c.chunkStartOffset) claims \(c.compressedSize) stored bytes in a \(c.chunkLength)-byte record"
        }
        let ceiling = c.compression.isEmpty ? c.compressedSize : limits.chunkCeiling(compressedBytes: c.compressedSize)
        if c.uncompressedSize > ceiling {
            return "chunk at byte \(c.chunkStartOffset) claims \(c.uncompressedSize) uncompressed bytes from \(c.compressedSize) stored (limit \(ceiling))"
        }
        return nil
    }
}
