import ArgumentParser
import Foundation
import VLMRecord

/// `vlmnode bag bench-write`: how fast the MCAP writer stores raw frames, per compression.
struct BagBenchWriteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-write",
        abstract: "Benchmark: write raw frames to MCAP with each compression; prints MB/s and CPU per frame.")

    @Option(help: "Frame size WxH (rgb8).") var size = "1920x1080"
    @Option(help: "Frames per compression.") var frames = 150
    @Option(help: "Directory for the temporary files.") var dir = NSTemporaryDirectory()

    func run() throws {
        let dims = size.split(separator: "x").compactMap { Int($0) }
        guard dims.count == 2, dims[0] > 0, dims[1] > 0 else { exitWithError(ValidationError("--size must be WxH, got \(size)")) }
        let (w, h) = (dims[0], dims[1])
        print("bench-write: \(frames) frames of \(w)x\(h) rgb8 (\(w * h * 3) bytes), load average \(Bench.loadAverage())")
        for compression in [MCAPCompression.none, .lz4, .zstd] {
            let path = (dir as NSString).appendingPathComponent("vlmnode-bench-\(compression.displayName).mcap")
            var options = MCAPWriterOptions()
            options.largeMessageCompression = compression
            let writer = try WireRecordingWriter(path: path, options: options)
            let pixels = (0..<4).map { synthFrame(width: w, height: h, index: $0) }
            let usageStart = CPUUsage.now(), wallStart = Clock.monotonicNs()
            for i in 0..<frames {
                let header = Array(#"{"v":1,"type":"vlm/Frame","seq":\#(i),"stamp_ns":\#(i),"width":\#(w),"height":\#(h),"encoding":"rgb8","step":\#(w * 3)}"#.utf8)
                try writer.write(topic: "/camera/image", parts: [header, pixels[i % 4]], receiveTime: Clock.wallNs())
            }
            try writer.finish()
            let wall = Double(Clock.monotonicNs() - wallStart) / 1e9
            let cpu = CPUUsage.now().seconds - usageStart.seconds
            let bytes = Double(frames * w * h * 3)
            let fileSize = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            print(String(format: "  %-5@ %7.1f MB/s  %6.1f frames/s  CPU %5.2f ms/frame (%4.1f%% of a core at 30 fps)  ratio %.2f",
                         compression.displayName as NSString, bytes / wall / 1e6, Double(frames) / wall,
                         cpu / Double(frames) * 1e3, cpu / Double(frames) * 30 * 100, Double(fileSize) / bytes))
            try? FileManager.default.removeItem(atPath: path)
        }
    }
}

/// A test-pattern-like frame: smooth gradients, moving bars and a little noise (camera-ish entropy).
func synthFrame(width: Int, height: Int, index: Int) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: width * height * 3)
    var seed: UInt32 = 2_463_534_242 &+ UInt32(index)
    out.withUnsafeMutableBufferPointer { p in
        for y in 0..<height {
            for x in 0..<width {
                seed ^= seed << 13; seed ^= seed >> 17; seed ^= seed << 5
                let noise = UInt8(seed & 7)
                let bar = ((x + index * 8) / 240) % 8
                let o = (y * width + x) * 3
                p[o] = UInt8(truncatingIfNeeded: (bar & 1) * 191 + x / 8) &+ noise
                p[o + 1] = UInt8(truncatingIfNeeded: ((bar >> 1) & 1) * 191 + y / 8) &+ noise
                p[o + 2] = UInt8(truncatingIfNeeded: ((bar >> 2) & 1) * 191 + (x + y) / 16) &+ noise
            }
        }
    }
    return out
}

/// This process's CPU time (user + system) from getrusage.
struct CPUUsage {
    let user: Double, system: Double
    var seconds: Double { user + system }

    static func now(children: Bool = false) -> CPUUsage {
        var usage = rusage()
        getrusage(__rusage_who_t(children ? RUSAGE_CHILDREN.rawValue : RUSAGE_SELF.rawValue), &usage)
        return CPUUsage(user: Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6,
                        system: Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6)
    }
}

/// The 1/5/15-minute load averages, for printing next to every figure.
