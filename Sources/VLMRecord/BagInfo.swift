import Foundation

/// What `vlmnode bag info` shows: per-topic counts, types, rates and sizes, and file-level figures.
public struct BagInfo: Sendable {
    public struct Topic: Sendable, Equatable {
        public var topic: String
        public var type: String
        public var messageEncoding: String
        public var count: UInt64 = 0
        /// Bytes of message data (exact when scanned; from the message index otherwise).
        public var bytes: UInt64 = 0
        public var firstLogTime: UInt64 = .max
        public var lastLogTime: UInt64 = 0

        /// Messages per second over the topic's own span (nil with fewer than two messages).
        public var rate: Double? {
            guard count > 1, lastLogTime > firstLogTime else { return nil }
            return Double(count - 1) / (Double(lastLogTime - firstLogTime) / 1e9)
        }
    }

    public var path: String
    public var profile: String
    public var library: String
    public var fileSize: UInt64
    public var messageCount: UInt64 = 0
    public var startTime: UInt64 = 0
    public var endTime: UInt64 = 0
    public var chunkCount = 0
    /// Chunks per compression name (`none` for uncompressed).
    public var chunksByCompression: [String: Int] = [:]
    public var compressedBytes: UInt64 = 0
    public var uncompressedBytes: UInt64 = 0
    public var topics: [Topic] = []
    /// "summary" or "scan" (no usable summary: e.g. the recorder was killed).
    public var source: String
    public var damage: String?

    public var duration: Double { endTime > startTime ? Double(endTime - startTime) / 1e9 : 0 }

    /// Gathers the figures: from the summary and message indexes when present, else by reading
    /// every message (one chunk at a time).
    public init(path: String) throws {
        let reader = try MCAPReader(path: path)
        self.path = path
        profile = reader.profile
        library = reader.library
        fileSize = reader.fileSize
        source = reader.usedSummary ? "summary" : "scan"
        damage = reader.damage?.description
        for c in reader.chunkIndexes {
            chunkCount += 1
            chunksByCompression[c.compression.isEmpty ? "none" : c.compression, default: 0] += 1
            // Sizes come from the file; wrapping (as the -Ounchecked build did silently) rather
            // than trapping now that VLMRecord is built with checks. Found by Fuzz/ (mcap).
            compressedBytes &+= c.compressedSize
            uncompressedBytes &+= c.uncompressedSize
        }
        var byChannel: [UInt16: Topic] = [:]
        func topic(_ id: UInt16) -> Topic {
            let channel = reader.channels[id]
            return Topic(topic: channel?.topic ?? "channel \(id)",
                         type: channel.flatMap { reader.schemas[$0.schemaID]?.name } ?? "",
                         messageEncoding: channel?.messageEncoding ?? "")
        }
        let indexed = reader.usedSummary && !reader.chunkIndexes.isEmpty
            && reader.chunkIndexes.allSatisfy { !$0.messageIndexOffsets.isEmpty }
        if indexed {
            try reader.forEachIndexedMessage { channelID, logTime, size in
                var t = byChannel[channelID] ?? topic(channelID)
                t.count += 1
                t.bytes &+= UInt64(size)  // sizes from the file: wrap as before, never trap
                t.firstLogTime = min(t.firstLogTime, logTime)
                t.lastLogTime = max(t.lastLogTime, logTime)
                byChannel[channelID] = t
            }
        } else {
            let it = try reader.messages()
            while let m = try it.nextMessage() {
                var t = byChannel[m.channel.id] ?? topic(m.channel.id)
                t.count += 1
                t.bytes += UInt64(m.data.count)
                t.firstLogTime = min(t.firstLogTime, m.logTime)
                t.lastLogTime = max(t.lastLogTime, m.logTime)
                byChannel[m.channel.id] = t
            }
        }
        for id in reader.channels.keys where byChannel[id] == nil { byChannel[id] = topic(id) }
        topics = byChannel.values.sorted { ($0.topic, $0.type) < ($1.topic, $1.type) }
        messageCount = topics.reduce(0) { $0 + $1.count }
        startTime = topics.filter { $0.count > 0 }.map(\.firstLogTime).min() ?? 0
        endTime = topics.map(\.lastLogTime).max() ?? 0
    }

    /// The human-readable report.
    public func render() -> String {
        var lines: [String] = []
        lines.append("file:        \(path)")
        lines.append("size:        \(Self.formatBytes(fileSize))")
        lines.append("library:     \(library.isEmpty ? "-" : library)   profile: \(profile.isEmpty ? "-" : profile)")
        lines.append("messages:    \(messageCount)")
        lines.append(String(format: "duration:    %.3f s", duration)
                     + (messageCount > 0 ? "   (\(Self.time(startTime)) to \(Self.time(endTime)))" : ""))
        let compression = chunksByCompression.keys.sorted().map { "\($0): \(chunksByCompression[$0]!)" }.joined(separator: ", ")
        lines.append("chunks:      \(chunkCount)" + (chunkCount > 0
            ? "   (\(compression); \(Self.formatBytes(compressedBytes)) stored, \(Self.formatBytes(uncompressedBytes)) uncompressed)" : ""))
        lines.append("index:       \(source == "summary" ? "summary section" : "none usable: read by linear scan")")
        if let damage { lines.append("damage:      \(damage)") }
        lines.append("topics:")
        let width = max(topics.map(\.topic.count).max() ?? 0, 5)
        let typeWidth = max(topics.map(\.type.count).max() ?? 0, 4)
        for t in topics {
            let rate = t.rate.map { String(format: "%9.2f Hz", $0) } ?? "        - Hz"
            lines.append("  " + t.topic.padding(toLength: width, withPad: " ", startingAt: 0)
                         + "  " + t.type.padding(toLength: typeWidth, withPad: " ", startingAt: 0)
                         + String(format: "  %8llu msgs", t.count) + "  " + rate
                         + "  " + Self.formatBytes(t.bytes).leftPad(10) + "  " + t.messageEncoding)
        }
        return lines.joined(separator: "\n")
    }

    /// `1.5 MiB`-style sizes.
    public static func formatBytes(_ n: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = Double(n), u = 0
        while v >= 1024 && u < units.count - 1 { v /= 1024; u += 1 }
        return u == 0 ? "\(n) B" : String(format: "%.1f %@", v, units[u])
    }

    static func time(_ ns: UInt64) -> String {
        let date = Date(timeIntervalSince1970: Double(ns) / 1e9)
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: date)
    }
}

extension String {
    func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}

extension MCAPReader {
    /// Walks the Message Index records after every chunk: (channel, log time, record size) per
    /// message, without decompressing any chunk. A message's size is the distance to the next
    /// indexed record in its chunk, less the 31-byte Message record header.
    func forEachIndexedMessage(_ body: (UInt16, UInt64, Int) -> Void) throws {
        for c in chunkIndexes {
            // Offsets from the file: an overflowing sum is just a read outside it (an error).
            let start = c.chunkStartOffset &+ c.chunkLength
            let block = try input.read(at: start, count: Int(clamping: c.messageIndexLength), what: "message index")
            var d = ByteDecoder(block.bytes, base: start, path: path)
            var entries: [(offset: UInt64, channel: UInt16, logTime: UInt64)] = []
            while d.remaining > 0 {
                let op = try d.u8(), length = try d.length("message index length")
                var r = ByteDecoder(try d.view(length, "message index"), base: d.fileOffset - UInt64(length), path: path)
                guard op == MCAPOpcode.messageIndex.rawValue else { continue }
                let channel = try r.u16()
                let n = Int(try r.u32("message index entries")) / 16
                for _ in 0..<n {
                    let t = try r.u64()
                    entries.append((try r.u64(), channel, t))
                }
            }
            entries.sort { $0.offset < $1.offset }
            for (i, e) in entries.enumerated() {
                let next = i + 1 < entries.count ? entries[i + 1].offset : c.uncompressedSize
                body(e.channel, e.logTime, next > e.offset ? max(Int(clamping: next - e.offset) - 31, 0) : 0)
            }
        }
    }
}
