import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Receives download progress from `ModelStore` (one file at a time).
public protocol DownloadProgress: AnyObject {
    /// A download of `file` starts; `total` when the hub said how big it is; `resumedFrom` bytes
    /// were already on disk from an earlier attempt.
    func begin(file: String, total: Int64?, resumedFrom: Int64)
    /// `bytes` of the file are now on disk.
    func advance(to bytes: Int64)
    func end(file: String, succeeded: Bool)
}

/// A one-line progress bar on stderr, redrawn at most ten times a second:
/// `model.safetensors  [########........]  51%  310.2/605.8 MB  12.4 MB/s`
public final class TerminalProgressBar: DownloadProgress {
    private var file = ""
    private var total: Int64?
    private var start = Date()
    private var startBytes: Int64 = 0
    private var lastDraw = Date.distantPast
    private var bytes: Int64 = 0
    private let width = 24

    public init() {}

    /// A bar when stderr is a terminal, else nil (logs and pipes stay clean).
    public static func ifInteractive() -> TerminalProgressBar? { isatty(STDERR_FILENO) == 1 ? TerminalProgressBar() : nil }

    public func begin(file: String, total: Int64?, resumedFrom: Int64) {
        self.file = file
        self.total = total
        start = Date()
        startBytes = resumedFrom
        bytes = resumedFrom
        lastDraw = .distantPast
        draw(force: true)
    }

    public func advance(to bytes: Int64) {
        self.bytes = bytes
        draw(force: false)
    }

    public func end(file: String, succeeded: Bool) {
        draw(force: true)
        FileHandle.standardError.write(Data((succeeded ? "\n" : "  failed\n").utf8))
    }

    private func draw(force: Bool) {
        let now = Date()
        guard force || now.timeIntervalSince(lastDraw) >= 0.1 else { return }
        lastDraw = now
        let elapsed = max(now.timeIntervalSince(start), 1e-3)
        let rate = Double(bytes - startBytes) / elapsed
        var line = "\r\u{1B}[K" + String(file.suffix(40))
        if let total, total > 0 {
            let fraction = min(Double(bytes) / Double(total), 1)
            let filled = Int(fraction * Double(width))
            line += "  [" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
            line += String(format: " %3d%%  ", Int(fraction * 100)) + "\(Self.format(bytes))/\(Self.format(total))"
        } else {
            line += "  " + Self.format(bytes)
        }
        line += "  " + Self.format(Int64(rate)) + "/s"
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// 1234567 -> "1.2 MB" (decimal units, as the hub shows sizes).
    public static func format(_ bytes: Int64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var value = Double(bytes), unit = 0
        while value >= 1000, unit < units.count - 1 { value /= 1000; unit += 1 }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f ", value) + units[unit]
    }
}
