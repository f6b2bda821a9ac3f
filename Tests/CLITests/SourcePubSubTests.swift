import Foundation
import Testing
import TestSupport

/// The issue's must-show: a plain pyzmq SUB receives `vlmnode source` frames whose bytes equal
/// the ffmpeg CLI's rawvideo decode of the same input.
@Suite(.serialized) struct SourcePubSubTests {
    static let pyzmqAvailable: Bool = {
        (try? runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", "import zmq"], timeout: 30))?.status == 0
    }()

    /// Receives COUNT messages on TOPIC with nothing but pyzmq; writes the blobs back to back to OUT
    /// and the headers (plus receive time and part sizes) to OUT.json.
    static let subscriber = #"""
        import json, sys, time, zmq
        endpoint, topic, count, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
        ctx = zmq.Context()
        sub = ctx.socket(zmq.SUB)
        sub.setsockopt(zmq.SUBSCRIBE, topic.encode())
        sub.setsockopt(zmq.RCVTIMEO, 20000)
        sub.setsockopt(zmq.RCVHWM, 1000)
        sub.connect(endpoint)
        print("connected", flush=True)
        headers = []
        with open(out, "wb") as f:
            while len(headers) < count:
                parts = sub.recv_multipart()
                header = json.loads(parts[1])
                header["_recv_ns"] = time.time_ns()
                header["_topic"] = parts[0].decode()
                header["_blob_sizes"] = [len(p) for p in parts[2:]]
                f.write(parts[2])
                headers.append(header)
        json.dump(headers, open(out + ".json", "w"))
        """#

    struct Received {
        let bytes: Data
        let headers: [[String: Any]]
    }

    /// Starts the pyzmq SUB, then `vlmnode source` with `sourceArgs`, and collects `count` frames.
    static func receive(count: Int, sourceArgs: [String], dir: URL) throws -> (Received, ProcessResult) {
        let endpoint = "ipc://\(dir.path)/x.sock"
        let out = dir.appendingPathComponent("received.raw")
        let script = dir.appendingPathComponent("sub.py")
        try subscriber.write(to: script, atomically: true, encoding: .utf8)
        let sub = Process()
        sub.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        sub.arguments = ["python3", script.path, endpoint, "/camera/image", "\(count)", out.path]
        let subOut = Pipe()
        sub.standardOutput = subOut
        let subErr = Pipe()
        sub.standardError = subErr
        try sub.run()
        // Connect-before-bind works for ipc; --wait-subscribers holds frames until the SUB is in.
        _ = subOut.fileHandleForReading.availableData
        let source = try VLMNodeBinary.run(["source"] + sourceArgs + ["--bind", endpoint, "--wait-subscribers", "1"],
                                           timeout: 60)
        sub.waitUntilExit()
        let errText = String(decoding: subErr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        try #require(sub.terminationStatus == 0, "pyzmq subscriber failed: \(errText)\nsource: \(source.stdout)\(source.stderr)")
        let headerData = try Data(contentsOf: URL(fileURLWithPath: out.path + ".json"))
        let headers = try #require(try JSONSerialization.jsonObject(with: headerData) as? [[String: Any]])
        return (Received(bytes: try Data(contentsOf: out), headers: headers), source)
    }

    static func ffmpegRaw(_ input: [String], frames: Int, dir: URL) throws -> Data {
        let out = dir.appendingPathComponent("reference.raw")
        let result = try runProcess(URL(fileURLWithPath: "/usr/bin/env"),
                                    ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y"] + input
                                    + ["-frames:v", "\(frames)", "-f", "rawvideo", "-pix_fmt", "rgb24", out.path])
        try #require(result.status == 0, "ffmpeg: \(result.stderr)")
        return try Data(contentsOf: out)
    }

    static func checkHeaders(_ headers: [[String: Any]], width: Int, height: Int) {
        for (i, header) in headers.enumerated() {
            #expect(header["type"] as? String == "vlm/Frame")
            #expect(header["v"] != nil)
            #expect(header["seq"] as? Int == i, "seq \(String(describing: header["seq"])) at \(i)")
            #expect(header["width"] as? Int == width && header["height"] as? Int == height)
            #expect(header["encoding"] as? String == "rgb8")
            #expect(header["step"] as? Int == width * 3)
            #expect(header["_topic"] as? String == "/camera/image")
            #expect(header["_blob_sizes"] as? [Int] == [width * height * 3])
        }
    }

    @Test(.enabled(if: pyzmqAvailable, "python3 cannot import zmq (pip install pyzmq); skipping the pyzmq must-show"))
    func lavfiFramesReachAPlainPyzmqSubscriber() throws {
        let dir = try makeTemporaryDirectory()
        let (received, source) = try Self.receive(count: 90, sourceArgs: ["lavfi:testsrc=size=320x240:rate=30", "--frames", "90"], dir: dir)
        #expect(source.status == 0, "\(source.stderr)")
        #expect(source.stdout.contains("ipc://"), "the bound endpoint is printed: \(source.stdout)")
        let reference = try Self.ffmpegRaw(["-f", "lavfi", "-i", "testsrc=size=320x240:rate=30"], frames: 90, dir: dir)
        #expect(received.headers.count == 90)
        #expect(received.bytes.count == reference.count)
        let same = received.bytes == reference
        #expect(same, "pyzmq-received frames differ from ffmpeg's rawvideo bytes")
        Self.checkHeaders(received.headers, width: 320, height: 240)
    }

    @Test(.enabled(if: pyzmqAvailable, "python3 cannot import zmq (pip install pyzmq); skipping the pyzmq must-show"))
    func fileFramesArrivePacedAtNativeRate() throws {
        let dir = try makeTemporaryDirectory()
        let clip = dir.appendingPathComponent("clip.mp4")
        let made = try runProcess(URL(fileURLWithPath: "/usr/bin/env"),
                                  ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi",
                                   "-i", "testsrc=size=320x240:rate=30", "-t", "3", "-c:v", "libx264", "-preset",
                                   "ultrafast", "-pix_fmt", "yuv420p", clip.path])
        try #require(made.status == 0, "ffmpeg: \(made.stderr)")
        let (received, source) = try Self.receive(count: 90, sourceArgs: [clip.path], dir: dir)
        #expect(source.status == 0, "\(source.stderr)")
        let reference = try Self.ffmpegRaw(["-i", clip.path], frames: 90, dir: dir)
        #expect(received.headers.count == 90)
        let same = received.bytes == reference
        #expect(same, "pyzmq-received frames differ from ffmpeg's rawvideo bytes")
        Self.checkHeaders(received.headers, width: 320, height: 240)
        // Paced like a camera: 90 frames at 30 fps arrive over ≈ 3 s, stamps 1/30 s apart.
        let arrivals = received.headers.compactMap { $0["_recv_ns"] as? Int }
        let spread = Double(arrivals.last! - arrivals.first!) / 1e9
        #expect(spread > 2.8 && spread < 3.8, "arrival spread \(spread) s")
        let stamps = received.headers.compactMap { $0["stamp_ns"] as? Int }
        #expect(abs(Double(stamps[89] - stamps[0]) / 1e9 - 89.0 / 30) < 1e-3)
    }
}
