import Foundation

/// Splits a node's output into lines: each line goes to the node's log file and, for
/// `output="screen"`, to the launcher's stdout prefixed with the node's name (coloured on a terminal).
final class NodeOutput {
    private static let colours = ["\u{1B}[32m", "\u{1B}[36m", "\u{1B}[33m", "\u{1B}[35m", "\u{1B}[34m", "\u{1B}[91m", "\u{1B}[92m", "\u{1B}[96m"]

    private let prefix: [UInt8]
    private let toScreen: Bool
    private let screen: ScreenWriter
    private var logFD: Int32
    private var pending: [UInt8] = []

    init(name: String, index: Int, toScreen: Bool, colour: Bool, screen: ScreenWriter, logPath: String) {
        let label = "[\(name)] "
        prefix = Array((colour ? Self.colours[index % Self.colours.count] + label + "\u{1B}[0m" : label).utf8)
        self.toScreen = toScreen
        self.screen = screen
        logFD = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    }

    deinit { if logFD >= 0 { close(logFD) } }

    /// Takes a chunk read from the node's pipe; complete lines are written out at once.
    func append(_ bytes: UnsafeRawBufferPointer) {
        pending.append(contentsOf: bytes)
        guard let lastNewline = pending.lastIndex(of: UInt8(ascii: "\n")) else {
            // A line longer than 64 KiB is written as it is rather than held forever.
            if pending.count > 65536 { flush() }
            return
        }
        emit(pending[...lastNewline])
        pending.removeSubrange(...lastNewline)
    }

    /// Writes a trailing partial line (the node ended without a newline).
    func flush() {
        guard !pending.isEmpty else { return }
        pending.append(UInt8(ascii: "\n"))
        emit(pending[...])
        pending.removeAll()
    }

    /// A line from the launcher about this node, in its log file only.
    func note(_ text: String) {
        writeAll(logFD, Array("[launch] \(text)\n".utf8)[...])
    }

    private func emit(_ lines: ArraySlice<UInt8>) {
        writeAll(logFD, lines)
        guard toScreen else { return }
        var out: [UInt8] = []
        out.reserveCapacity(lines.count + 16 * prefix.count)
        var start = lines.startIndex
        for i in lines.indices where lines[i] == UInt8(ascii: "\n") {
            out += prefix
            out += lines[start...i]
            start = i + 1
        }
        screen.write(out)
    }

    private func writeAll(_ fd: Int32, _ bytes: ArraySlice<UInt8>) {
        guard fd >= 0 else { return }
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return // A full disk: the log is best effort, the launch goes on.
                }
                offset += n
            }
        }
    }
}
