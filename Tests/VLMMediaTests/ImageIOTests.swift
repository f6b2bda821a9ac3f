import Foundation
import Testing
import TestSupport
@testable import VLMMedia

@Suite struct ImageIOTests {
    /// A gradient test picture, 3 bytes per pixel.
    static func gradient(width: Int, height: Int) -> [UInt8] {
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let i = (y * width + x) * 3
                rgb[i] = UInt8(x * 255 / (width - 1))
                rgb[i + 1] = UInt8(y * 255 / (height - 1))
                rgb[i + 2] = UInt8((x + y) % 256)
            }
        }
        return rgb
    }

    @Test func pngRoundTripIsLossless() throws {
        let path = try makeTemporaryDirectory().appendingPathComponent("g.png").path
        let rgb = Self.gradient(width: 67, height: 45)
        try rgb.withUnsafeBytes { try ImageIO.writeImage(rgb: $0, width: 67, height: 45, to: path) }
        let image = try ImageIO.loadImage(path)
        #expect(image.width == 67 && image.height == 45)
        #expect(image.rgb == rgb)
    }

    @Test func pngMatchesFFmpegDecode() throws {
        let dir = try makeTemporaryDirectory()
        let png = dir.appendingPathComponent("src.png")
        try FFmpegCLI.run(["-f", "lavfi", "-i", "testsrc=size=96x64", "-frames:v", "1", png.path])
        let reference = try FFmpegCLI.rawFrames(input: ["-i", png.path], pixelFormat: "rgb24", in: dir)
        let image = try ImageIO.loadImage(png.path)
        #expect(image.width == 96 && image.height == 64)
        #expect(Data(image.rgb) == reference)
    }

    @Test func jpegRoundTripIsClose() throws {
        let path = try makeTemporaryDirectory().appendingPathComponent("g.jpg").path
        let rgb = Self.gradient(width: 64, height: 48)
        try rgb.withUnsafeBytes { try ImageIO.writeImage(rgb: $0, width: 64, height: 48, to: path, quality: 95) }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(bytes.prefix(2) == Data([0xFF, 0xD8]))
        let image = try ImageIO.loadImage(path)
        #expect(image.width == 64 && image.height == 48)
        let meanError = zip(image.rgb, rgb).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) } / rgb.count
        #expect(meanError < 6, "mean abs error \(meanError)")
    }

    @Test func bmpIsReadToo() throws {
        let dir = try makeTemporaryDirectory()
        let bmp = dir.appendingPathComponent("src.bmp")
        try FFmpegCLI.run(["-f", "lavfi", "-i", "testsrc=size=32x24", "-frames:v", "1", bmp.path])
        let reference = try FFmpegCLI.rawFrames(input: ["-i", bmp.path], pixelFormat: "rgb24", in: dir)
        #expect(Data(try ImageIO.loadImage(bmp.path).rgb) == reference)
    }

    @Test func errorsNameTheFile() throws {
        let dir = try makeTemporaryDirectory()
        #expect(throws: MediaError.self) { try ImageIO.loadImage(dir.appendingPathComponent("missing.png").path) }
        let junk = dir.appendingPathComponent("junk.png")
        try Data("not a picture".utf8).write(to: junk)
        do {
            _ = try ImageIO.loadImage(junk.path)
            Issue.record("junk decoded")
        } catch let error as MediaError {
            #expect(error.description.contains("junk.png"))
        }
        let rgb = [UInt8](repeating: 0, count: 12)
        #expect(throws: MediaError.self) {
            try rgb.withUnsafeBytes { try ImageIO.writeImage(rgb: $0, width: 2, height: 2, to: dir.appendingPathComponent("x.gif").path) }
        }
        #expect(throws: MediaError.self) {
            try rgb.withUnsafeBytes { try ImageIO.writeImage(rgb: $0, width: 4, height: 4, to: dir.appendingPathComponent("x.png").path) }
        }
    }
}
