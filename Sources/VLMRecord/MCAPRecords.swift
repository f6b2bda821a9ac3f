// Record types of the MCAP format (specification: github.com/foxglove/mcap, docs/specification).

/// The eight bytes that open and close every MCAP file (major version "0").
public let mcapMagic: [UInt8] = [0x89, 0x4D, 0x43, 0x41, 0x50, 0x30, 0x0D, 0x0A]

/// Record opcodes (one byte before every record's uint64 length).
public enum MCAPOpcode: UInt8, Sendable {
    case header = 0x01, footer = 0x02, schema = 0x03, channel = 0x04, message = 0x05
    case chunk = 0x06, messageIndex = 0x07, chunkIndex = 0x08, attachment = 0x09
    case attachmentIndex = 0x0A, statistics = 0x0B, metadata = 0x0C, metadataIndex = 0x0D
    case summaryOffset = 0x0E, dataEnd = 0x0F
}

/// Chunk compression: the names MCAP uses in Chunk records.
public enum MCAPCompression: String, Sendable, CaseIterable {
    case none = ""
    case zstd = "zstd"
    case lz4 = "lz4"

    /// The name as users type it (`none` for the empty string).
    public var displayName: String { self == .none ? "none" : rawValue }

    /// Parses `none`, `zstd` or `lz4`.
    public init?(displayName: String) {
        switch displayName {
        case "none", "": self = .none
        case "zstd": self = .zstd
        case "lz4": self = .lz4
        default: return nil
        }
    }
}

/// A Schema record: how messages of a channel are described.
public struct MCAPSchema: Sendable, Equatable {
    public var id: UInt16
    public var name: String
    public var encoding: String
    public var data: [UInt8]

    public init(id: UInt16, name: String, encoding: String, data: [UInt8]) {
        self.id = id; self.name = name; self.encoding = encoding; self.data = data
    }
}

/// A Channel record: one stream of messages on a topic.
public struct MCAPChannel: Sendable, Equatable {
    public var id: UInt16
    public var schemaID: UInt16
    public var topic: String
    public var messageEncoding: String
    public var metadata: [String: String]

    public init(id: UInt16, schemaID: UInt16, topic: String, messageEncoding: String,
                metadata: [String: String] = [:]) {
        self.id = id; self.schemaID = schemaID; self.topic = topic
        self.messageEncoding = messageEncoding; self.metadata = metadata
    }
}

/// A Chunk Index record (summary section): where a chunk is and what it holds.
public struct MCAPChunkIndex: Sendable, Equatable {
    public var messageStartTime: UInt64
    public var messageEndTime: UInt64
    public var chunkStartOffset: UInt64
    public var chunkLength: UInt64
    public var messageIndexOffsets: [UInt16: UInt64]
    public var messageIndexLength: UInt64
    public var compression: String
    public var compressedSize: UInt64
    public var uncompressedSize: UInt64
}

/// The Statistics record.
public struct MCAPStatistics: Sendable, Equatable {
    public var messageCount: UInt64 = 0
    public var schemaCount: UInt16 = 0
    public var channelCount: UInt32 = 0
    public var attachmentCount: UInt32 = 0
    public var metadataCount: UInt32 = 0
    public var chunkCount: UInt32 = 0
    public var messageStartTime: UInt64 = 0
    public var messageEndTime: UInt64 = 0
    public var channelMessageCounts: [UInt16: UInt64] = [:]

    public init() {}
}

/// One message as read back: its channel, times and payload (a view into the chunk, not a copy).
public struct MCAPMessage: @unchecked Sendable {
    public let channel: MCAPChannel
    public let schema: MCAPSchema?
    public let sequence: UInt32
    /// Nanoseconds: when the message was recorded.
    public let logTime: UInt64
    /// Nanoseconds: when the message was published (the source stamp).
    public let publishTime: UInt64
    public let data: UnsafeRawBufferPointer
    /// Keeps the chunk buffer behind `data` alive as long as this message is.
    let owner: AnyObject?

    /// The payload copied into an array (tests, small messages).
    public var bytes: [UInt8] { Array(data) }
}
