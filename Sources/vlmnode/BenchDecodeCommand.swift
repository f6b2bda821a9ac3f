import ArgumentParser
import Foundation
import VLMMedia

/// `vlmnode bench decode FILE`: our decode (and rgb24 conversion) fps vs the ffmpeg CLI, same threads.
struct BenchDecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode fps of a clip (and with rgb24 conversion) vs `ffmpeg -f null -`, same threads.")

    @Argument(help: "Video file to decode (omit with --generate).")
    var file: String?

    @Option(help: "Decoder threads for both vlmnode and ffmpeg (0 = auto).")
    var threads: Int = 2

    @Flag(help: "Generate a 10 s 1920x1080 30 fps H.264 clip in a temporary folder (deleted afterwards).")
    var generate = false

    @Option(help: "Runs per measurement; the median is reported.")
    var repeats: Int = 3

    @Option(help: "The ffmpeg executable to compare with.")
    var ffmpeg: String = "ffmpeg"

    func validate() throws {
        if file == nil && !generate { throw ValidationError("give a FILE or --generate") }
        if repeats < 1 { throw ValidationError("--repeats must be at least 1") }
        if threads < 0 { throw ValidationError("--threads must be 0 (auto) or more") }
    }

    func run() throws {
        var temporary: URL?
        defer { if let temporary { try? FileManager.default.removeItem(at: temporary) } }
        let path: String
        if let file {
            path = file
        } else {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vlmnode-bench-\(getpid())")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            temporary = dir
            path = dir.appendingPathComponent("bench-1080p.mp4").path
            print("generating 10 s 1920x1080 30 fps H.264 (libx264 veryfast, yuv420p) → \(path)")
            let made = try FFmpegRunner(executable: ffmpeg).run(
                ["-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=30", "-t", "10", "-c:v", "libx264",
                 "-preset", "veryfast", "-pix_fmt", "yuv420p", "-y", path])
            guard made.status == 0 else { throw CLIError("ffmpeg could not generate the clip: \(made.lastLine)") }
        }
        guard FileManager.default.fileExists(atPath: path) else { throw CLIError("no such file: \(path)") }
        print("file: \(path), threads: \(threads), repeats: \(repeats) (median)")
        print("load average: \(Bench.loadAverage())")
        let runner = FFmpegRunner(executable: ffmpeg)
        for convert in [false, true] {
            var ours: [DecodeBenchmark.Result] = []
            var theirs: [Double] = []
            for _ in 0..<repeats {
                do {
                    ours.append(try DecodeBenchmark.run(path: path, threads: threads, convertToRGB: convert))
                } catch let error as MediaError {
                    throw CLIError(error.description)
                }
                var args = ["-benchmark", "-threads", "\(threads)", "-i", path]
                if convert { args += ["-pix_fmt", "rgb24"] }
                let result = try runner.run(args + ["-f", "null", "-"])
                guard result.status == 0, let seconds = result.benchmarkSeconds else {
                    throw CLIError("ffmpeg failed on \(path): \(result.lastLine)")
                }
                theirs.append(seconds)
            }
            let frames = ours[0].frames
            let ourFPS = median(ours.map(\.fps))
            let theirFPS = Double(frames) / median(theirs)
            let label = convert ? "decode + rgb24" : "decode      "
            print(String(format: "%@  frames %d   vlmnode %7.1f fps   ffmpeg %7.1f fps   ratio %.2f",
                         label, frames, ourFPS, theirFPS, ourFPS / theirFPS))
        }
        print("load average: \(Bench.loadAverage())")
    }

    private func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted[sorted.count / 2]
    }
}

/// `ffmpeg -benchmark` runs: their exit status, their stderr, and the `rtime=` they report
/// (transcode time without process start-up, comparable to our open-excluded timing).
struct FFmpegRunner {
    let executable: String

    struct Output {
        let status: Int32
        let stderr: String
        var lastLine: String { stderr.split(separator: "\n").last.map(String.init) ?? "exit \(status)" }
        var benchmarkSeconds: Double? {
            guard let range = stderr.range(of: "rtime=") else { return nil }
            return Double(stderr[range.upperBound...].prefix(while: { $0.isNumber || $0 == "." }))
        }
    }

    func run(_ args: [String]) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // `-benchmark` prints its `bench: … rtime=` line at info level.
        process.arguments = [executable, "-hide_banner", "-nostdin", "-loglevel", "info"] + args
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stderr: String(decoding: data, as: UTF8.self))
    }
}

/// The 1/5/15-minute load averages, for printing next to every figure.
