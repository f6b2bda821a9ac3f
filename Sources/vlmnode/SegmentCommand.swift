import ArgumentParser
import Foundation
import VLMNode
import VLMCore

/// `vlmnode segment IMAGE PROMPT...`: CLIPSeg masks for text prompts.
struct SegmentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segment",
        abstract: "Segment an image by text prompts with CLIPSeg.",
        discussion: """
            Prints, per prompt, the share of the image above probability 0.5 and the peak probability.
            --json prints {"prompts": [...], "size": [w, h], "logits": [prompt][row][column]} at the
            model's output size (352x352 for CIDAS/clipseg-rd64-refined). --out writes the sigmoid mask
            resized to the image as a grey PNG; with several prompts, one file per prompt (NAME-1.png, …).
            """)

    @Argument(help: "The image file (anything FFmpeg decodes).") var image: String
    @Argument(help: "One or more text prompts.") var prompts: [String] = []
    @Option(help: "Model: a local folder or a Hugging Face id.") var model = "CIDAS/clipseg-rd64-refined"
    @Flag(help: "Print one JSON object with the logits.") var json = false
    @Option(help: "Write the probability mask(s) as PNG.") var out: String?

    func validate() throws {
        guard !prompts.isEmpty else { throw ValidationError("give at least one prompt: vlmnode segment IMAGE PROMPT...") }
        if prompts.contains(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            throw ValidationError("a prompt is empty")
        }
    }

    @Option(help: PrecisionCLI.help)
    var precision: Precision = .fp32

    func run() throws {
        let picture = try VisionCLI.loadImage(image)
        let folder = try VisionCLI.resolveModel(model, role: "segmenter")
        let result: Segmentation
        do {
            let segmenter = try CLIPSegSegmenter(folder: folder)
            NodePrecision.apply(precision, to: [segmenter.model])
            result = try segmenter.segment(picture, prompts: prompts)
        } catch {
            throw CLIError("segment with \(folder.path): \(error)")
        }
        if let out { try writeMasks(result, to: out) }
        if json {
            let logits = (0 ..< prompts.count).map { p in
                "[" + result.logitRows(p).map(VisionCLI.json).joined(separator: ",") + "]"
            }
            print("{\"prompts\":[\(prompts.map(VisionCLI.json).joined(separator: ","))],\"size\":[\(result.width),\(result.height)],"
                  + "\"logits\":[\(logits.joined(separator: ","))]}")
        } else {
            print("model output \(result.width)x\(result.height) for image \(picture.width)x\(picture.height)")
            for (i, prompt) in prompts.enumerated() {
                let p = result.probabilities(i)
                let cover = Float(p.filter { $0 > 0.5 }.count) / Float(p.count)
                print(String(format: "%@: %.1f%% of the image above 0.5, peak %.3f", "\"\(prompt)\"", 100 * cover, p.max() ?? 0))
            }
        }
    }

    private func writeMasks(_ result: Segmentation, to path: String) throws {
        let ext = (path as NSString).pathExtension, stem = (path as NSString).deletingPathExtension
        for i in prompts.indices {
            let file = prompts.count == 1 ? path : "\(stem)-\(i + 1).\(ext.isEmpty ? "png" : ext)"
            try VisionCLI.writeMask(result.imageProbabilities(i), width: result.imageWidth, height: result.imageHeight, to: file)
            if !json { print("wrote \(file)") }
        }
    }
}
