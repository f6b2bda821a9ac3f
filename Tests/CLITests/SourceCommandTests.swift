import Foundation
import Testing
import TestSupport

/// `vlmnode source` as a user runs it: bad input gives one clear stderr line and a non-zero exit.
@Suite struct SourceCommandTests {
    static func ffmpeg(_ args: [String]) throws {
        let result = try runProcess(URL(fileURLWithPath: "/usr/bin/env"),
                                    ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y"] + args)
        try #require(result.status == 0, "ffmpeg failed: \(result.stderr)")
    }

    /// Runs `vlmnode source args…` expecting failure; returns its single stderr line.
    static func failure(_ args: [String]) throws -> String {
        let result = try VLMNodeBinary.run(["source"] + args, timeout: 30)
        #expect(result.status != 0, "exit 0 for \(args)")
        let lines = result.stderr.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        #expect(lines.count == 1, "stderr for \(args): \(result.stderr)")
        return lines.first.map(String.init) ?? ""
    }

    @Test func missingFile() throws {
        let line = try Self.failure(["/nonexistent/clip.mp4", "--no-realtime"])
        #expect(line.contains("/nonexistent/clip.mp4") && line.contains("No such file"))
    }

    @Test func truncatedVideo() throws {
        let dir = try makeTemporaryDirectory()
        let clip = dir.appendingPathComponent("clip.mp4")
        try Self.ffmpeg(["-f", "lavfi", "-i", "testsrc=size=160x120:rate=30", "-t", "1", "-c:v", "libx264",
                         "-preset", "ultrafast", "-pix_fmt", "yuv420p", clip.path])
        let data = try Data(contentsOf: clip)
        let cut = dir.appendingPathComponent("truncated.mp4")
        try data.prefix(data.count / 3).write(to: cut)
        let line = try Self.failure([cut.path])
        #expect(line.contains("truncated.mp4") && line.contains("Invalid data"))
    }

    @Test func unknownDevice() throws {
        #expect(try Self.failure(["/dev/video93"]).contains("/dev/video93"))
        #expect(try Self.failure(["nosuchdev:whatever"]).contains("'nosuchdev'"))
    }

    @Test func badURL() throws {
        #expect(try Self.failure(["rtsp://127.0.0.1:9/cam"]).contains("rtsp://127.0.0.1:9/cam"))
        #expect(try Self.failure(["http://127.0.0.1:9/clip.mp4"]).contains("http://127.0.0.1:9/clip.mp4"))
    }

    @Test func badOptions() throws {
        for size in ["640", "0x480", "axb", "640x480x2"] {
            #expect(try Self.failure(["lavfi:testsrc", "--size", size]).contains("--size '\(size)'"))
        }
        #expect(try Self.failure(["lavfi:testsrc", "--encoding", "rgba"]).contains("--encoding 'rgba'"))
        #expect(try Self.failure(["lavfi:testsrc", "--fps", "0"]).contains("--fps"))
    }

    @Test func busyEndpoint() throws {
        let endpoint = "ipc://\(try makeTemporaryDirectory().path)/busy.sock"
        let first = Process()
        first.executableURL = VLMNodeBinary.url
        first.arguments = ["source", "lavfi:testsrc=size=32x24:rate=5", "--bind", endpoint]
        let out = Pipe()
        first.standardOutput = out
        try first.run()
        defer { kill(first.processIdentifier, SIGINT); first.waitUntilExit() }
        _ = out.fileHandleForReading.availableData // its endpoint line: bound
        let line = try Self.failure(["lavfi:testsrc", "--bind", endpoint])
        #expect(line.contains(endpoint) && line.contains("in use"), "\(line)")
        // tcp: a port the first source holds.
        let tcpFirst = try VLMNodeBinary.run(["source", "lavfi:testsrc=size=32x24:rate=5", "--frames", "1", "--no-realtime"])
        #expect(tcpFirst.stdout.contains("tcp://127.0.0.1:"))
    }

    @Test func publishesAndSummarises() throws {
        let result = try VLMNodeBinary.run(["source", "lavfi:testsrc=size=64x48:rate=30", "--frames", "5",
                                            "--no-realtime", "--bind", "ipc://\(try makeTemporaryDirectory().path)/s.sock"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("published 5 frames"))
    }

    @Test func sigintEndsCleanlyWithASummary() throws {
        let process = Process()
        process.executableURL = VLMNodeBinary.url
        process.arguments = ["source", "lavfi:testsrc=size=64x48:rate=10",
                             "--bind", "ipc://\(try makeTemporaryDirectory().path)/s.sock"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        Thread.sleep(forTimeInterval: 1.0)
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)
        #expect(text.contains("published "))
    }
}
