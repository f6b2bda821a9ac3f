import CFFmpeg
import Foundation

/// Pixel layouts a `FrameSource` produces; names follow the wire protocol (`vlm/Frame.encoding`).
public enum FrameEncoding: String, CaseIterable, Sendable {
    case rgb8, bgr8, gray8

    /// Bytes per pixel.
    public var channels: Int { self == .gray8 ? 1 : 3 }

    var avFormat: AVPixelFormat {
        switch self {
        case .rgb8: return AV_PIX_FMT_RGB24
        case .bgr8: return AV_PIX_FMT_BGR24
        case .gray8: return AV_PIX_FMT_GRAY8
        }
    }
}

/// A `WIDTHxHEIGHT` size such as `640x480`; parsing rejects zero, negative and huge sizes.
public struct FrameSize: Equatable, Sendable, CustomStringConvertible {
    public let width: Int
    public let height: Int

    public init?(width: Int, height: Int) {
        guard (1...16384).contains(width), (1...16384).contains(height) else { return nil }
        self.width = width
        self.height = height
    }

    /// Parses `640x480` (also `640X480`); nil for anything else.
    public init?(_ text: String) {
        let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]) else { return nil }
        self.init(width: w, height: h)
    }

    public var description: String { "\(width)x\(height)" }
}

/// A malloc'd pixel buffer with a single owner: freed on drop unless `release()` hands it on.
///
/// The bus takes a malloc'd pointer + count and frees it with `free()` after sending, so a frame
/// travels from swscale to the socket without a copy.
public struct PixelBuffer: ~Copyable {
    public let baseAddress: UnsafeMutableRawPointer
    public let count: Int

    init(count: Int) {
        guard let memory = malloc(count) else { fatalError("malloc(\(count)): out of memory") }
        self.baseAddress = memory
        self.count = count
    }

    deinit { free(baseAddress) }

    /// Gives up ownership: the caller must `free()` the returned pointer (or pass it to the bus).
    public consuming func release() -> UnsafeMutableRawPointer {
        let pointer = baseAddress
        discard self
        return pointer
    }

    /// Read access to the bytes.
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: baseAddress, count: count))
    }

    /// A copy of the bytes (for tests and tools; the hot path uses `release()`).
    public var data: Data { Data(bytes: baseAddress, count: count) }
}

/// Everything about a frame except its pixels (what a `vlm/Frame` header carries).
public struct VideoFrameInfo: Sendable, Equatable {
    /// 0-based index of the frame among those this source emitted (the bus `seq`).
    public let index: Int
    /// Presentation time in seconds from the stream's time base (continues across `loop` passes;
    /// with `fps` set, the output slot's time).
    public let pts: Double
    /// Capture stamp, nanoseconds since the Unix epoch: for files the wall clock at the first
    /// frame plus the pts offset, for live sources the time the frame was received.
    public let stampNanoseconds: UInt64
    public let width: Int
    public let height: Int
    public let encoding: FrameEncoding
    /// Bytes per row (`width * channels`, rows are packed).
    public let step: Int
}

/// A decoded, converted frame: `info` plus a pixel buffer that can be handed on without a copy.
public struct VideoFrame: ~Copyable {
    public let info: VideoFrameInfo
    public var pixels: PixelBuffer

    /// Splits the frame so the pixels can be moved into the bus.
    public consuming func takePixels() -> PixelBuffer { pixels }
}
