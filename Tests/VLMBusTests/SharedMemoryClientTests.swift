import Foundation
import Testing
import TestSupport
@testable import VLMBus

private let repoRoot = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()
private let pythonHasZMQ = (try? runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", "import zmq, numpy"],
                                            timeout: 30))?.status == 0

/// `seq=N … crc32=X` lines of frames_subscriber.py.
private func crcLines(_ output: String) -> [UInt64: UInt32] {
    var out: [UInt64: UInt32] = [:]
    for line in output.split(separator: "\n") where line.hasPrefix("seq=") {
        let f = Dictionary(line.split(separator: " ").compactMap { p -> (Substring, Substring)? in
            let kv = p.split(separator: "=", maxSplits: 1)
            return kv.count == 2 ? (kv[0], kv[1]) : nil
        }, uniquingKeysWith: { a, _ in a })
        if let s = f["seq"].flatMap({ UInt64($0) }), let c = f["crc32"].flatMap({ UInt32($0, radix: 16) }) { out[s] = c }
    }
    return out
}

/// Must show: a shared-memory subscriber (Swift), a Python one reading the ring with numpy, and a
/// plain pyzmq SUB that never asked for shared memory all receive the same pixels.
@Test(.enabled(if: pythonHasZMQ, "python3 cannot import zmq and numpy"))
func sharedAndInlinePythonClientsAndASwiftSharedSubscriberSeeIdenticalPixels() throws {
    let script = repoRoot.appendingPathComponent("Examples/python/frames_subscriber.py").path
    let pub = try Publisher(bind: temporaryIPCEndpoint("mixed-py"))
    let swiftShared = try Subscriber(connect: [pub.endpoint], sharedMemoryTopics: ["/camera/image"], qos: .latest)
    let endpoint = pub.endpoint
    nonisolated(unsafe) var results: [ProcessResult?] = [nil, nil]
    let group = DispatchGroup()
    for (i, extra) in [[], ["--shm"]].enumerated() {
        group.enter()
        Thread {
            results[i] = try? runProcess(URL(fileURLWithPath: "/usr/bin/env"),
                                         ["python3", script, "--connect", endpoint, "--count", "8", "--timeout", "20"] + extra,
                                         timeout: 60)
            group.leave()
        }.start()
    }
    var swiftCRCs: [UInt64: UInt32] = [:]
    var seq: UInt64 = 0
    while group.wait(timeout: .now() + .milliseconds(20)) == .timedOut {
        let (info, blob) = try patternFrame(width: 64, height: 48, seq: seq)
        try pub.publishFrame(topic: "/camera/image", seq: seq, stampNs: BusClock.nowNs(), frame: info, pixels: blob)
        seq += 1
        while let m = swiftShared.receive(timeout: 0.001) {
            #expect(m.sharedFrame != nil)
            if let crc = m.withFramePixels({ crc32($0) }) { swiftCRCs[m.header.seq] = crc }
        }
    }
    let inline = try #require(results[0]), shared = try #require(results[1])
    #expect(inline.status == 0 && shared.status == 0, "\(inline.stderr)\n\(shared.stderr)")
    let inlineCRCs = crcLines(inline.stdout), sharedCRCs = crcLines(shared.stdout)
    #expect(inlineCRCs.count == 8 && sharedCRCs.count == 8, "\(inline.stdout)\n\(shared.stdout)")
    #expect(shared.stdout.contains("shared memory: ") && !shared.stdout.contains(" 0 resolved"))
    for (s, crc) in inlineCRCs.merging(sharedCRCs, uniquingKeysWith: { a, _ in a }) {
        #expect(crc == patternCRC(width: 64, height: 48, seq: s), "seq \(s)")
    }
    for (s, crc) in sharedCRCs where swiftCRCs[s] != nil { #expect(swiftCRCs[s] == crc) }
    for (s, crc) in inlineCRCs where sharedCRCs[s] != nil { #expect(sharedCRCs[s] == crc) }
    #expect(swiftCRCs.count >= 8)
    #expect(pub.sharedMemoryStats.framesWritten >= 8)
}

/// The Python SDK's reader (python/vlmnode/shm.py) drops a frame whose slot was overwritten while it held the view.
@Test(.enabled(if: pythonHasZMQ, "python3 cannot import zmq and numpy"))
func pythonSharedReaderDetectsASlotOverwrittenWhileItHeldTheView() throws {
    let script = """
        import json, sys, zmq
        sys.path.insert(0, sys.argv[2])
        from vlmnode import shm as vlm_shm
        sub = zmq.Context().socket(zmq.SUB)
        sub.setsockopt(zmq.SUBSCRIBE, b"@shm:/t")
        sub.setsockopt(zmq.RCVTIMEO, 20000)
        sub.connect(sys.argv[1])
        frames = vlm_shm.SharedFrames()
        view = None
        while view is None:
            topic, header = sub.recv_multipart()
            view = frames.resolve(json.loads(header))
        first = int(view.pixels[0, 0, 0])
        print("HOLD", json.loads(header)["seq"], view.intact(), flush=True)
        sys.stdin.readline()  # the publisher laps the ring meanwhile
        print("AFTER", view.intact(), frames.torn, flush=True)
        """
    let pub = try Publisher(bind: temporaryIPCEndpoint("py-torn"))
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script, pub.endpoint, repoRoot.appendingPathComponent("python").path]
    let input = Pipe(), output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    try process.run()
    var text = ""
    var seq: UInt64 = 0
    let deadline = Date(timeIntervalSinceNow: 30)
    // Publish slowly until the client holds a view (it reads the slot in place, unpinned).
    while !text.contains("HOLD") && Date() < deadline {
        let (info, blob) = try patternFrame(width: 16, height: 16, seq: seq)
        try pub.publishFrame(topic: "/t", seq: seq, stampNs: BusClock.nowNs(), frame: info, pixels: blob)
        seq += 1
        usleep(50_000)
        if pub.sharedMemoryStats.framesWritten > 0, text.isEmpty || !text.contains("\n") {
            let fd = output.fileHandleForReading.fileDescriptor
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&pfd, 1, 0) > 0 { text += String(decoding: output.fileHandleForReading.availableData, as: UTF8.self) }
        }
    }
    #expect(text.contains("HOLD") && text.contains("True"), "\(text)")
    for _ in 0..<20 {  // more than the ring's six slots
        let (info, blob) = try patternFrame(width: 16, height: 16, seq: seq)
        try pub.publishFrame(topic: "/t", seq: seq, stampNs: BusClock.nowNs(), frame: info, pixels: blob)
        seq += 1
    }
    input.fileHandleForWriting.write(Data("go\n".utf8))
    process.waitUntilExit()
    text += String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    #expect(process.terminationStatus == 0)
    #expect(text.contains("AFTER False 1"), "\(text)")
}
