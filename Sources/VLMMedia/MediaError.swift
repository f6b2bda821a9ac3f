import CFFmpeg

/// A failed FFmpeg call: the original AVERROR code, FFmpeg's text for it, and what was being done.
///
/// `description` is the one line the CLI prints, e.g.
/// `cannot open input 'clip.mp4': No such file or directory (AVERROR -2)`.
public struct MediaError: Error, CustomStringConvertible, Sendable {
    /// The negative AVERROR code FFmpeg returned (0 when the failure did not come from FFmpeg).
    public let code: Int32
    /// `av_strerror` text for `code` (or a message of our own when `code` is 0).
    public let reason: String
    /// What was being done and to what, e.g. `open input 'clip.mp4'`.
    public let context: String

    public init(code: Int32, context: String) {
        self.code = code
        self.reason = MediaError.text(for: code)
        self.context = context
    }

    /// A failure detected by VLMMedia itself (no AVERROR code), e.g. "no video stream".
    public init(_ reason: String, context: String) {
        self.code = 0
        self.reason = reason
        self.context = context
    }

    public var description: String {
        code == 0 ? "cannot \(context): \(reason)" : "cannot \(context): \(reason) (AVERROR \(code))"
    }

    /// `av_strerror` for an AVERROR code.
    public static func text(for code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        if av_strerror(code, &buffer, buffer.count) < 0 { return "unknown error \(code)" }
        return String(cString: buffer)
    }
}

/// The outcome of a send/receive call whose "not now" and "no more" answers are normal states.
enum AVStatus: Equatable {
    case ok
    /// EAGAIN: feed more input (or drain output) before calling again.
    case again
    /// End of stream.
    case eof
}

/// The one place FFmpeg return codes become Swift: negative codes throw, values pass through.
@discardableResult
func avCheck(_ code: Int32, _ context: @autoclosure () -> String) throws -> Int32 {
    if code < 0 { throw MediaError(code: code, context: context()) }
    return code
}

/// Like `avCheck`, but EAGAIN and EOF are values, not errors.
func avStatus(_ code: Int32, _ context: @autoclosure () -> String) throws -> AVStatus {
    if code >= 0 { return .ok }
    if code == vlm_averror_eagain() { return .again }
    if code == vlm_averror_eof() { return .eof }
    throw MediaError(code: code, context: context())
}
