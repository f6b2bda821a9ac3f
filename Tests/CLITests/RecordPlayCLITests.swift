import Foundation
import Testing
import TestSupport
import VLMBus
import VLMRecord

/// Live record → play over real ZeroMQ (ipc on this host): exact bytes, timing, SIGINT, SIGKILL.
@Suite(.serialized) struct RecordPlayCLITests {
    struct Sent {
        var topic: String
        var header: String
        var blob: [UInt8]?
        var at: UInt64
    }

    static func endpoint(_ dir: URL, _ name: String) -> String { "ipc://\(dir.path)/\(name).sock" }

    /// Starts `vlmnode ARGS` without waiting (stderr collected to a file, stdout to another).
    static func start(_ args: [String], dir: URL) throws -> Process {
        let p = Process()
        p.executableURL = VLMNodeBinary.url
        p.arguments = args
        p.standardInput = FileHandle.nullDevice
        _ = FileManager.default.createFile(atPath: dir.appendingPathComponent("err.txt").path, contents: nil)
        p.standardError = try FileHandle(forWritingTo: dir.appendingPathComponent("err.txt"))
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        return p
    }

    /// Publishes `count` messages at `fps`: frames (w x h rgb8) on /cam, every third also a result on /det.
    static func publish(_ pub: Publisher, count: Int, fps: Double, width: Int, height: Int) throws -> [Sent] {
        var sent: [Sent] = []
        let start = Clock.monotonicNs() + 10_000_000
        for i in 0..<count {
            Clock.sleep(untilMonotonic: start + UInt64(Double(i) / fps * 1e9))
            let info = FrameInfo(width: width, height: height, encoding: .rgb8)
            let buffer = malloc(info.byteCount)!
            memset(buffer, Int32(i & 0xFF), info.byteCount)
            for k in stride(from: 0, to: info.byteCount, by: 997) { buffer.storeBytes(of: UInt8(truncatingIfNeeded: k &+ i), toByteOffset: k, as: UInt8.self) }
            let blob = try Blob(takingOwnershipOf: buffer, count: info.byteCount)
            let stamp = BusClock.nowNs()
            try pub.publishFrame(topic: "/cam", seq: UInt64(i), stampNs: stamp, frame: info, pixels: blob)
            var header = MessageHeader(type: FrameInfo.messageType, seq: UInt64(i), stampNs: stamp, fields: info.fields)
            header.blobSizes = [info.byteCount]
            sent.append(Sent(topic: "/cam", header: header.jsonText, blob: blob.bytes, at: Clock.monotonicNs()))
            if i % 3 == 0 {
                let det = MessageHeader(type: "vlm/Detections", seq: UInt64(i / 3), stampNs: stamp, sourceSeq: UInt64(i),
                                        sourceStampNs: stamp, fields: ["detections": .array([])])
                try pub.publish(topic: "/det", header: det)
                var withBlobs = det
                withBlobs.blobSizes = []
                sent.append(Sent(topic: "/det", header: withBlobs.jsonText, blob: nil, at: Clock.monotonicNs()))
            }
        }
        return sent
    }

    /// Both layouts (Foxglove-native, the default, and `--format native`) play back the exact wire messages.
    @Test(arguments: ["foxglove", "native"])
    func recordThenPlayGivesIdenticalBytesAndTiming(format: String) throws {
        let dir = try makeTemporaryDirectory("vlmrec")
        let file = dir.appendingPathComponent("live.mcap").path
        let pub = try Publisher(bind: Self.endpoint(dir, "pub"), qos: .queue(capacity: 64))
        let recorder = try Self.start(["record", "-o", file, "--connect", pub.endpoint, "--topic", "/cam", "--topic", "/det",
                                       "--format", format], dir: dir)
        #expect(pub.waitForSubscribers(1, timeout: 20), "recorder never subscribed")
        Thread.sleep(forTimeInterval: 0.3)
        let sent = try Self.publish(pub, count: 45, fps: 30, width: 320, height: 240)
        Thread.sleep(forTimeInterval: 0.5)
        recorder.interrupt()  // SIGINT: must finish the file cleanly
        recorder.waitUntilExit()
        let err = (try? String(contentsOf: dir.appendingPathComponent("err.txt"), encoding: .utf8)) ?? ""
        #expect(recorder.terminationStatus == 0, "record failed: \(err)")

        let reader = try MCAPReader(path: file)
        #expect(reader.usedSummary && reader.damage == nil, "SIGINT left an unfinished file")
        try reader.verify()
        // Foxglove-native files add one derived annotations message per result that names a frame.
        let derived = format == "foxglove" ? sent.filter { $0.topic == "/det" }.count : 0
        #expect(reader.statistics?.messageCount == UInt64(sent.count + derived))
        let encodings = Set(reader.channels.values.map(\.messageEncoding))
        #expect(encodings == (format == "foxglove" ? ["protobuf", "json"] : ["x-vlmnode-multipart"]))

        // Play it back to a subscriber that connects first.
        let playEndpoint = Self.endpoint(dir, "play")
        let sub = try Subscriber(connect: [playEndpoint], topics: ["/cam", "/det"], qos: .queue(capacity: 1000))
        let player = try Self.start(["play", file, "--bind", playEndpoint, "--delay", "1.0"], dir: dir)
        var got: [Sent] = []
        let deadline = Date(timeIntervalSinceNow: 30)
        while got.count < sent.count && Date() < deadline {
            guard let m = sub.receive(timeout: 0.2) else { continue }
            got.append(Sent(topic: m.topic, header: m.header.jsonText, blob: m.blobs.first?.bytes, at: Clock.monotonicNs()))
        }
        player.waitUntilExit()
        #expect(player.terminationStatus == 0)
        #expect(got.count == sent.count)
        #expect(got.map(\.topic) == sent.map(\.topic))
        #expect(got.map(\.header) == sent.map(\.header))
        #expect(got.map(\.blob) == sent.map(\.blob))
        guard got.count == sent.count else { return }
        var errors: [Double] = []
        for i in 1..<sent.count {
            errors.append(abs(Double(Int64(got[i].at - got[i - 1].at) - Int64(sent[i].at - sent[i - 1].at))) / 1e6)
        }
        let verdict = timingVerdict(errors)
        #expect(verdict.ok, "replay interval error \(verdict.message)")
    }

    @Test func sigkilledRecorderLeavesARecoverableFile() throws {
        let dir = try makeTemporaryDirectory("vlmrec")
        let file = dir.appendingPathComponent("killed.mcap").path
        let pub = try Publisher(bind: Self.endpoint(dir, "pub"), qos: .queue(capacity: 64))
        let recorder = try Self.start(["record", "-o", file, "--connect", pub.endpoint, "--topic", "/cam", "--topic", "/det"], dir: dir)
        #expect(pub.waitForSubscribers(1, timeout: 20))
        Thread.sleep(forTimeInterval: 0.3)
        // 640x480 frames (> 512 KiB: written as they arrive) and small results (chunked, flushed within 1 s).
        let sent = try Self.publish(pub, count: 60, fps: 30, width: 640, height: 480)
        Thread.sleep(forTimeInterval: 0.2)
        kill(recorder.processIdentifier, SIGKILL)
        recorder.waitUntilExit()
        let killedAt = Clock.monotonicNs()

        let reader = try MCAPReader(path: file)
        #expect(!reader.usedSummary)
        var recovered: [String] = []
        let it = try reader.messages()
        while let m = try it.nextMessage() {
            guard let parts = try RecordedChannel.wireParts(channel: m.channel, data: m.data) else { continue }  // derived annotations
            recovered.append(String(decoding: parts[0], as: UTF8.self))
        }
        // Everything older than the last second before the kill must be there, in order.
        let old = sent.filter { killedAt - $0.at > 1_000_000_000 }
        #expect(recovered.count >= old.count)
        #expect(Array(recovered.prefix(old.count)) == old.map(\.header))
        // Frames go to disk as they arrive: all of them survive.
        #expect(recovered.filter { $0.contains("vlm/Frame") } == sent.filter { $0.topic == "/cam" }.map(\.header))
    }

    @Test func durationStopsAndMaxSizeSplitsIntoCompleteFiles() throws {
        let dir = try makeTemporaryDirectory("vlmrec")
        let base = dir.appendingPathComponent("split.mcap").path
        let pub = try Publisher(bind: Self.endpoint(dir, "pub"), qos: .queue(capacity: 64))
        let recorder = try Self.start(["record", "-o", base, "--connect", pub.endpoint, "--topic", "/cam", "--topic", "/det",
                                       "--duration", "3", "--max-size", "2M"], dir: dir)
        #expect(pub.waitForSubscribers(1, timeout: 20))
        Thread.sleep(forTimeInterval: 0.2)
        let sent = try Self.publish(pub, count: 12, fps: 30, width: 640, height: 480)
        recorder.waitUntilExit()  // --duration ends it
        #expect(recorder.terminationStatus == 0)
        var total = 0, index = 0
        while FileManager.default.fileExists(atPath: Recorder.splitPath(base, index: index)) {
            let path = Recorder.splitPath(base, index: index)
            let reader = try MCAPReader(path: path)
            #expect(reader.usedSummary, "\(path) was not finished")
            #expect(reader.fileSize <= 2 << 20, "\(path) is \(reader.fileSize) bytes")
            total += try readAllCount(reader)
            index += 1
        }
        #expect(index >= 5)  // 12 frames of 900 KiB, at most two per 2 MiB file
        #expect(total == sent.count)
    }

    func readAllCount(_ reader: MCAPReader) throws -> Int {
        var n = 0
        let it = try reader.messages()
        // Wire messages only: Foxglove-native files add derived annotation messages.
        while let m = try it.nextMessage() {
            if m.channel.metadata[RecordedChannel.derivedKey] == nil { n += 1 }
        }
        return n
    }

    @Test func recordAndPlayRejectBadInput() throws {
        let dir = try makeTemporaryDirectory("vlmrec")
        let all = try VLMNodeBinary.run(["record", "-o", dir.appendingPathComponent("a.mcap").path, "--all"],
                                        environment: ["VLMNODE_RUNTIME_DIR": dir.path])
        #expect(all.status != 0 && all.stderr.contains("registry"))
        let fixture = Fixtures.url("mcap/python_writer.mcap").path
        let unknown = try VLMNodeBinary.run(["play", fixture, "--bind", Self.endpoint(dir, "p"), "--topics", "/nope"])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("/nope") && unknown.stderr.contains("/camera/image"), "\(unknown.stderr)")
        let remap = try VLMNodeBinary.run(["play", fixture, "--bind", Self.endpoint(dir, "p"), "--remap", "/camera/image"])
        #expect(remap.status != 0 && remap.stderr.contains("FROM:=TO"))
        let notMCAP = try VLMNodeBinary.run(["play", "/etc/hostname", "--bind", Self.endpoint(dir, "p")])
        #expect(notMCAP.status != 0 && notMCAP.stderr.contains("not an MCAP file"))
    }

    @Test func playsAFileWrittenByThePythonWriter() throws {
        let dir = try makeTemporaryDirectory("vlmrec")
        let endpoint = Self.endpoint(dir, "play")
        let sub = try Subscriber(connect: [endpoint], topics: ["/camera/image", "/replayed"], qos: .queue(capacity: 1000))
        let result = try VLMNodeBinary.run(["play", Fixtures.url("mcap/python_writer.mcap").path, "--bind", endpoint,
                                            "--delay", "1.0", "--rate", "4", "--remap", "/detections:=/replayed"])
        #expect(result.status == 0, "\(result.stderr)")
        var frames: [UInt64] = [], results = 0
        while let m = sub.receive(timeout: 0.5) {
            if m.topic == "/camera/image" {
                frames.append(m.header.seq)
                #expect(m.blobs.first?.bytes == (0..<8).map { UInt8((Int(m.header.seq) + $0) % 256) })
            } else {
                results += 1
            }
        }
        #expect(frames == Array(0..<30))
        #expect(results == 10)
    }

    /// SIGINT stops a looping play cleanly (VLMNode's StopSignal): exit 0 and the summary line,
    /// even while the player sleeps until the next message is due.
    @Test func sigintStopsALoopingPlay() throws {
        let dir = try makeTemporaryDirectory("vlmrec")
        let endpoint = Self.endpoint(dir, "play")
        let sub = try Subscriber(connect: [endpoint], topics: ["/camera/image"], qos: .queue(capacity: 1000))
        let player = try Self.start(["play", Fixtures.url("mcap/python_writer.mcap").path, "--bind", endpoint, "--loop"], dir: dir)
        defer { if player.isRunning { kill(player.processIdentifier, SIGKILL) } }
        #expect(sub.receive(timeout: 20) != nil, "play published nothing")
        player.interrupt()
        let deadline = Date(timeIntervalSinceNow: 10)
        while player.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        let err = (try? String(contentsOf: dir.appendingPathComponent("err.txt"), encoding: .utf8)) ?? ""
        #expect(!player.isRunning, "play ignored SIGINT: \(err)")
        guard !player.isRunning else { return }
        #expect(player.terminationReason == .exit && player.terminationStatus == 0, "\(err)")
        #expect(err.contains("played "), "\(err)")
    }
}


/// `--start-paused` on a terminal: nothing is sent until the space bar, then everything is.
@Suite struct PlayPauseCLITests {
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "needs util-linux `script` for a pseudo-terminal"))
    func spaceBarResumesAStartPausedPlay() throws {
        let dir = try makeTemporaryDirectory("vlmplay")
        let endpoint = "ipc://\(dir.path)/p.sock"
        let sub = try Subscriber(connect: [endpoint], topics: ["/camera/image"], qos: .queue(capacity: 100))
        let command = [VLMNodeBinary.url.path, "play", Fixtures.url("mcap/python_writer.mcap").path, "--start-paused",
                       "--delay", "0.5", "--rate", "4", "--bind", endpoint].joined(separator: " ")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        p.arguments = ["-qec", command, "/dev/null"]
        let input = Pipe()
        p.standardInput = input
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        #expect(sub.receive(timeout: 2.0) == nil, "a paused player published")
        input.fileHandleForWriting.write(Data(" ".utf8))
        var frames = 0
        while sub.receive(timeout: 1.0) != nil { frames += 1 }
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(frames == 30)
    }
}
