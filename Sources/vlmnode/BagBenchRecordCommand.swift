import ArgumentParser
import Foundation
import VLMBus
import VLMRecord

/// `vlmnode bag bench-record`: a live 1080p stream recorded by a real `vlmnode record` process
/// (drops, CPU from getrusage), then replayed by `vlmnode play` (bytes and timing checked).
struct BagBenchRecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-record",
        abstract: "Benchmark: record a live rgb8 stream with `vlmnode record`, replay it with `vlmnode play`; prints drops, CPU, timing error.")

    @Option(help: "Seconds of stream.") var seconds = 10.0
    @Option(help: "Frame size WxH (rgb8).") var size = "1920x1080"
    @Option(help: "Frames per second.") var fps = 30.0
    @Option(help: "Compression of frame chunks (passed to record).") var frameCompression = "none"
    @Flag(help: "Skip the replay half.") var noReplay = false
    @Flag(help: "Record and replay through shared memory (same host) instead of inline ipc frames.") var shm = false

    func run() throws {
        let dims = size.split(separator: "x").compactMap { Int($0) }
        guard dims.count == 2, dims[0] > 0, dims[1] > 0 else { exitWithError(ValidationError("--size must be WxH, got \(size)")) }
        let info = FrameInfo(width: dims[0], height: dims[1], encoding: .rgb8)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vlmnode-bench-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("bench.mcap").path
        let templates = (0..<4).map { synthFrame(width: info.width, height: info.height, index: $0) }
        let templateCRCs = templates.map { CRC32.checksum($0) }
        print("bench-record: \(Int(seconds * fps)) frames \(info.width)x\(info.height) rgb8 (\(info.byteCount) bytes) at \(fps) fps; "
              + "load average \(Bench.loadAverage())")

        // Record.
        let pub = try Publisher(bind: "ipc://\(dir.path)/pub.sock", qos: .queue(capacity: 64))
        let before = CPUUsage.now(children: true)
        let recorder = try spawn(["record", "-o", file, "--connect", pub.endpoint, "--topic", "/camera/image",
                                  "--frame-compression", frameCompression] + (shm ? ["--shm"] : []))
        guard pub.waitForSubscribers(1, timeout: 30) else { throw ValidationError("the recorder never subscribed") }
        Thread.sleep(forTimeInterval: 0.3)
        let count = Int(seconds * fps)
        var sendTimes: [UInt64] = []
        let start = Clock.monotonicNs() + 10_000_000
        var late = 0
        for i in 0..<count {
            let deadline = start + UInt64(Double(i) / fps * 1e9)
            if Clock.monotonicNs() > deadline + 5_000_000 { late += 1 }
            Clock.sleep(untilMonotonic: deadline)
            let buffer = malloc(info.byteCount)!
            templates[i % 4].withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress!, byteCount: info.byteCount) }
            try pub.publishFrame(topic: "/camera/image", seq: UInt64(i), stampNs: BusClock.nowNs(), frame: info,
                                 pixels: try Blob(takingOwnershipOf: buffer, count: info.byteCount))
            sendTimes.append(Clock.monotonicNs())
        }
        let wall = Double(Clock.monotonicNs() - start) / 1e9
        Thread.sleep(forTimeInterval: 1.0)
        recorder.interrupt()
        recorder.waitUntilExit()
        let cpu = CPUUsage.now(children: true)
        let user = cpu.user - before.user, system = cpu.system - before.system
        let reader = try MCAPReader(path: file)
        var recorded = 0, badBytes = 0
        var logTimes: [UInt64] = []
        let it = try reader.messages()
        while let m = try it.nextMessage() {
            // Frames are recorded as foxglove.RawImage (Foxglove-native): back to wire parts.
            let parts = try RecordedChannel.wireParts(channel: m.channel, data: m.data) ?? []
            let seq = Int(m.sequence)
            if parts.count != 2 || CRC32.update(0, parts[1]) != templateCRCs[seq % 4] { badBytes += 1 }
            recorded += 1
            logTimes.append(m.logTime)
        }
        let fileSize = reader.fileSize
        print(String(format: "  record: %d/%d frames recorded (%d dropped, %d bad), %.1f MB/s for %.1f s; publisher late %d",
                     recorded, count, count - recorded, badBytes, Double(fileSize) / wall / 1e6, wall, late))
        print(String(format: "  record CPU (getrusage of the vlmnode record process): user %.2f s + system %.2f s = %.1f%% of one core",
                     user, system, (user + system) / wall * 100))
        print("  file: \(BagInfo.formatBytes(fileSize)), \(reader.chunkIndexes.count) chunks, summary \(reader.usedSummary ? "ok" : "MISSING")")
        if noReplay { return }

        // Replay and compare with what the recorder saw (log times) and what was sent.
        let playEndpoint = "ipc://\(dir.path)/play.sock"
        let sub = shm ? try Subscriber(connect: [playEndpoint], sharedMemoryTopics: ["/camera/image"], qos: .queue(capacity: 1000))
                      : try Subscriber(connect: [playEndpoint], topics: ["/camera/image"], qos: .queue(capacity: 1000))
        let player = try spawn(["play", file, "--bind", playEndpoint, "--delay", "1.0"])
        var got: [(seq: UInt64, at: UInt64, ok: Bool)] = []
        let deadline = Date(timeIntervalSinceNow: seconds * 2 + 20)
        while got.count < recorded && Date() < deadline {
            guard let m = sub.receive(timeout: 0.5) else { continue }
            let at = Clock.monotonicNs()
            let ok = m.withFramePixels { CRC32.update(0, $0) == templateCRCs[Int(m.header.seq) % 4] } ?? false
            got.append((m.header.seq, at, ok))
        }
        player.waitUntilExit()
        var vsLog: [Double] = [], vsSend: [Double] = []
        if got.count == recorded {
            for i in 1..<got.count {
                let played = Double(Int64(got[i].at) - Int64(got[i - 1].at))
                vsLog.append(abs(played - Double(Int64(logTimes[i]) - Int64(logTimes[i - 1]))) / 1e6)
                let a = Int(got[i - 1].seq), b = Int(got[i].seq)
                vsSend.append(abs(played - Double(Int64(sendTimes[b]) - Int64(sendTimes[a]))) / 1e6)
            }
        }
        print("  replay: \(got.count)/\(recorded) frames, \(got.filter(\.ok).count) byte-identical")
        if !vsLog.isEmpty {
            print(String(format: "  replay interval error vs recorded log times: p50 %.3f ms, p95 %.3f ms, max %.3f ms",
                         percentile(vsLog, 0.5), percentile(vsLog, 0.95), vsLog.max()!))
            print(String(format: "  replay interval error vs original send times: p50 %.3f ms, p95 %.3f ms, max %.3f ms",
                         percentile(vsSend, 0.5), percentile(vsSend, 0.95), vsSend.max()!))
        }
        print("  load average after: \(Bench.loadAverage())")
    }

    private func spawn(_ args: [String]) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        p.arguments = args
        p.standardInput = FileHandle.nullDevice
        try p.run()
        return p
    }
}

func percentile(_ xs: [Double], _ q: Double) -> Double {
    let s = xs.sorted()
    return s[min(s.count - 1, Int(Double(s.count) * q))]
}
