import Foundation
@testable import VLMBus

/// A fresh ipc endpoint in a private temp directory.
func temporaryIPCEndpoint(_ name: String = "bus") -> String {
    let dir = FileManager.default.temporaryDirectory
        .appendingPathComponent("vlmbus-\(UUID().uuidString.prefix(8))", isDirectory: true)
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return "ipc://\(dir.path)/\(name).sock"
}

/// A frame of `width`x`height` rgb8 pixels, every byte set from `seq`, in a malloc'd buffer.
func makeFrameBlob(width: Int, height: Int, seq: UInt64) throws -> (FrameInfo, Blob) {
    let info = FrameInfo(width: width, height: height, encoding: .rgb8)
    let buffer = malloc(info.byteCount)!
    memset(buffer, Int32(seq & 0xFF), info.byteCount)
    return (info, try Blob(takingOwnershipOf: buffer, count: info.byteCount))
}

/// Publishes frames until a subscriber got one (covers ZeroMQ's slow-joiner window).
func awaitFirstMessage(_ sub: Subscriber, publish: () throws -> Void, timeout: Double = 5) rethrows -> BusMessage? {
    let deadline = Date(timeIntervalSinceNow: timeout)
    while Date() < deadline {
        try publish()
        if let m = sub.receive(timeout: 0.05) { return m }
    }
    return nil
}

/// Resident set size of this process in bytes (Linux).
func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    return (Int(fields.dropFirst().first ?? "0") ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
}
