import CFFmpeg
import Foundation

/// What an INPUT string names, and how to open it.
///
/// - `/dev/videoN` is a V4L2 camera (avdevice `video4linux2`).
/// - `scheme://…` is a URL FFmpeg opens itself (rtsp, http, udp, srt, file…).
/// - `FORMAT:SPEC` is an FFmpeg input device or format, e.g. `lavfi:testsrc=size=640x480:rate=30`,
///   `v4l2:/dev/video1`, `x11grab::0.0` — the same path a camera takes.
/// - anything else is a file path.
public struct MediaInput: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case file(String)
        case url(String)
        case device(format: String, spec: String)
    }

    public let kind: Kind
    /// The INPUT as the user wrote it (used in error messages).
    public let text: String

    /// Classifies `text`; throws for an empty INPUT or a `FORMAT:` prefix FFmpeg does not know.
    public init(_ text: String) throws {
        FFmpegSetup.ensure()
        self.text = text
        if text.isEmpty { throw MediaError("empty input", context: "open input") }
        if text.hasPrefix("/dev/video") {
            kind = .device(format: "video4linux2", spec: text)
        } else if text.range(of: #"^[A-Za-z][A-Za-z0-9+.-]*://"#, options: .regularExpression) != nil {
            kind = .url(text)
        } else if let colon = text.firstIndex(of: ":"), !FileManager.default.fileExists(atPath: text),
                  text[..<colon].range(of: #"^[A-Za-z0-9_]{2,}$"#, options: .regularExpression) != nil {
            let format = String(text[..<colon])
            guard av_find_input_format(format) != nil else {
                throw MediaError("no such file, and '\(format)' is not an FFmpeg input format or device",
                                 context: "open input '\(text)'")
            }
            kind = .device(format: format, spec: String(text[text.index(after: colon)...]))
        } else {
            kind = .file(text)
        }
    }

    /// Live sources (cameras, capture devices, streaming protocols) deliver frames at their own
    /// rate: they are never paced, and frames are stamped when received.
    public var isLive: Bool {
        switch kind {
        case .file: return false
        case .device(let format, _): return format != "lavfi"
        case .url(let url):
            let scheme = url.prefix(while: { $0 != ":" }).lowercased()
            return ["rtsp", "rtsps", "rtmp", "rtmps", "rtp", "udp", "srt", "tcp", "mmsh", "mmst"].contains(scheme)
        }
    }

    /// Files and VOD URLs can seek (for `start` and `loop`).
    var isSeekable: Bool {
        if case .device = kind { return false }
        return !isLive
    }

    /// The string given to `avformat_open_input`, and the forced input format if any.
    var openURL: String {
        switch kind {
        case .file(let path): return path
        case .url(let url): return url
        case .device(_, let spec): return spec
        }
    }

    var formatName: String? {
        if case .device(let format, _) = kind { return format }
        return nil
    }

    public var description: String { "'\(text)'" }
}

/// Process-wide FFmpeg setup: device registration and log level, done once.
enum FFmpegSetup {
    private static let done: Bool = {
        avdevice_register_all()
        avformat_network_init()
        // FFmpeg's own log lines would bury our one-line errors; VLM_FFMPEG_LOG=warning brings them back.
        let level: Int32
        switch ProcessInfo.processInfo.environment["VLM_FFMPEG_LOG"] {
        case "debug": level = AV_LOG_DEBUG
        case "info": level = AV_LOG_INFO
        case "warning": level = AV_LOG_WARNING
        case "error": level = AV_LOG_ERROR
        default: level = AV_LOG_QUIET
        }
        av_log_set_level(level)
        return true
    }()

    static func ensure() { _ = done }
}
