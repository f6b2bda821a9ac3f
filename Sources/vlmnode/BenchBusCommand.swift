import ArgumentParser
import Foundation
import VLMBus

/// `vlmnode bench bus`: VLMBus per-hop latency and throughput next to raw libzmq, one run.
struct BenchBusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bus",
        abstract: "Frame transport over ipc, tcp loopback and shared memory: VLMBus vs raw libzmq (build with -c release).")

    @Option(name: .long, help: "Latency messages per case (sent --spacing-ms apart).")
    var count = 200

    @Option(name: .long, help: "Milliseconds between latency messages.")
    var spacingMs = 5.0

    @Option(name: .long, help: "Seconds of back-to-back sending for throughput.")
    var duration = 1.0

    @Option(name: .long, parsing: .upToNextOption, help: "Frame sizes WxH.")
    var sizes: [String] = ["640x480", "1920x1080", "3840x2160"]

    @Option(name: .long, parsing: .upToNextOption,
            help: "Transports: ipc, tcp, shm (headers over ipc, pixels in shared memory), curve (tcp with CURVE).")
    var transports: [String] = ["ipc", "tcp", "shm"]

    @Flag(help: "Add the curve transport: VLMBus over tcp with CURVE, next to plain tcp in the same run.")
    var curve = false

    @Option(name: .long, parsing: .upToNextOption, help: "Subscriber counts for the fan-out table (ipc vs shm; empty: none).")
    var subscribers: [Int] = [1, 4]

    func run() throws {
        #if DEBUG
        emitError("note: this is a debug build; figures are meaningful only with swift build -c release")
        #endif
        let dims = try sizes.map { s -> (Int, Int) in
            let p = s.split(separator: "x").compactMap { Int($0) }
            guard p.count == 2, p[0] > 0, p[1] > 0 else { throw ValidationError("--sizes: \"\(s)\" is not WxH") }
            return (p[0], p[1])
        }
        for t in transports where !["ipc", "tcp", "shm", "curve"].contains(t) {
            throw ValidationError("--transports: unknown \"\(t)\" (ipc, tcp, shm, curve)")
        }
        let transports = curve && !transports.contains("curve") ? transports + ["curve"] : transports
        for n in subscribers where !(1...16).contains(n) { throw ValidationError("--subscribers: \(n) is not in 1...16") }
        let bench = BusBenchmark(count: count, spacingUs: UInt32(spacingMs * 1000), duration: duration)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vlmnode-bench-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }

        emitLine("vlmnode bench bus: \(count) msgs \(spacingMs) ms apart for latency (p50/p99 per hop), \(duration) s back-to-back for throughput")
        emitLine("load average before: \(Bench.loadAverage())")
        emitLine(row(["payload", "transport", "path", "p50 ms", "p99 ms", "msgs/s", "MB/s", "delivered"]))
        var n = 0
        for (w, h) in dims {
            let bytes = w * h * 3
            var rawIPC: BusBenchFigures?
            var busTCP: BusBenchFigures?
            for t in transports {
                func endpoint() -> String {
                    n += 1
                    return t == "tcp" || t == "curve" ? "tcp://127.0.0.1:0" : "ipc://\(dir.path)/b\(n).sock"
                }
                let label = "\(w)x\(h) rgb8 " + String(format: "%.1f MB", Double(bytes) / 1e6)
                if t == "curve" {
                    // CURVE's cost is against plain VLMBus tcp of this run (the same path, unencrypted).
                    let plain = try busTCP ?? bench.runVLMBus(endpoint: endpoint(), width: w, height: h)
                    let sealed = try bench.runVLMBus(endpoint: endpoint(), width: w, height: h, curve: true)
                    emitFigures(label, t, "VLMBus", sealed, bytes: bytes)
                    emitLine(row([label, t, "vs tcp", fmt(sealed.percentile(0.5) / plain.percentile(0.5)),
                                  fmt(sealed.percentile(0.99) / plain.percentile(0.99)),
                                  fmt(sealed.throughputMessagesPerSecond / plain.throughputMessagesPerSecond), "", ""]))
                    emitLine(row([label, t, "+ms/hop", fmt(sealed.percentile(0.5) - plain.percentile(0.5)),
                                  fmt(sealed.percentile(0.99) - plain.percentile(0.99)), "", "", ""]))
                    continue
                }
                // Shared memory has no raw libzmq equivalent: its ratio is against raw zmq over ipc.
                let raw = try t == "shm" ? rawIPC ?? bench.runRaw(endpoint: endpoint(), bytes: bytes)
                                         : bench.runRaw(endpoint: endpoint(), bytes: bytes)
                if t == "ipc" { rawIPC = raw }
                let bus = try bench.runVLMBus(endpoint: endpoint(), width: w, height: h, sharedMemory: t == "shm")
                if t == "tcp" { busTCP = bus }
                for (name, f) in t == "shm" ? [("VLMBus", bus)] : [("raw zmq", raw), ("VLMBus", bus)] {
                    emitFigures(label, t, name, f, bytes: bytes)
                }
                emitLine(row([label, t, "ratio", fmt(bus.percentile(0.5) / raw.percentile(0.5)),
                              fmt(bus.percentile(0.99) / raw.percentile(0.99)),
                              fmt(bus.throughputMessagesPerSecond / raw.throughputMessagesPerSecond), "", ""]))
            }
        }
        emitLine("ratio = VLMBus / raw zmq (latency: lower is better; throughput: higher is better; shm: vs raw zmq over ipc)")
        if transports.contains("curve") { emitLine("curve: VLMBus over tcp with CURVE (authenticated, encrypted); vs tcp = curve / plain VLMBus tcp") }
        if !subscribers.isEmpty { try fanout(bench, dims: dims, dir: dir) }
        emitLine("load average after: \(Bench.loadAverage())")
    }

    /// Inline ipc vs shared memory with 1…N subscribers: latency and publisher CPU per frame.
    private func fanout(_ bench: BusBenchmark, dims: [(Int, Int)], dir: URL) throws {
        emitLine("")
        emitLine("fan-out: \(count) frames \(spacingMs) ms apart, latest-wins subscribers, each with its own I/O thread")
        emitLine(fanoutRow(["payload", "path", "subs", "p50 ms", "p99 ms", "pub CPU ms/frame", "delivered", "vs 1 sub (p50, CPU)"]))
        var n = 0
        for (w, h) in dims {
            let label = "\(w)x\(h) rgb8"
            for shm in [false, true] {
                var one: BusFanoutFigures?
                for subs in subscribers {
                    n += 1
                    let f = try bench.runFanout(endpoint: "ipc://\(dir.path)/f\(n).sock", width: w, height: h,
                                                subscribers: subs, sharedMemory: shm)
                    if one == nil { one = f }
                    let vs = one.map { "\(fmt(f.percentile(0.5) / $0.percentile(0.5)))x, \(fmt(f.publisherCPUMsPerFrame / $0.publisherCPUMsPerFrame))x" } ?? ""
                    emitLine(fanoutRow([label, shm ? "shm" : "ipc", "\(subs)", fmt(f.percentile(0.5)), fmt(f.percentile(0.99)),
                                        String(format: "%.3f", f.publisherCPUMsPerFrame), "\(f.delivered)/\(f.expected)", vs]))
                }
            }
        }
    }

    private func fanoutRow(_ cells: [String]) -> String {
        let widths = [18, 5, 5, 8, 8, 17, 11, 20]
        return zip(cells, widths).map { $0.padding(toLength: max($1, $0.count), withPad: " ", startingAt: 0) }
            .joined(separator: " ").trimmingCharacters(in: .whitespaces)
    }

    private func fmt(_ x: Double) -> String { String(format: "%.2f", x) }

    private func emitFigures(_ label: String, _ transport: String, _ path: String, _ f: BusBenchFigures, bytes: Int) {
        emitLine(row([label, transport, path, fmt(f.percentile(0.5)), fmt(f.percentile(0.99)),
                      String(format: "%.0f", f.throughputMessagesPerSecond),
                      String(format: "%.0f", f.throughputMessagesPerSecond * Double(bytes) / 1e6),
                      "\(f.throughputReceived)/\(f.throughputSent)"]))
    }

    private func row(_ cells: [String]) -> String {
        let widths = [22, 10, 8, 8, 8, 8, 8, 10]
        return zip(cells, widths).map { $0.padding(toLength: max($1, $0.count), withPad: " ", startingAt: 0) }
            .joined(separator: " ").trimmingCharacters(in: .whitespaces)
    }

}
