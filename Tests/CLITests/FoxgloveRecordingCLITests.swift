import Foundation
import Testing
import TestSupport
import VLMBus
import VLMRecord

/// A recording of a running detection graph (lavfi source -> tiny OWL-ViT) in the default
/// Foxglove-native layout, read back by the official Python tools (Tests/Support/check_foxglove_recording.py:
/// `mcap` + `mcap-protobuf-support` + `jsonschema`) and by Rerun's converter.
@Suite(.serialized) struct FoxgloveRecordingCLITests {
    static let support = Fixtures.root.deletingLastPathComponent().appendingPathComponent("Support")
    static let pythonHasTools: Bool =
        (try? runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", "import mcap, mcap_protobuf, jsonschema"], timeout: 60))?.status == 0

    /// Records the graph for a few results; returns the file and the source frames (stamp -> crc32) seen on the bus.
    static func recordGraph(_ dir: URL) throws -> (file: String, frames: [String: UInt32], log: String) {
        let cam = "ipc://\(dir.path)/cam.sock", det = "ipc://\(dir.path)/det.sock"
        let source = try VLMNodeBinary.start(["source", "lavfi:testsrc=size=320x240:rate=15", "--bind", cam], log: dir.appendingPathComponent("source.log"))
        let file = dir.appendingPathComponent("graph.mcap").path
        let recorder = try VLMNodeBinary.start(["record", "-o", file, "--connect", cam, "--connect", det,
                                                "--topic", "/camera/image", "--topic", "/detections", "--quiet"],
                                               log: dir.appendingPathComponent("record.log"))
        // The recorder subscribes before the detector starts, so every result's source frame is recorded.
        Thread.sleep(forTimeInterval: 1.0)
        let node = try VLMNodeBinary.start(["node", "detect", "--input", cam, "--queries", "a red disc, a blue bar",
                                            "--model", Fixtures.url("models/owlvit-tiny-old").path, "--bind", det,
                                            "--max-rate", "5", "--threshold", "0", "--top-k", "3"],
                                           log: dir.appendingPathComponent("node.log"))
        let running = RunningProcesses([node, source], dir: dir.appendingPathComponent("unused"))
        defer { withExtendedLifetime(running) {} }
        // The test's own view of the source's frames, to compare pixels with.
        let frames = try Subscriber(connect: cam, topic: "/camera/image", qos: .queue(capacity: 256))
        let results = try Subscriber(connect: det, topic: "/detections", qos: .queue(capacity: 100))
        var seen: [String: UInt32] = [:]
        var count = 0
        let deadline = Date().addingTimeInterval(60)
        while count < 5 && Date() < deadline {
            if results.receive(timeout: 0.01) != nil { count += 1 }
            while let f = frames.receive(timeout: 0) {
                if let blob = f.blobs.first { seen[String(f.header.stampNs)] = CRC32.checksum(blob.bytes) }
            }
        }
        Thread.sleep(forTimeInterval: 0.5)
        recorder.interrupt()
        recorder.waitUntilExit()
        let log = ["record", "node", "source"].map { (try? String(contentsOf: dir.appendingPathComponent("\($0).log"), encoding: .utf8)) ?? "" }.joined(separator: "\n")
        #expect(count >= 5, "only \(count) detection results: \(log)")
        #expect(recorder.terminationStatus == 0, "\(log)")
        return (file, seen, log)
    }

    @Test(.enabled(if: pythonHasTools, "python3 lacks mcap / mcap-protobuf-support / jsonschema: run Scripts/setup.sh"))
    func detectionGraphRecordingReadsWithTheOfficialMCAPTools() throws {
        let dir = try makeTemporaryDirectory("fox-rec")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (file, frames, log) = try Self.recordGraph(dir)
        let framesJSON = dir.appendingPathComponent("frames.json")
        try JSONSerialization.data(withJSONObject: frames).write(to: framesJSON)
        let check = try runProcess(URL(fileURLWithPath: "/usr/bin/env"),
                                   ["python3", Self.support.appendingPathComponent("check_foxglove_recording.py").path, file, framesJSON.path],
                                   timeout: 120)
        #expect(check.status == 0, "\(check.stdout)\n\(check.stderr)\n\(log)")
        #expect(check.stdout.contains("annotations") && !check.stdout.contains("FAIL"), "\(check.stdout)")
        print("check_foxglove_recording: \(check.stdout)")

        // bag info names schemas and encodings.
        let info = try VLMNodeBinary.run(["bag", "info", file])
        #expect(info.stdout.contains("foxglove.RawImage (protobuf)") && info.stdout.contains("vlm/Detections")
                && info.stdout.contains("(jsonschema)") && info.stdout.contains("/detections/annotations"), "\(info.stdout)")

        // Rerun's own converter, where rerun-sdk is installed.
        let rerun = ProcessInfo.processInfo.environment["VLMNODE_RERUN"] ?? "rerun"
        let which = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["sh", "-c", "command -v \(rerun)"], timeout: 10)
        guard which.status == 0 else {
            print("rerun check skipped: no `rerun` on PATH (pip install rerun-sdk, or set VLMNODE_RERUN)")
            return
        }
        let rrd = dir.appendingPathComponent("graph.rrd").path
        let convert = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), [rerun, "mcap", "convert", file, "-o", rrd], timeout: 300)
        #expect(convert.status == 0, "\(convert.stdout)\n\(convert.stderr)")
        // `rrd print` lists each chunk with its entity path and component columns.
        let printed = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), [rerun, "rrd", "print", rrd], timeout: 120)
        let imageChunks = printed.stdout.split(separator: "\n").filter { $0.contains("- /camera/image - ") && $0.contains("Image:buffer") }
        #expect(printed.status == 0 && !imageChunks.isEmpty, "\(printed.stdout.prefix(3000))\n\(printed.stderr.suffix(1000))")
        print("rerun: \(imageChunks.count) chunks of /camera/image with Image components, e.g. \(imageChunks.first ?? "")")
    }
}
