import Detection
import Foundation
import VLMCore
import VLMMedia

/// Detection over a decoded video or stream (`vlmnode detect VIDEO …`): every `every`-th frame goes
/// through the detector; optionally every frame is written, with the latest boxes drawn, to an
/// annotated video. The caller prints; errors are `InputError`s naming the input.
public struct VideoDetectionScan {
    /// One processed frame.
    public struct FrameResult: Sendable {
        public let index: Int
        public let pts: Double
        public let width: Int
        public let height: Int
        public let detections: [Detection]
    }

    public let input: String
    public let detector: OwlViTDetector
    public let options: DetectionOptions
    public var every = 1
    public var maxFrames: Int?
    /// Path of the annotated video to write (any container FFmpeg writes).
    public var annotate: String?
    /// Stops decoding (SIGINT/SIGTERM through `MediaStop.interrupt` in the CLI).
    public var interrupt = InterruptFlag()

    public init(input: String, detector: OwlViTDetector, options: DetectionOptions) {
        self.input = input
        self.detector = detector
        self.options = options
    }

    /// Decodes until the input ends (or the interrupt), calling `onResult` per processed frame;
    /// returns how many frames were processed (at least one, else an error).
    @discardableResult
    public func run(onResult: (FrameResult) throws -> Void) throws -> Int {
        let source: FrameSource
        do {
            source = try FrameSource(input: input, options: FrameSourceOptions(realtime: false, maxFrames: maxFrames),
                                     interrupt: interrupt)
        } catch {
            throw InputError("cannot open '\(input)': \(error)")
        }
        var writer: VideoWriter?
        var latest: [Detection] = []
        var processed = 0
        do {
            while let frame = try source.next() {
                let info = frame.info
                var rgb = frame.pixels.withBytes { [UInt8]($0) }
                if info.index % every == 0 {
                    let image = RGBImage(width: info.width, height: info.height, pixels: rgb)
                    latest = try detector.detect(image, options: options).detections
                    processed += 1
                    try onResult(FrameResult(index: info.index, pts: info.pts, width: info.width, height: info.height,
                                             detections: latest))
                }
                if let annotate {
                    if writer == nil {
                        let fps = source.nominalFPS > 0 ? source.nominalFPS : 25
                        writer = try VideoWriter(path: annotate, width: info.width, height: info.height, fps: fps)
                    }
                    BoxDrawing.draw(latest, on: &rgb, width: info.width, height: info.height)
                    try rgb.withUnsafeBytes { try writer!.write(rgb: $0) }
                }
            }
            try writer?.finish()
        } catch let error as InputError {
            throw error
        } catch {
            throw InputError("\(input): \(error)")
        }
        if processed == 0 { throw InputError("'\(input)' gave no frames to process") }
        return processed
    }
}
