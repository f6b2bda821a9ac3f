import Foundation

/// The header of every bus message (wire protocol v1, docs/protocol.md): the standard fields plus
/// the fields its message type defines (`width`, `detections`, …) in `fields`.
public struct MessageHeader: Sendable, Equatable {
    /// The wire protocol version this library writes and accepts.
    public static let protocolVersion: Int64 = 1
    /// Keys owned by the envelope; `fields` never overrides them.
    public static let standardKeys: Set<String> = ["v", "type", "seq", "stamp_ns", "source_seq", "source_stamp_ns", "blobs"]

    /// Message type, e.g. `vlm/Frame`.
    public var type: String
    /// Per-topic sequence number set by the publisher; gaps mean lost messages.
    public var seq: UInt64
    /// Capture/source time, nanoseconds since the Unix epoch (CLOCK_REALTIME).
    public var stampNs: Int64
    /// For derived results: the `seq` of the frame they were computed from.
    public var sourceSeq: UInt64?
    /// For derived results: the `stamp_ns` of the frame they were computed from.
    public var sourceStampNs: Int64?
    /// Byte count of each blob part. Written by the encoder; checked on receipt when present.
    public var blobSizes: [Int]?
    /// Type-specific fields.
    public var fields: [String: JSONValue]

    public init(type: String, seq: UInt64, stampNs: Int64 = BusClock.nowNs(), sourceSeq: UInt64? = nil,
                sourceStampNs: Int64? = nil, fields: [String: JSONValue] = [:]) {
        self.type = type
        self.seq = seq
        self.stampNs = stampNs
        self.sourceSeq = sourceSeq
        self.sourceStampNs = sourceStampNs
        self.blobSizes = nil
        self.fields = fields
    }

    /// Compact JSON: standard fields first (in protocol order), then `fields` sorted by key.
    public var jsonText: String {
        var pairs: [(key: String, value: JSONValue)] = [
            ("v", .int(Self.protocolVersion)), ("type", .string(type)),
            ("seq", .int(Int64(truncatingIfNeeded: seq))), ("stamp_ns", .int(stampNs)),
        ]
        if let sourceSeq { pairs.append(("source_seq", .int(Int64(truncatingIfNeeded: sourceSeq)))) }
        if let sourceStampNs { pairs.append(("source_stamp_ns", .int(sourceStampNs))) }
        if let blobSizes { pairs.append(("blobs", .array(blobSizes.map { .int(Int64($0)) }))) }
        for (k, v) in fields.sorted(by: { $0.key < $1.key }) where !Self.standardKeys.contains(k) {
            pairs.append((k, v))
        }
        var out = ""
        out.reserveCapacity(128)
        JSONValue.writeObject(pairs, to: &out)
        return out
    }

    /// Parses and validates a header's JSON text.
    public init(json bytes: UnsafeRawBufferPointer) throws(EnvelopeError) {
        let object: [String: JSONValue]
        do { object = try JSONValue.parseObject(bytes) } catch {
            throw .badJSON(String(decoding: bytes.prefix(80), as: UTF8.self))
        }
        try self.init(object: object)
    }

    /// Validates a parsed header object.
    public init(object: [String: JSONValue]) throws(EnvelopeError) {
        guard let v = object["v"] else { throw .missingField("v") }
        guard let version = v.intValue else { throw .badField("v", "not an integer") }
        guard version == Self.protocolVersion else { throw .unsupportedVersion(version) }
        guard let typeValue = object["type"] else { throw .missingField("type") }
        guard let type = typeValue.stringValue, !type.isEmpty else { throw .badField("type", "not a non-empty string") }
        self.type = type
        self.seq = try Self.unsigned(object, "seq", required: true)!
        guard let stamp = object["stamp_ns"] else { throw .missingField("stamp_ns") }
        guard let stampNs = stamp.intValue else { throw .badField("stamp_ns", "not an integer") }
        self.stampNs = stampNs
        self.sourceSeq = try Self.unsigned(object, "source_seq", required: false)
        if let s = object["source_stamp_ns"] {
            guard let i = s.intValue else { throw .badField("source_stamp_ns", "not an integer") }
            sourceStampNs = i
        } else {
            sourceStampNs = nil
        }
        if let b = object["blobs"] {
            guard let items = b.arrayValue else { throw .badField("blobs", "not an array") }
            var sizes: [Int] = []
            for item in items {
                guard let n = item.intValue, n >= 0 else { throw .badField("blobs", "not a list of byte counts") }
                sizes.append(Int(n))
            }
            blobSizes = sizes
        } else {
            blobSizes = nil
        }
        fields = object.filter { !Self.standardKeys.contains($0.key) }
    }

    private static func unsigned(_ object: [String: JSONValue], _ key: String, required: Bool) throws(EnvelopeError) -> UInt64? {
        guard let value = object[key] else {
            if required { throw .missingField(key) }
            return nil
        }
        guard let i = value.intValue, i >= 0 else { throw .badField(key, "not a non-negative integer") }
        return UInt64(i)
    }
}

/// Wall-clock nanoseconds, the time base of `stamp_ns` (comparable across processes on a host).
public enum BusClock {
    public static func nowNs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// Monotonic nanoseconds, for measuring intervals inside one process.
    public static func monotonicNs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}
