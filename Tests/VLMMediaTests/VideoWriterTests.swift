import Foundation
import Testing
import TestSupport
@testable import VLMMedia

@Suite struct VideoWriterTests {
    @Test(arguments: [nil, "mpeg4"] as [String?])
    func writtenVideoReadsBack(codec: String?) throws {
        let path = try makeTemporaryDirectory().appendingPathComponent("out.mp4").path
        let (w, h) = (96, 64)
        var pictures: [[UInt8]] = []
        let writer = try VideoWriter(path: path, width: w, height: h, fps: 15, codec: codec)
        for i in 0..<15 {
            // A bright square that moves 4 px per frame over a dark background.
            var rgb = [UInt8](repeating: 20, count: w * h * 3)
            for y in 16..<48 { for x in (i * 4)..<(i * 4 + 24) where x < w { for c in 0..<3 { rgb[(y * w + x) * 3 + c] = 230 } } }
            try rgb.withUnsafeBytes { try writer.write(rgb: $0) }
            pictures.append(rgb)
        }
        try writer.finish()
        #expect(writer.codecName == (codec ?? "libx264"))

        let source = try FrameSource(input: path, options: .init(realtime: false))
        var count = 0
        while let frame = try source.next() {
            #expect(frame.info.width == w && frame.info.height == h)
            let error = frame.pixels.withBytes { bytes in
                zip(bytes, pictures[count]).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) } / bytes.count
            }
            #expect(error < 8, "frame \(count): mean abs error \(error)")
            #expect(abs(frame.info.pts - Double(count) / 15) < 1e-3)
            count += 1
        }
        #expect(count == 15)
        #expect(source.codecName == (codec == nil ? "h264" : "mpeg4"))
    }

    @Test func badArgumentsAreErrors() throws {
        let dir = try makeTemporaryDirectory()
        #expect(throws: MediaError.self) { try VideoWriter(path: dir.appendingPathComponent("a.mp4").path, width: 33, height: 20, fps: 10) }
        #expect(throws: MediaError.self) { try VideoWriter(path: dir.appendingPathComponent("a.nosuchext").path, width: 32, height: 20, fps: 10) }
        #expect(throws: MediaError.self) { try VideoWriter(path: "/nonexistent/dir/a.mp4", width: 32, height: 20, fps: 10) }
        let writer = try VideoWriter(path: dir.appendingPathComponent("b.mp4").path, width: 32, height: 20, fps: 10)
        let short = [UInt8](repeating: 0, count: 10)
        #expect(throws: MediaError.self) { try short.withUnsafeBytes { try writer.write(rgb: $0) } }
    }
}
