import Dispatch
import Foundation
import Synchronization
import VLMNode
import VLMRecord

// Pieces `record` and `play` share: stopping on SIGINT/SIGTERM (VLMNode's StopSignal, the one stop
// mechanism of every long-running command), keys from a terminal, option parsing.

/// Calls `body` once when `signal` is raised, from a thread polling it every 50 ms (a signal
/// handler only sets the flag), until `cancel()`: `play` stops its player this way, because the
/// player may be sleeping until the next message is due rather than polling the flag itself.
final class StopWatcher: Sendable {
    private let cancelled = Atomic<Bool>(false)

    init(_ signal: StopSignal, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread { [self] in
            while !cancelled.load(ordering: .relaxed) {
                if signal.isRaised { return body() }
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
        thread.name = "vlmnode-stop-watcher"
        thread.start()
    }

    func cancel() { cancelled.store(true, ordering: .relaxed) }
}

/// Single key presses from stdin when it is a terminal (non-canonical, no echo); restores the
/// terminal settings in `restore()` and at deinit.
final class TerminalKeys: @unchecked Sendable {
    private var saved = termios()
    private var active = false

    /// nil when stdin is not a terminal.
    init?(onKey: @escaping @Sendable (UInt8) -> Void) {
        guard isatty(STDIN_FILENO) == 1, tcgetattr(STDIN_FILENO, &saved) == 0 else { return nil }
        var raw = saved
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
        }
        guard tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0 else { return nil }
        active = true
        let thread = Thread {
            var byte: UInt8 = 0
            while read(STDIN_FILENO, &byte, 1) == 1 { onKey(byte) }
        }
        thread.start()
    }

    func restore() {
        if active { tcsetattr(STDIN_FILENO, TCSANOW, &saved); active = false }
    }

    deinit { restore() }
}

/// Parses a size such as `500M`, `2G`, `1048576` (K/M/G/T are powers of 1024).
func parseByteSize(_ text: String) -> UInt64? {
    let units: [Character: UInt64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
    var digits = text.uppercased()
    if digits.hasSuffix("B") { digits.removeLast() }
    var factor: UInt64 = 1
    if let last = digits.last, let f = units[last] { factor = f; digits.removeLast() }
    guard let value = Double(digits), value > 0 else { return nil }
    return UInt64(value * Double(factor))
}

/// Parses `from:=to` remaps (ROS 2 syntax) into a dictionary; nil names the bad one.
func parseRemaps(_ items: [String]) -> Result<[String: String], CLIError> {
    var map: [String: String] = [:]
    for item in items {
        let pieces = item.components(separatedBy: ":=")
        guard pieces.count == 2, !pieces[0].isEmpty, !pieces[1].isEmpty else {
            return .failure(CLIError("--remap expects FROM:=TO, got '\(item)'"))
        }
        map[pieces[0]] = pieces[1]
    }
    return .success(map)
}


/// Writes a progress line to stderr: rewritten in place on a terminal, one line per update otherwise.
func progress(_ line: String, final: Bool = false) {
    let tty = isatty(STDERR_FILENO) == 1
    let text = tty ? "\r\u{1B}[K" + line + (final ? "\n" : "") : line + "\n"
    FileHandle.standardError.write(Data(text.utf8))
}
