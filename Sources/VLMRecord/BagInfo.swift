import Foundation
import VLMMessages

/// What `vlmnode bag info` shows: per-topic counts, types, rates and sizes, and file-level figures.
public struct BagInfo: Sendable {
    public struct Topic: Sendable, Equatable {
        public var topic: String
        public var type: String
        public var messageEncoding: String
        /// The channel's schema name and schema encoding (`foxglove.RawImage`/`protobuf`, …; empty if none).
        public var schema = ""
        public var schemaEncoding = ""
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
    /// Sizes from the file that cannot be true (a chunk beyond the file, an index offset beyond its
    /// chunk), one line each; they are left out of the byte figures, which are then lower bounds.
    public var problems: [String] = []

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
            if let problem = reader.chunkSizeProblem(c) {
                problems.append(problem + "; its sizes are not counted")
                continue
            }
            // Checked, not trapping or wrapping (-Ounchecked): each size is bounded, their sum need not be.
            let (stored, o1) = compressedBytes.addingReportingOverflow(c.compressedSize)
            let (expanded, o2) = uncompressedBytes.addingReportingOverflow(c.uncompressedSize)
            if o1 || o2 {
                problems.append("chunk sizes add up to more than 2^64 bytes at the chunk at byte \(c.chunkStartOffset); not counted")
                continue
            }
            (compressedBytes, uncompressedBytes) = (stored, expanded)
        }
        var byChannel: [UInt16: Topic] = [:]
        func topic(_ id: UInt16) -> Topic {
            let channel = reader.channels[id]
            let schema = channel.flatMap { reader.schemas[$0.schemaID] }
            var t = Topic(topic: channel?.topic ?? "channel \(id)",
                          type: channel?.metadata[RecordedChannel.typeKey] ?? schema?.name ?? "",
                          messageEncoding: channel?.messageEncoding ?? "")
            t.schema = schema?.name ?? ""
            t.schemaEncoding = schema?.encoding ?? ""
            return t
        }
        let indexed = reader.usedSummary && !reader.chunkIndexes.isEmpty
            && reader.chunkIndexes.allSatisfy { !$0.messageIndexOffsets.isEmpty }
        if indexed {
            problems += try reader.forEachIndexedMessage { channelID, logTime, size in
                var t = byChannel[channelID] ?? topic(channelID)
                t.count += 1
                t.bytes = t.bytes.saturatingAdd(UInt64(size))
                t.firstLogTime = min(t.firstLogTime, logTime)
                t.lastLogTime = max(t.lastLogTime, logTime)
                byChannel[channelID] = t
            }
        } else {
            let it = try reader.messages()
            // A chunk that cannot be read ends the count there: what precedes it is still shown.
            do {
                while let m = try it.nextMessage() {
                    var t = byChannel[m.channel.id] ?? topic(m.channel.id)
                    t.count += 1
                    t.bytes = t.bytes.saturatingAdd(UInt64(m.data.count))
                    t.firstLogTime = min(t.firstLogTime, m.logTime)
                    t.lastLogTime = max(t.lastLogTime, m.logTime)
                    byChannel[m.channel.id] = t
                }
            } catch let error as MCAPError {
                let text = error.description
                problems.append("messages counted up to: " + (text.hasPrefix(path + ": ") ? String(text.dropFirst(path.count + 2)) : text))
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
        // Every name below comes from the file: escaped, so a hostile recording cannot drive the terminal.
        let e = TerminalText.escape
        var lines: [String] = []
        lines.append("file:        \(e(path))")
        lines.append("size:        \(Self.formatBytes(fileSize))")
        lines.append("library:     \(library.isEmpty ? "-" : e(library))   profile: \(profile.isEmpty ? "-" : e(profile))")
        lines.append("messages:    \(messageCount)")
        lines.append(String(format: "duration:    %.3f s", duration)
                     + (messageCount > 0 ? "   (\(Self.time(startTime)) to \(Self.time(endTime)))" : ""))
        let compression = chunksByCompression.keys.sorted().map { "\($0): \(chunksByCompression[$0]!)" }.joined(separator: ", ")
        lines.append("chunks:      \(chunkCount)" + (chunkCount > 0
            ? "   (\(compression); \(Self.formatBytes(compressedBytes)) stored, \(Self.formatBytes(uncompressedBytes)) uncompressed)" : ""))
        lines.append("index:       \(source == "summary" ? "summary section" : "none usable: read by linear scan")")
        if let damage { lines.append("damage:      \(e(damage))") }
        for problem in problems.prefix(5) { lines.append("damaged:     \(e(problem))") }
        if problems.count > 5 { lines.append("damaged:     … and \(problems.count - 5) more") }
        lines.append("topics:")
        let width = max(topics.map { e($0.topic).count }.max() ?? 0, 5)
        let typeWidth = max(topics.map { e($0.type).count }.max() ?? 0, 4)
        for t in topics {
            let rate = t.rate.map { String(format: "%9.2f Hz", $0) } ?? "        - Hz"
            lines.append("  " + e(t.topic).padding(toLength: width, withPad: " ", startingAt: 0)
                         + "  " + e(t.type).padding(toLength: typeWidth, withPad: " ", startingAt: 0)
                         + String(format: "  %8llu msgs", t.count) + "  " + rate
                         + "  " + Self.formatBytes(t.bytes).leftPad(10) + "  " + e(t.messageEncoding)
                         + (t.schema.isEmpty || t.schema == t.type ? "" : "  " + e(t.schema))
                         + (t.schemaEncoding.isEmpty ? "" : " (" + e(t.schemaEncoding) + ")"))
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

extension UInt64 {
    /// `self + n`, at most `.max`: the same under -O and -Ounchecked (no trap, no wrap).
    func saturatingAdd(_ n: UInt64) -> UInt64 {
        let (sum, overflow) = addingReportingOverflow(n)
        return overflow ? .max : sum
    }
}

extension String {
    func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}

extension MCAPReader {
    /// Walks the Message Index records after every chunk: (channel, log time, record size) per
    /// message, without decompressing any chunk. A message's size is the distance to the next
    /// indexed record in its chunk, less the 31-byte Message record header. Returns what does not
    /// add up, one line each: offsets past their chunk's end count their messages with size 0.
    func forEachIndexedMessage(_ body: (UInt16, UInt64, Int) -> Void) throws -> [String] {
        var problems: [String] = []
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
            // The chunk's end bounds every size; a chunk whose own sizes are impossible (reported
            // by chunkSizeProblem) has no usable end.
            let end = chunkSizeProblem(c) == nil ? c.uncompressedSize : 0
            let beyond = entries.filter { $0.offset >= end }.count
            if beyond > 0 && end > 0 {
                problems.append("chunk at byte \(c.chunkStartOffset): \(beyond) message index offset(s) beyond its \(end) uncompressed bytes (sizes taken as 0)")
            }
            for (i, e) in entries.enumerated() {
                let next = min(i + 1 < entries.count ? entries[i + 1].offset : end, end)
                let size = next > e.offset ? next - e.offset : 0
                body(e.channel, e.logTime, Int(clamping: size > 31 ? size - 31 : 0))
            }
        }
        return problems
    }
}
