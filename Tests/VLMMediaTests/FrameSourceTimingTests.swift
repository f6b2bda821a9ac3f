import Foundation
import Testing
import TestSupport
@testable import VLMMedia

/// Timestamps, pacing, start/frames/loop on a real (generated) H.264 file.
@Suite struct FrameSourceTimingTests {
    /// A 1 s, 30 fps, 160x120 clip with a keyframe every 10 frames (so `start` seeks land mid-GOP).
    static func clip() throws -> URL {
        try FFmpegCLI.makeClip(in: try makeTemporaryDirectory(), size: "160x120",
                               codec: ["-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-pix_fmt", "yuv420p"])
    }

    static func drain(_ source: FrameSource) throws -> [VideoFrameInfo] {
        var infos: [VideoFrameInfo] = []
        while let frame = try source.next() { infos.append(frame.info) }
        return infos
    }

    @Test func ptsComeFromTheStreamAndStampsFollowThem() throws {
        let source = try FrameSource(input: try Self.clip().path, options: .init(realtime: false))
        let infos = try Self.drain(source)
        #expect(infos.count == 30)
        for (i, info) in infos.enumerated() {
            #expect(abs(info.pts - Double(i) / 30) < 1e-3, "frame \(i) pts \(info.pts)")
            // File stamps: wall clock at the first frame + pts offset, even when not paced.
            let offset = Double(Int64(info.stampNanoseconds) - Int64(infos[0].stampNanoseconds)) / 1e9
            #expect(abs(offset - info.pts) < 1e-6)
        }
        let now = Double(Date().timeIntervalSince1970)
        #expect(abs(Double(infos[0].stampNanoseconds) / 1e9 - now) < 30)
    }

    @Test func realtimeTakesTheClipDurationAndNoRealtimeIsFaster() throws {
        let path = try Self.clip().path
        let clock = ContinuousClock()
        var start = clock.now
        let paced = try FrameSource(input: path, options: .init(realtime: true))
        #expect(try Self.drain(paced).count == 30)
        let pacedTime = clock.now - start
        start = clock.now
        #expect(try Self.drain(try FrameSource(input: path, options: .init(realtime: false))).count == 30)
        let fastTime = clock.now - start
        // 30 frames at 30 fps: the last is due 29/30 s after the first.
        #expect(paced.isPaced)
        #expect(pacedTime > .milliseconds(930) && pacedTime < .milliseconds(1800), "paced: \(pacedTime)")
        #expect(fastTime < pacedTime / 2, "unpaced \(fastTime) vs paced \(pacedTime)")
    }

    @Test func startSeeksAndFramesLimits() throws {
        let source = try FrameSource(input: try Self.clip().path,
                                     options: .init(realtime: false, start: 0.5, maxFrames: 5))
        let infos = try Self.drain(source)
        #expect(infos.map(\.index) == [0, 1, 2, 3, 4])
        #expect(abs(infos[0].pts - 0.5) < 1e-3)
        #expect(abs(infos[4].pts - 19.0 / 30) < 1e-3)
    }

    @Test func startOnADeviceDiscardsUntilThePts() throws {
        // lavfi cannot seek: frames before `start` are decoded and dropped.
        let source = try FrameSource(input: "lavfi:testsrc=size=64x48:rate=30",
                                     options: .init(realtime: false, start: 1, maxFrames: 3))
        let infos = try Self.drain(source)
        #expect(infos.count == 3)
        #expect(abs(infos[0].pts - 1) < 1e-6 && abs(infos[2].pts - 32.0 / 30) < 1e-6)
    }

    @Test func startBytesEqualFFmpegSeek() throws {
        let clip = try Self.clip()
        let dir = try makeTemporaryDirectory()
        let reference = try FFmpegCLI.rawFrames(input: ["-ss", "0.4", "-i", clip.path], pixelFormat: "rgb24",
                                                extra: ["-frames:v", "3"], in: dir)
        let source = try FrameSource(input: clip.path, options: .init(realtime: false, start: 0.4, maxFrames: 3))
        var bytes = Data()
        while let frame = try source.next() { frame.pixels.withBytes { bytes.append(contentsOf: $0) } }
        try expectSameFrames(bytes, reference, frameBytes: 160 * 120 * 3)
    }

    @Test func loopRestartsWithContinuingPts() throws {
        let source = try FrameSource(input: try Self.clip().path,
                                     options: .init(loop: true, realtime: false, maxFrames: 75))
        var frames: [Data] = []
        var infos: [VideoFrameInfo] = []
        while let frame = try source.next() {
            infos.append(frame.info)
            frames.append(frame.pixels.data)
        }
        #expect(infos.count == 75)
        for (i, info) in infos.enumerated() { #expect(abs(info.pts - Double(i) / 30) < 1e-3, "frame \(i) pts \(info.pts)") }
        #expect(frames[0] == frames[30] && frames[7] == frames[67] && frames[0] != frames[1])
    }

    @Test func lavfiIsPacedLikeAFileButCamerasAreLive() throws {
        #expect(try MediaInput("lavfi:testsrc").isLive == false)
        #expect(try MediaInput("/dev/video0").isLive)
        #expect(try MediaInput("rtsp://127.0.0.1/cam").isLive)
        #expect(try MediaInput("http://127.0.0.1/clip.mp4").isLive == false)
        #expect(try MediaInput("/dev/video0").kind == .device(format: "video4linux2", spec: "/dev/video0"))
        #expect(try MediaInput("lavfi:testsrc=rate=5").kind == .device(format: "lavfi", spec: "testsrc=rate=5"))
        #expect(try MediaInput("clip.mp4").kind == .file("clip.mp4"))
    }

    @Test func interruptEndsAPacedSourcePromptly() throws {
        let source = try FrameSource(input: "lavfi:testsrc=size=64x48:rate=0.2", options: .init(realtime: true))
        _ = try source.next()
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { source.interrupt.raise() }
        let clock = ContinuousClock()
        let start = clock.now
        #expect(try source.next() == nil)
        // The next frame is due 5 s later; the interrupt ends the wait well before.
        #expect(clock.now - start < .seconds(2))
    }
}
