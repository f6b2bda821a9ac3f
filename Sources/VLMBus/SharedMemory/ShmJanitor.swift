import CVLMShm
import Foundation

/// Segment names and the removal of segments whose publisher died without cleaning up.
///
/// A name is `/vlmbus.<pid>.<start>.<n>`: the creating process's pid and its start time (clock
/// ticks since boot, /proc/PID/stat field 22), so a recycled pid is recognised; `n` counts the
/// segments the process made. A segment is stale when that process no longer exists
/// (`kill(pid, 0)` says ESRCH) or a different process now has the pid (another start time).
public enum SharedMemoryJanitor {
    /// Where Linux shows POSIX shared memory as files.
    public static let directory = "/dev/shm"
    static let prefix = "vlmbus."

    private static let counter = NSLock()
    nonisolated(unsafe) private static var made: UInt64 = 0
    private static let selfStart = vlm_process_start_time(getpid())

    /// A fresh segment name for this process.
    static func newName() -> String {
        counter.lock()
        made += 1
        let n = made
        counter.unlock()
        return "/\(prefix)\(getpid()).\(selfStart).\(n)"
    }

    /// True for names this library makes (and only those are opened: a header names a segment).
    static func isValidName(_ name: String) -> Bool { parse(name) != nil }

    /// (pid, start time) from `/vlmbus.<pid>.<start>.<n>` (with or without the leading slash).
    static func parse(_ name: String) -> (pid: Int32, start: UInt64)? {
        var s = Substring(name)
        if s.hasPrefix("/") { s = s.dropFirst() }
        guard s.hasPrefix(prefix) else { return nil }
        let fields = s.dropFirst(prefix.count).split(separator: ".", omittingEmptySubsequences: false)
        guard fields.count == 3, fields.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              let pid = Int32(fields[0]), pid > 0, let start = UInt64(fields[1]), UInt64(fields[2]) != nil else { return nil }
        return (pid, start)
    }

    /// True when the process that made `name` (with or without the leading slash) is gone, or its
    /// pid now belongs to another process.
    public static func isStale(_ name: String) -> Bool {
        guard let (pid, start) = parse(name) else { return false }
        if kill(pid, 0) != 0 { return errno == ESRCH }  // EPERM: alive, someone else's
        let now = vlm_process_start_time(pid)
        return now != 0 && now != start
    }

    /// Removes every stale VLMBus segment owned by this user; returns the names removed. Called
    /// when a publisher makes its first segment, and by `vlmnode launch` at start, so segments of
    /// SIGKILLed publishers do not accumulate.
    @discardableResult
    public static func reclaimStale(in directory: String = directory) -> [String] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        var removed: [String] = []
        for entry in entries where entry.hasPrefix(prefix) && isStale(entry) {
            var st = stat()
            // Only our own: never touch another user's segment (shm_unlink would refuse anyway).
            guard lstat("\(directory)/\(entry)", &st) == 0, st.st_uid == geteuid() else { continue }
            if shm_unlink("/" + entry) == 0 { removed.append("/" + entry) }
        }
        return removed
    }

    /// The VLMBus segments present now (names without the directory).
    public static func segments(in directory: String = directory) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasPrefix(prefix) }.sorted()
    }
}

