import Foundation
import Testing
import TestSupport
@testable import VLMBus

private let repoRoot = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()

private func succeeds(_ tool: String, _ args: [String]) -> Bool {
    (try? runProcess(URL(fileURLWithPath: "/usr/bin/env"), [tool] + args, timeout: 30))?.status == 0
}

private let pythonHasZMQ = succeeds("python3", ["-c", "import zmq, numpy"])
private let haveCCompilerAndZMQ = FileManager.default.fileExists(atPath: "/usr/include/zmq.h") && succeeds("cc", ["--version"])

/// Runs `client` while publishing 64x48 rgb8 frames (every byte = seq) until it exits.
private func runAgainstPublisher(_ client: @escaping @Sendable (String) throws -> ProcessResult) throws -> ProcessResult {
    try runAgainstPublisherWithStats(client).0
}

private func runAgainstPublisherWithStats(_ client: @escaping @Sendable (String) throws -> ProcessResult) throws -> (ProcessResult, PublisherStats) {
    let pub = try Publisher(bind: temporaryIPCEndpoint("frames"))
    let endpoint = pub.endpoint
    nonisolated(unsafe) var result: Result<ProcessResult, Error>?
    let done = DispatchSemaphore(value: 0)
    Thread {
        result = Result { try client(endpoint) }
        done.signal()
    }.start()
    var seq: UInt64 = 0
    while done.wait(timeout: .now() + .milliseconds(20)) == .timedOut {
        let (info, blob) = try makeFrameBlob(width: 64, height: 48, seq: seq)
        try pub.publishFrame(topic: "/camera/image", seq: seq, stampNs: BusClock.nowNs(), frame: info, pixels: blob)
        seq += 1
    }
    return (try result!.get(), pub.stats)
}

/// The `seq=N … mean=M` (or `first=M`) lines: each frame's pixels must all equal seq mod 256.
private func checkFrameLines(_ output: String, count: Int, valueKey: String) {
    let lines = output.split(separator: "\n").filter { $0.hasPrefix("seq=") }
    #expect(lines.count == count, "\(output)")
    for line in lines {
        let fields = Dictionary(line.split(separator: " ").compactMap { f -> (String, String)? in
            let kv = f.split(separator: "=", maxSplits: 1)
            return kv.count == 2 ? (String(kv[0]), String(kv[1])) : nil
        }, uniquingKeysWith: { a, _ in a })
        let seq = Int(fields["seq"] ?? "") ?? -1
        #expect(line.contains("64x48 rgb8 9216 bytes"), "\(line)")
        #expect(Double(fields[valueKey] ?? "") == Double(seq % 256), "\(line)")
    }
}

@Test(.enabled(if: pythonHasZMQ, "python3 cannot import zmq and numpy: the Python example is not tested"))
func pythonExampleReceivesFramesFromASwiftPublisher() throws {
    let script = repoRoot.appendingPathComponent("Examples/python/frames_subscriber.py").path
    let result = try runAgainstPublisher { endpoint in
        try runProcess(URL(fileURLWithPath: "/usr/bin/env"),
                       ["python3", script, "--connect", endpoint, "--count", "5", "--timeout", "10"], timeout: 60)
    }
    #expect(result.status == 0, "\(result.stderr)")
    checkFrameLines(result.stdout, count: 5, valueKey: "mean")
    #expect(result.stdout.contains("received 5 frames"))
}

@Test(.enabled(if: pythonHasZMQ, "python3 cannot import zmq and numpy: the Python example is not tested"))
func slowPythonClientGetsFreshFramesAndThePublisherCountsItsDrops() throws {
    let script = repoRoot.appendingPathComponent("Examples/python/frames_subscriber.py").path
    let (result, stats) = try runAgainstPublisherWithStats { endpoint in
        try runProcess(URL(fileURLWithPath: "/usr/bin/env"),
                       ["python3", script, "--connect", endpoint, "--count", "4", "--latest", "--sleep", "0.3",
                        "--report", "--timeout", "10"], timeout: 60)
    }
    #expect(result.status == 0, "\(result.stderr)")
    checkFrameLines(result.stdout, count: 4, valueKey: "mean")
    // Frames come every 20 ms; after a 0.3 s nap a stale queue would hand over a ~0.3 s old one.
    let latencies = result.stdout.split(separator: "\n").compactMap { line -> Double? in
        guard let r = line.range(of: "latency=") else { return nil }
        return Double(line[r.upperBound...].split(separator: " ")[0])
    }
    #expect(latencies.count == 4 && latencies.allSatisfy { $0 < 150 }, "\(latencies)")
    #expect(stats.reportingSubscribers == 1)
    #expect(stats.totalDroppedForSlowPeers >= 30, "publisher saw \(stats.totalDroppedForSlowPeers) drops")
}

@Test(.enabled(if: haveCCompilerAndZMQ, "no C compiler or zmq.h: the C example is not tested"))
func cExampleBuildsAndReceivesFrames() throws {
    let dir = try makeTemporaryDirectory("c-example")
    let binary = dir.appendingPathComponent("frames_subscriber").path
    let source = repoRoot.appendingPathComponent("Examples/c/frames_subscriber.c").path
    let build = try runProcess(URL(fileURLWithPath: "/usr/bin/env"),
                               ["cc", "-O2", "-Wall", "-Werror", "-o", binary, source, "-lzmq"], timeout: 60)
    #expect(build.status == 0, "\(build.stderr)")
    let result = try runAgainstPublisher { endpoint in
        try runProcess(URL(fileURLWithPath: binary), [endpoint, "/camera/image", "5"], timeout: 60)
    }
    #expect(result.status == 0, "\(result.stderr)")
    checkFrameLines(result.stdout, count: 5, valueKey: "first")
    #expect(result.stdout.contains("received 5 frames, 0 malformed"))
}

/// Examples/c/shm_frames_subscriber.c reads frames in place from the publisher's ring; the first
/// frame, held past the ring's lap, is torn: dropped and counted, never printed.
@Test(.enabled(if: haveCCompilerAndZMQ, "no C compiler or zmq.h: the C example is not tested"))
func cSharedMemoryExampleReadsFramesInPlaceAndDropsATornOne() throws {
    let dir = try makeTemporaryDirectory("c-shm-example")
    let binary = dir.appendingPathComponent("shm_frames_subscriber").path
    let source = repoRoot.appendingPathComponent("Examples/c/shm_frames_subscriber.c").path
    let build = try runProcess(URL(fileURLWithPath: "/usr/bin/env"),
                               ["cc", "-O2", "-Wall", "-Wextra", "-Werror", "-o", binary, source, "-lzmq"], timeout: 60)
    #expect(build.status == 0, "\(build.stderr)")
    // Frames every 20 ms through a six-slot ring: a 600 ms hold is lapped several times over.
    let result = try runAgainstPublisher { endpoint in
        try runProcess(URL(fileURLWithPath: binary), [endpoint, "/camera/image", "5", "600"], timeout: 60)
    }
    #expect(result.status == 0, "\(result.stderr)")
    checkFrameLines(result.stdout, count: 5, valueKey: "first")
    #expect(result.stdout.split(separator: "\n").filter { $0.hasPrefix("seq=") }.allSatisfy { $0.contains(" uniform=1 ") })
    #expect(result.stdout.contains("received 5 frames, 0 malformed; shared memory: 1 torn, "), "\(result.stdout)")
    #expect(result.stdout.contains(" 0 unavailable"))
}
