import Foundation
import Testing
import TestSupport

/// Examples/python/frames_subscriber.py (pyzmq + numpy only) against a real `vlmnode source`.
@Suite struct SourceExampleClientTests {
    static let script = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Examples/python/frames_subscriber.py")
    static let runnable: Bool = FileManager.default.fileExists(atPath: script.path)
        && (try? runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", "import zmq, numpy"], timeout: 30))?.status == 0

    @Test(.enabled(if: runnable, "Examples/python/frames_subscriber.py missing, or python3 lacks zmq/numpy"))
    func pythonExampleReceivesEveryFrameOfARealSource() throws {
        let dir = try makeTemporaryDirectory()
        let endpoint = "ipc://\(dir.path)/example.sock"
        let source = Process()
        source.executableURL = VLMNodeBinary.url
        source.arguments = ["source", "lavfi:testsrc=size=160x120:rate=30", "--frames", "30",
                            "--bind", endpoint, "--wait-subscribers", "1", "--wait-timeout", "20"]
        let out = Pipe()
        source.standardOutput = out
        try source.run()
        defer { if source.isRunning { kill(source.processIdentifier, SIGINT) }; source.waitUntilExit() }
        _ = out.fileHandleForReading.availableData // the endpoint line: bound and waiting
        let client = try runProcess(URL(fileURLWithPath: "/usr/bin/env"),
                                    ["python3", Self.script.path, "--connect", endpoint, "--count", "30", "--timeout", "10"],
                                    timeout: 60)
        #expect(client.status == 0, "\(client.stderr)")
        #expect(client.stdout.contains("received 30 frames, 0 missed (seq gaps), 0 malformed"), "\(client.stdout)")

        // Each printed frame mean equals the mean of ffmpeg's own decode of that frame.
        let raw = dir.appendingPathComponent("ref.raw")
        let ffmpeg = try runProcess(URL(fileURLWithPath: "/usr/bin/env"),
                                    ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-f", "lavfi",
                                     "-i", "testsrc=size=160x120:rate=30", "-frames:v", "30", "-f", "rawvideo",
                                     "-pix_fmt", "rgb24", raw.path])
        try #require(ffmpeg.status == 0, "\(ffmpeg.stderr)")
        let reference = try Data(contentsOf: raw)
        let frameBytes = 160 * 120 * 3
        let lines = client.stdout.split(separator: "\n").filter { $0.hasPrefix("seq=") }
        #expect(lines.count == 30)
        for (i, line) in lines.enumerated() {
            #expect(line.hasPrefix("seq=\(i) 160x120 rgb8 \(frameBytes) bytes"), "\(line)")
            let sum = reference[(i * frameBytes)..<((i + 1) * frameBytes)].reduce(0) { $0 + Int($1) }
            let mean = String(format: "%.1f", Double(sum) / Double(frameBytes))
            #expect(line.contains("mean=\(mean) "), "frame \(i): expected mean \(mean): \(line)")
        }
    }
}
