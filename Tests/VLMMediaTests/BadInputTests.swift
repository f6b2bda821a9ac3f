import Foundation
import Testing
import TestSupport
@testable import VLMMedia

/// Every bad input fails with one MediaError line that names the input; nothing crashes.
@Suite struct BadInputTests {
    static func openError(_ input: String, _ options: FrameSourceOptions = .init(realtime: false)) -> MediaError? {
        do {
            let source = try FrameSource(input: input, options: options)
            while try source.next() != nil {}
            return nil
        } catch let error as MediaError {
            return error
        } catch {
            Issue.record("unexpected error type \(error)")
            return nil
        }
    }

    @Test func missingFile() throws {
        let error = try #require(Self.openError("/nonexistent/clip.mp4"))
        #expect(error.description.contains("'/nonexistent/clip.mp4'"))
        #expect(error.description.contains("No such file"))
        #expect(!error.description.contains("\n"))
        #expect(error.code < 0)
    }

    @Test func truncatedMP4() throws {
        let dir = try makeTemporaryDirectory()
        let clip = try FFmpegCLI.makeClip(in: dir)
        let whole = try Data(contentsOf: clip)
        let cut = dir.appendingPathComponent("cut.mp4")
        try whole.prefix(whole.count / 2).write(to: cut)
        let error = try #require(Self.openError(cut.path))
        #expect(error.description.contains("cut.mp4"))
        #expect(error.description.contains("Invalid data"))
    }

    @Test func garbageFile() throws {
        let dir = try makeTemporaryDirectory()
        let junk = dir.appendingPathComponent("junk.mp4")
        var generator = SystemRandomNumberGenerator()
        try Data((0..<50_000).map { _ in UInt8.random(in: 0...255, using: &generator) }).write(to: junk)
        let error = try #require(Self.openError(junk.path))
        #expect(error.description.contains("junk.mp4"))
    }

    @Test func textFileHasNoVideo() throws {
        let dir = try makeTemporaryDirectory()
        let audio = dir.appendingPathComponent("tone.wav")
        try FFmpegCLI.run(["-f", "lavfi", "-i", "sine=duration=0.2", audio.path])
        let error = try #require(Self.openError(audio.path))
        #expect(error.description.contains("no video stream"))
    }

    @Test func missingCamera() throws {
        let error = try #require(Self.openError("/dev/video97"))
        #expect(error.description.contains("/dev/video97"))
    }

    @Test func unknownDeviceFormat() throws {
        let error = try #require(Self.openError("nosuchdevice:foo"))
        #expect(error.description.contains("'nosuchdevice'"))
    }

    @Test func badLavfiGraph() throws {
        let error = try #require(Self.openError("lavfi:nosuchfilter=size=10x10"))
        #expect(error.description.contains("lavfi:nosuchfilter"))
    }

    @Test func refusedURL() throws {
        // Port 9 (discard) on loopback: nothing listens, so the connection is refused at once.
        let error = try #require(Self.openError("rtsp://127.0.0.1:9/stream", .init(openTimeout: 5)))
        #expect(error.description.contains("rtsp://127.0.0.1:9/stream"))
    }

    @Test func badURLScheme() throws {
        let error = try #require(Self.openError("nosuchproto://127.0.0.1/x"))
        #expect(error.description.contains("nosuchproto://"))
    }

    @Test func badSizesAndRates() throws {
        for text in ["0x0", "640", "x480", "-640x480", "640x480x3", "abc", "99999x10", ""] {
            #expect(FrameSize(text) == nil, "\(text)")
        }
        #expect(FrameSize("640x480") == FrameSize(width: 640, height: 480))
        #expect(Self.openError("lavfi:testsrc", .init(fps: 0)) != nil)
    }
}

@Suite struct InputOptionTests {
    @Test func deviceOptionsReachTheDemuxer() throws {
        // rawvideo's demuxer takes video_size/pixel_format/framerate, as a camera's does.
        let dir = try makeTemporaryDirectory()
        let raw = dir.appendingPathComponent("frames.raw")
        try FFmpegCLI.run(["-f", "lavfi", "-i", "testsrc=size=48x32:rate=10", "-frames:v", "4",
                           "-f", "rawvideo", "-pix_fmt", "rgb24", raw.path])
        let source = try FrameSource(input: "rawvideo:\(raw.path)", options: .init(
            realtime: false, inputOptions: ["video_size": "48x32", "pixel_format": "rgb24", "framerate": "10"]))
        var bytes = Data()
        while let frame = try source.next() { frame.pixels.withBytes { bytes.append(contentsOf: $0) } }
        let same = bytes == (try Data(contentsOf: raw))
        #expect(same)
    }

    @Test func unknownOptionIsNamed() throws {
        do {
            _ = try FrameSource(input: "lavfi:testsrc", options: .init(inputOptions: ["no_such_option": "1"]))
            Issue.record("opened with an unknown option")
        } catch let error as MediaError {
            #expect(error.description.contains("'no_such_option'"))
        }
    }
}
