import Foundation

/// Options of `vlmnode record`.
public struct RecordOptions: Sendable {
    /// Output path; with `maxSize` the files are `NAME_0.mcap`, `NAME_1.mcap`, …
    public var path: String
    /// Start a new file before one would exceed this many bytes (nil: one file).
    public var maxSize: UInt64?
    public var writer = MCAPWriterOptions()
    /// Write the open chunk when it has waited this long (bounds what a crash loses).
    public var idleFlushNs: UInt64 = 500_000_000
    /// Foxglove well-known schemas (default) or the old `x-vlmnode-multipart` encoding.
    public var format = RecordFormat.foxglove

    public init(path: String) { self.path = path }
}

/// Records wire messages into one or more MCAP files, with per-topic counts for a progress line.
public final class Recorder {
    public let options: RecordOptions
    private var current: (any RecordingFileWriter)?
    /// Every file started so far.
    public private(set) var files: [String] = []
    public private(set) var counts: [String: UInt64] = [:]
    public private(set) var messageBytes: UInt64 = 0
    /// Bytes in finished files plus the current file so far.
    public var fileBytes: UInt64 { finishedBytes + (current?.writer.bytesWritten ?? 0) }
    private var finishedBytes: UInt64 = 0
    private var lastFlush = Clock.monotonicNs()

    public init(options: RecordOptions) throws {
        self.options = options
        try openNext()
    }

    /// The path of file number `index` (`NAME_index.mcap` when splitting).
    public static func splitPath(_ path: String, index: Int) -> String {
        let url = URL(fileURLWithPath: path)
        let ext = url.pathExtension.isEmpty ? "mcap" : url.pathExtension
        return url.deletingPathExtension().path + "_\(index)." + ext
    }

    private func openNext() throws {
        let path = options.maxSize == nil ? options.path : Self.splitPath(options.path, index: files.count)
        switch options.format {
        case .foxglove: current = try FoxgloveRecordingWriter(path: path, options: options.writer)
        case .native: current = try WireRecordingWriter(path: path, options: options.writer)
        }
        files.append(path)
    }

    /// Records one message (`parts` after the topic), received at wall time `receiveTime` (ns).
    public func record(topic: String, parts: [any MCAPPayload], receiveTime: UInt64) throws {
        let size = UInt64(parts.reduce(0) { $0 + $1.payloadCount })
        if let maxSize = options.maxSize, let w = current?.writer, w.messageCount > 0,
           w.bytesWritten + UInt64(w.pendingBytes) + size + 64 > maxSize {
            try rotate()
        }
        try current!.write(topic: topic, parts: parts, receiveTime: receiveTime)
        counts[topic, default: 0] += 1
        messageBytes += size
    }

    /// Writes the open chunk if it has waited `idleFlushNs`; call it when no message arrived.
    public func tick() throws {
        let now = Clock.monotonicNs()
        if now - lastFlush >= options.idleFlushNs {
            try current?.flushChunk()
            lastFlush = now
        }
    }

    private func rotate() throws {
        if let current {
            try current.finish()
            finishedBytes += current.writer.bytesWritten
        }
        current = nil
        try openNext()
    }

    /// Finishes the current file (summary, footer): it is then complete and indexed.
    public func finish() throws {
        if let current {
            try current.finish()
            finishedBytes += current.writer.bytesWritten
        }
        current = nil
    }

    /// One line: per-topic counts, total messages and bytes.
    public func progressLine(elapsed: Double) -> String {
        let total = counts.values.reduce(0, +)
        let perTopic = counts.keys.sorted().map { "\($0) \(counts[$0]!)" }.joined(separator: ", ")
        return "recording " + String(format: "%.1f", elapsed) + " s: \(total) msgs ("
            + (perTopic.isEmpty ? "none yet" : perTopic) + "), \(BagInfo.formatBytes(messageBytes)) -> \(BagInfo.formatBytes(fileBytes))"
            + (files.count > 1 ? " in \(files.count) files" : "")
    }
}
