import ArgumentParser
import Detection
import Foundation
import VLMNode
import VLMCore
import VLMMedia
import VLMPlugins

/// `vlmnode detect INPUT QUERY...`: open-vocabulary detection (OWL-ViT) on an image, a video or a
/// stream. The queries are embedded once; every processed frame is one image pass.
struct DetectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detect",
        abstract: "Find objects described in words (OWL-ViT) in an image, a video or a stream.",
        discussion: """
            INPUT is an image (png, jpg, bmp, webp, tiff) or anything `vlmnode source` reads (file, URL, \
            /dev/videoN, lavfi:…). Each QUERY is one thing to look for, e.g. "red cup". Boxes are in pixels \
            of the input, [x0, y0, x1, y1], sorted by score. --json prints one JSON object per image or \
            processed frame.
            """)

    @Argument(help: "Image, video file, URL, camera or lavfi: graph.")
    var input: String

    @Argument(help: "What to look for, one argument per query (\"red cup\" \"blue bowl\").")
    var queries: [String] = []

    @Option(help: "Hub model name or local folder.")
    var model = "google/owlvit-base-patch32"

    @Option(help: "Keep boxes whose score is above this.")
    var threshold: Float = 0.1

    @Option(help: "IoU of class-aware non-maximum suppression.")
    var nms: Float = 0.3

    @Flag(help: "Turn non-maximum suppression off.")
    var noNms = false

    @Option(help: "Keep at most K detections per image, best first.")
    var topK: Int?

    @Flag(help: "Print JSON (one object per image or processed frame).")
    var json = false

    @Option(help: "Write the input with labelled boxes: .png/.jpg for an image, .mp4 (or any video container) for a video.")
    var annotate: String?

    @Option(help: "For videos and streams: process every Nth frame.")
    var every = 1

    @Option(help: "For videos and streams: stop after this many frames.")
    var frames: Int?

    static let imageExtensions: Set<String> = ["png", "jpg", "jpeg", "bmp", "webp", "tif", "tiff", "ppm", "pgm", "pnm"]

    var isImage: Bool { Self.imageExtensions.contains((input as NSString).pathExtension.lowercased()) }

    var options: DetectionOptions {
        DetectionOptions(threshold: threshold, nmsIoU: noNms ? nil : nms, topK: topK)
    }

    /// Argument checks as one-line errors (ArgumentParser's ValidationError would add the usage).
    func check() throws {
        guard !queries.isEmpty else {
            throw CLIError("no queries: give at least one, e.g. vlmnode detect \(input) \"red cup\"")
        }
        if let empty = queries.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            throw CLIError("query \(empty + 1) is empty")
        }
        guard every >= 1 else { throw CLIError("--every must be at least 1") }
        guard nms >= 0 && nms <= 1 else { throw CLIError("--nms must be an IoU between 0 and 1") }
        if let topK, topK < 1 { throw CLIError("--top-k must be at least 1") }
    }

    @Option(help: PrecisionCLI.help)
    var precision: Precision = .fp32

    func run() throws {
        try check()
        // Read the image before loading a model: a wrong path fails at once.
        let image = try isImage ? loadImage() : nil
        let detector = try loadDetector(model: model, queries: queries)
        NodePrecision.apply(precision, to: [detector.model])
        if let image { try detectImage(image, detector) } else { try detectStream(detector) }
    }

    private func loadImage() throws -> RGBImage {
        do {
            let (w, h, rgb) = try ImageIO.loadImage(input)
            return RGBImage(width: w, height: h, pixels: rgb)
        } catch {
            // VLMMedia's error already names the file ("cannot load image 'x': …").
            throw CLIError(DetectCommand.reason(error))
        }
    }

    private func detectImage(_ image: RGBImage, _ detector: OwlViTDetector) throws {
        let (found, _) = try detector.detect(image, options: options)
        if json {
            print(try DetectOutput.json(DetectOutput.Record(frame: nil, pts: nil, imageSize: [image.width, image.height], detections: found)))
        } else {
            print(DetectOutput.table(found, header: "\(input) (\(image.width)x\(image.height)): \(found.count) detection(s)"))
        }
        if let annotate {
            var pixels = image.pixels
            BoxDrawing.draw(found, on: &pixels, width: image.width, height: image.height)
            do {
                try pixels.withUnsafeBytes { try ImageIO.writeImage(rgb: $0, width: image.width, height: image.height, to: annotate) }
            } catch {
                throw CLIError("cannot write '\(annotate)': \(DetectCommand.reason(error))")
            }
            if !json { print("annotated image written to \(annotate)") }
        }
    }

    private func detectStream(_ detector: OwlViTDetector) throws {
        var scan = VideoDetectionScan(input: input, detector: detector, options: options)
        scan.every = every
        scan.maxFrames = frames
        scan.annotate = annotate
        scan.interrupt = MediaStop.interrupt
        do {
            try scan.run { r in
                if json {
                    print(try DetectOutput.json(DetectOutput.Record(frame: r.index, pts: r.pts, imageSize: [r.width, r.height],
                                                                    detections: r.detections)))
                } else {
                    print(DetectOutput.table(r.detections, header: String(format: "frame %d (pts %.3f s, %dx%d): %d detection(s)",
                                                                          r.index, r.pts, r.width, r.height, r.detections.count)))
                }
                fflush(stdout)
            }
        } catch let error as InputError {
            throw CLIError(error.description)
        }
        if let annotate, !json { print("annotated video written to \(annotate)") }
    }

    static func reason(_ error: Error) -> String { String(describing: error) }
}

/// Resolves `model` through the ModelStore (folder, HF cache or download) and loads the detector;
/// every failure is one line naming the model or folder.
func loadDetector(model: String, queries: [String]) throws -> OwlViTDetector {
    let folder: URL
    do { folder = try ModelStore().resolve(model).folder } catch { throw CLIError("model '\(model)': \(error)") }
    let detector: OwlViTDetector
    do { detector = try OwlViTDetector(folder: folder, queries: queries) } catch { throw CLIError("\(error)") }
    for warning in detector.queries.warnings { FileHandle.standardError.write(Data("vlmnode: warning: \(warning)\n".utf8)) }
    return detector
}

/// How `vlmnode detect` prints results.
enum DetectOutput {
    struct Record: Encodable {
        var frame: Int?
        var pts: Double?
        var imageSize: [Int]
        var detections: [Detection]
        enum CodingKeys: String, CodingKey { case frame, pts, imageSize = "image_size", detections }
    }

    static func json(_ record: Record) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(record), as: UTF8.self)
    }

    static func table(_ detections: [Detection], header: String) -> String {
        var lines = [header]
        guard !detections.isEmpty else { return header }
        let width = max(5, detections.map(\.label.count).max() ?? 0)
        lines.append("  score  " + "label".padding(toLength: width, withPad: " ", startingAt: 0) + "  box [x0, y0, x1, y1]")
        for d in detections {
            let box = d.box.map { String(format: "%.1f", $0) }.joined(separator: ", ")
            lines.append(String(format: "  %.3f  ", d.score) + d.label.padding(toLength: width, withPad: " ", startingAt: 0) + "  [\(box)]")
        }
        return lines.joined(separator: "\n")
    }
}
