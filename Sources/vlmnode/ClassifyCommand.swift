import ArgumentParser
import Foundation
import VLMNode
import VLMCore
import VLMMedia

/// `vlmnode classify IMAGE LABEL...`: CLIP zero-shot classification.
struct ClassifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Zero-shot image classification with CLIP: how well each label describes the image.")

    @Argument(help: "An image file (PNG, JPEG or anything FFmpeg reads).")
    var image: String

    @Argument(help: "Two or more labels (one label gives probability 1; its logit is still reported).")
    var labels: [String] = []

    @Option(help: "A local Hugging Face folder or a hub id.")
    var model = "openai/clip-vit-base-patch32"

    @Option(help: "Wrap each label, e.g. \"a photo of a {}\".")
    var template: String?

    @Flag(help: "Print one JSON object: labels, probs, logits (logits_per_image), in label order.")
    var json = false

    @Option(help: PrecisionCLI.help)
    var precision: Precision = .fp32

    func run() throws {
        guard !labels.isEmpty else { throw CLIError("no labels: give at least one, e.g. vlmnode classify photo.jpg \"a cat\" \"a dog\"") }
        if let empty = labels.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            throw CLIError("label \(empty + 1) is empty")
        }
        if let template, !template.contains("{}") { throw CLIError("--template must contain {} where the label goes: '\(template)'") }
        let texts = labels.map { label in template.map { $0.replacingOccurrences(of: "{}", with: label) } ?? label }

        let decoded: (width: Int, height: Int, rgb: [UInt8])
        do { decoded = try ImageIO.loadImage(image) } catch { throw CLIError("\(error)") }

        let folder = try ModelStore().resolve(model).folder
        try ModelArchitecture.read(folder: folder).require([ModelRegistry.clip], folder: folder)
        let clip = try CLIPModel(folder: folder)
        NodePrecision.apply(precision, to: [clip])
        let tokenizer = try CLIPTokenizer(folder: folder)
        let processor = try ImageProcessor(folder: folder)

        let pixels = processor(RGBImage(width: decoded.width, height: decoded.height, pixels: decoded.rgb))
        let batch = tokenizer(texts, padding: .longest)
        let output = try clip(pixels: Tensor(shape: [1] + pixels.shape, values: pixels.values),
                              ids: batch.inputIds.map { $0.map(Int.init) },
                              attentionMask: batch.attentionMask.map { $0.map(Int.init) })
        let logits = output.logitsPerImage.values
        let probs = output.probabilities[0]

        if json {
            let object: [String: Any] = ["labels": labels, "texts": texts, "probs": probs.map(Double.init),
                                         "logits": logits.map(Double.init), "model": model,
                                         "image_size": [decoded.width, decoded.height]]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            let width = max(5, labels.map(\.count).max() ?? 0)
            print("\(String(repeating: " ", count: 4))\("label".padding(toLength: width, withPad: " ", startingAt: 0))   prob    logit")
            for (rank, i) in probs.indices.sorted(by: { probs[$0] > probs[$1] }).enumerated() {
                let bar = String(repeating: "█", count: Int((probs[i] * 20).rounded()))
                print(String(format: "%2d. %@  %6.4f  %7.3f  %@", rank + 1,
                             labels[i].padding(toLength: width, withPad: " ", startingAt: 0), probs[i], logits[i], bar))
            }
        }
    }
}
