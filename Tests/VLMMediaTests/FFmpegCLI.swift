import Foundation
import TestSupport
import Testing

/// The ffmpeg CLI as the reference decoder, and a maker of small test clips (never committed).
enum FFmpegCLI {
    static let executable: URL = {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(dir)).appendingPathComponent("ffmpeg")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return URL(fileURLWithPath: "/usr/bin/ffmpeg")
    }()

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs `ffmpeg -hide_banner -nostdin -y args…`; throws with its stderr on failure.
    static func run(_ args: [String]) throws {
        let result = try runProcess(executable, ["-hide_banner", "-nostdin", "-loglevel", "error", "-y"] + args,
                                    timeout: 120)
        if result.status != 0 { throw Failure(description: "ffmpeg \(args.joined(separator: " ")): \(result.stderr)") }
    }

    /// Raw packed frames as the CLI decodes them: `ffmpeg <input> [filters] -f rawvideo -pix_fmt FMT`.
    static func rawFrames(input: [String], pixelFormat: String, extra: [String] = [], in dir: URL) throws -> Data {
        let out = dir.appendingPathComponent("ref-\(UUID().uuidString.prefix(6)).raw")
        try run(input + extra + ["-f", "rawvideo", "-pix_fmt", pixelFormat, out.path])
        return try Data(contentsOf: out)
    }

    /// A small clip of `testsrc` (distinct content per frame), encoded with `codec`.
    static func makeClip(in dir: URL, name: String = "clip.mp4", size: String = "320x240", rate: Int = 30,
                         seconds: Double = 1, codec: [String] = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]) throws -> URL {
        let out = dir.appendingPathComponent(name)
        try run(["-f", "lavfi", "-i", "testsrc=size=\(size):rate=\(rate)", "-t", "\(seconds)"] + codec + [out.path])
        return out
    }
}

/// Compares decoded frames with reference frames, naming the first frame that differs
/// (a plain `#expect(a == b)` on megabytes of Data prints megabytes).
func expectSameFrames(_ actual: Data, _ reference: Data, frameBytes: Int,
                      sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
    try #require(actual.count == reference.count,
                 "got \(actual.count) bytes (\(actual.count / frameBytes) frames), ffmpeg gave \(reference.count) (\(reference.count / frameBytes) frames)",
                 sourceLocation: sourceLocation)
    if actual == reference { return }
    var firstBad = 0
    while firstBad * frameBytes < actual.count {
        let range = firstBad * frameBytes..<min(actual.count, (firstBad + 1) * frameBytes)
        if actual[range] != reference[range] { break }
        firstBad += 1
    }
    Issue.record("frame \(firstBad) differs from ffmpeg's", sourceLocation: sourceLocation)
}
