import ArgumentParser
import Foundation

/// `vlmnode bench view`: a lavfi source and `vlmnode view` as separate processes, the page in
/// headless Chromium (Scripts/bench/view_browser.py): capture-to-browser latency, the viewer's CPU
/// and the bytes per second one browser client receives.
struct BenchViewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "view",
        abstract: "Capture-to-browser latency p50/p95, viewer CPU and bytes/s per client (needs chromium + python3 websockets).")

    @Option(help: "Frame sizes to measure (WxH, repeat).")
    var size: [String] = ["640x480", "1920x1080"]

    @Option(help: "Frames per second of the source.")
    var fps = 30

    @Option(help: "Seconds measured per size.")
    var seconds = 10.0

    @Option(help: "Python with the websockets package.")
    var python = "python3"

    func run() throws {
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Scripts/bench/view_browser.py").standardized.path
        let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let words: [String] = info.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).map(String.init)
        let wanted: Set<String> = ["avx2", "fma", "avx_vnni"]
        let flags = Set(words.filter { wanted.contains($0) || $0.hasPrefix("avx512") }).sorted().joined(separator: " ")
        print("bench view: source lavfi testsrc at \(fps) fps -> vlmnode view (JPEG q75) -> headless Chromium page; \(seconds) s per size")
        print("cpu flags: \(flags); load average before: \(Bench.loadAverage())")
        print("size        p50 ms   p95 ms   browser fps   viewer CPU   bytes/s per client")
        for s in size {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vlm-bench-view-\(getpid())-\(s)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            let cam = "ipc://\(dir.path)/cam.sock"
            let source = try start(exe, ["source", "lavfi:testsrc=size=\(s):rate=\(fps)", "--bind", cam], log: dir.appendingPathComponent("source.log"))
            let viewLog = dir.appendingPathComponent("view.log")
            let view = try start(exe, ["view", "--connect", cam, "--port", "0"], log: viewLog)
            defer { for p in [view, source] { p.interrupt(); p.waitUntilExit() } }
            var port = 0
            for _ in 0..<300 where port == 0 {
                let text = (try? String(contentsOf: viewLog, encoding: .utf8)) ?? ""
                if let r = text.range(of: #"127\.0\.0\.1:\d+"#, options: .regularExpression) { port = Int(text[r].split(separator: ":")[1])! }
                Thread.sleep(forTimeInterval: 0.1)
            }
            guard port > 0 else { throw CLIError("bench view: the viewer printed no port") }
            let client = Process()
            client.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            client.arguments = [python, script, String(port), String(seconds)]
            let out = Pipe()
            client.standardOutput = out
            try client.run()
            var buffer = Data()
            var cpuStart = 0.0, tStart = 0.0, cpuEnd = 0.0, tEnd = 0.0
            var resultLine = ""
            while true {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                let text = String(decoding: buffer, as: UTF8.self)
                if cpuStart == 0, text.contains("ready\n") { cpuStart = processCPU(view.processIdentifier); tStart = Bench.now() }
                if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("{") }) {
                    cpuEnd = processCPU(view.processIdentifier); tEnd = Bench.now()
                    resultLine = String(line)
                    break
                }
            }
            client.waitUntilExit()
            guard let data = resultLine.data(using: .utf8), let r = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw CLIError("bench view: the browser client reported nothing for \(s)")
            }
            let cpu = (cpuEnd - cpuStart) / max(tEnd - tStart, 1e-6) * 100
            func f(_ k: String) -> Double { (r[k] as? NSNumber)?.doubleValue ?? .nan }
            print(String(format: "%-10@  %7.1f  %7.1f   %11.1f   %9.0f%%   %@", s as NSString, f("p50_ms"), f("p95_ms"), f("fps"), cpu,
                         BenchSupportBytes.rate(f("bytes_per_s")) as NSString))
        }
        print("load average after: \(Bench.loadAverage())")
    }

    private func start(_ exe: String, _ args: [String], log: URL) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        FileManager.default.createFile(atPath: log.path, contents: nil)
        p.standardOutput = try FileHandle(forWritingTo: log)
        p.standardError = p.standardOutput
        p.standardInput = FileHandle.nullDevice
        try p.run()
        return p
    }

    /// utime + stime of a process, seconds (/proc/PID/stat fields 14 and 15).
    private func processCPU(_ pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let u = Double(fields[11]), let s = Double(fields[12]) else { return 0 }
        return (u + s) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}

enum BenchSupportBytes {
    static func rate(_ bytesPerSecond: Double) -> String {
        bytesPerSecond >= 1e6 ? String(format: "%.2f MB/s", bytesPerSecond / 1e6) : String(format: "%.0f kB/s", bytesPerSecond / 1e3)
    }
}
