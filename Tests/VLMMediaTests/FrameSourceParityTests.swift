import Foundation
import Testing
import TestSupport
@testable import VLMMedia

/// Decoded bytes equal what the ffmpeg CLI decodes from the same input.
@Suite struct FrameSourceParityTests {
    static let testsrc = "testsrc=size=320x240:rate=30"

    /// Reads every frame of `source` into one buffer, checking each frame's geometry.
    static func collect(_ source: FrameSource, width: Int, height: Int, channels: Int) throws -> (Data, [VideoFrameInfo]) {
        var bytes = Data()
        var infos: [VideoFrameInfo] = []
        while let frame = try source.next() {
            #expect(frame.info.width == width && frame.info.height == height)
            #expect(frame.info.step == width * channels)
            #expect(frame.pixels.count == width * height * channels)
            frame.pixels.withBytes { bytes.append(contentsOf: $0) }
            infos.append(frame.info)
        }
        return (bytes, infos)
    }

    @Test(arguments: [(FrameEncoding.rgb8, "rgb24"), (.bgr8, "bgr24"), (.gray8, "gray")])
    func lavfiMatchesFFmpegRawvideo(encoding: FrameEncoding, pixelFormat: String) throws {
        let dir = try makeTemporaryDirectory()
        let reference = try FFmpegCLI.rawFrames(input: ["-f", "lavfi", "-i", Self.testsrc], pixelFormat: pixelFormat,
                                                extra: ["-frames:v", "30"], in: dir)
        let source = try FrameSource(input: "lavfi:\(Self.testsrc)",
                                     options: .init(encoding: encoding, realtime: false, maxFrames: 30))
        let (bytes, infos) = try Self.collect(source, width: 320, height: 240, channels: encoding.channels)
        #expect(infos.count == 30)
        #expect(infos.map(\.index) == Array(0..<30))
        #expect(bytes.count == reference.count)
        try expectSameFrames(bytes, reference, frameBytes: 320 * 240 * encoding.channels)
        #expect(source.formatName == "lavfi")
    }

    @Test(arguments: ["160x120", "400x300"])
    func scalingMatchesFFmpeg(size: String) throws {
        let dir = try makeTemporaryDirectory()
        let reference = try FFmpegCLI.rawFrames(input: ["-f", "lavfi", "-i", Self.testsrc], pixelFormat: "rgb24",
                                                extra: ["-frames:v", "10", "-s", size], in: dir)
        let frameSize = try #require(FrameSize(size))
        let source = try FrameSource(input: "lavfi:\(Self.testsrc)",
                                     options: .init(size: frameSize, realtime: false, maxFrames: 10))
        let (bytes, _) = try Self.collect(source, width: frameSize.width, height: frameSize.height, channels: 3)
        #expect(bytes.count == reference.count)
        try expectSameFrames(bytes, reference, frameBytes: frameSize.width * frameSize.height * 3)
    }

    @Test func h264FileMatchesFFmpeg() throws {
        let dir = try makeTemporaryDirectory()
        let clip = try FFmpegCLI.makeClip(in: dir)
        let reference = try FFmpegCLI.rawFrames(input: ["-i", clip.path], pixelFormat: "rgb24", in: dir)
        let source = try FrameSource(input: clip.path, options: .init(realtime: false, threads: 2))
        let (bytes, infos) = try Self.collect(source, width: 320, height: 240, channels: 3)
        #expect(infos.count == 30)
        try expectSameFrames(bytes, reference, frameBytes: 320 * 240 * 3)
        #expect(source.codecName == "h264")
    }

    /// Tagged BT.709 and full-range clips: the frame's matrix and range are honoured like the CLI does.
    @Test(arguments: [["-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709"],
                      ["-color_range", "pc"]])
    func taggedColorspaceMatchesFFmpeg(tags: [String]) throws {
        let dir = try makeTemporaryDirectory()
        let clip = try FFmpegCLI.makeClip(in: dir, seconds: 0.2,
                                          codec: ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"] + tags)
        let reference = try FFmpegCLI.rawFrames(input: ["-i", clip.path], pixelFormat: "rgb24", in: dir)
        let source = try FrameSource(input: clip.path, options: .init(realtime: false, threads: 2))
        let (bytes, _) = try Self.collect(source, width: 320, height: 240, channels: 3)
        try expectSameFrames(bytes, reference, frameBytes: 320 * 240 * 3)
    }

    @Test func fpsResampleKeepsEveryThirdFrameLikeFFmpegFpsFilter() throws {
        let dir = try makeTemporaryDirectory()
        let reference = try FFmpegCLI.rawFrames(input: ["-f", "lavfi", "-i", Self.testsrc], pixelFormat: "rgb24",
                                                extra: ["-t", "1", "-vf", "fps=10"], in: dir)
        let source = try FrameSource(input: "lavfi:\(Self.testsrc)",
                                     options: .init(fps: 10, realtime: false, maxFrames: 10))
        let (bytes, infos) = try Self.collect(source, width: 320, height: 240, channels: 3)
        #expect(infos.count == 10)
        try expectSameFrames(bytes, reference, frameBytes: 320 * 240 * 3)
        for (k, info) in infos.enumerated() { #expect(abs(info.pts - Double(k) / 10) < 1e-6) }
        #expect(source.stats.dropped >= 18)
    }

    @Test func fpsUpsampleDuplicatesFrames() throws {
        let source = try FrameSource(input: "lavfi:testsrc=size=64x48:rate=10",
                                     options: .init(fps: 30, realtime: false, maxFrames: 30))
        var frames: [Data] = []
        while let frame = try source.next() { frames.append(frame.pixels.data) }
        #expect(frames.count == 30)
        // Each source frame is held for three output slots.
        #expect(frames[0] == frames[1] && frames[1] == frames[2] && frames[2] != frames[3])
        #expect(source.stats.duplicated >= 18)
    }
}
