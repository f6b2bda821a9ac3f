import Dispatch
import Foundation
import VLMRecord

// Pieces `record` and `play` share: stopping on SIGINT/SIGTERM, keys from a terminal, option parsing.

/// Set once SIGINT or SIGTERM arrives (the signals are then handled here, not by the default
/// action), so the command can finish its file cleanly instead of dying mid-write.
final class StopSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var raised: Int32 = 0
    private var sources: [DispatchSourceSignal] = []
    private var onStop: [@Sendable () -> Void] = []

    init() {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [weak self] in self?.raise(sig) }
            source.resume()
            sources.append(source)
        }
    }

    /// The signal that arrived (0: none yet).
    var caught: Int32 { lock.lock(); defer { lock.unlock() }; return raised }
    var isRaised: Bool { caught != 0 }

    /// Runs `body` (on a background queue) when a signal arrives.
    func whenRaised(_ body: @escaping @Sendable () -> Void) {
        lock.lock(); onStop.append(body); lock.unlock()
    }

    private func raise(_ sig: Int32) {
        lock.lock()
        if raised == 0 { raised = sig }
        let handlers = onStop
        lock.unlock()
        for h in handlers { h() }
    }
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
