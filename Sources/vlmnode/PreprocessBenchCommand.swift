import ArgumentParser
import Foundation
import VLMCore

/// `vlmnode bench preprocess`: times the CLIP tokenizer and the image processors (no model).
struct PreprocessBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preprocess",
        abstract: "Time CLIP tokenization and image preprocessing (PIL-exact resize, crop, normalize).")

    @Option(help: "Folder with tokenizer.json or vocab.json + merges.txt (skipped when absent).")
    var tokenizer: String?

    @Option(help: "Folder with preprocessor_config.json or processor_config.json (skipped when absent).")
    var processor: String?

    @Option(help: "Input image width.") var width = 1920
    @Option(help: "Input image height.") var height = 1080
    @Option(help: "Repetitions per measurement.") var iterations = 20

    func run() throws {
        print("load average: \(Bench.loadAverage())")
        if let tokenizer { try benchTokenizer(URL(fileURLWithPath: tokenizer)) }
        if let processor { try benchProcessor(URL(fileURLWithPath: processor)) }
        if tokenizer == nil && processor == nil {
            throw ValidationError("give --tokenizer DIR and/or --processor DIR")
        }
    }

    private func benchTokenizer(_ folder: URL) throws {
        var start = Date()
        let tok = try CLIPTokenizer(folder: folder)
        print(String(format: "tokenizer load: %.1f ms", Date().timeIntervalSince(start) * 1000))
        let queries = ["a photo of a cat", "a person riding a red bicycle", "the remote control on the table",
                       "Two dogs playing in the snow!", "a stop sign", "日本語のテキスト 😀"]
        let cold = queries.map { $0 + " \(UUID().uuidString.prefix(6))" }
        start = Date()
        _ = tok(cold, padding: .maxLength, maxLength: 77)
        let coldTime = Date().timeIntervalSince(start) / Double(cold.count)
        let n = max(iterations, 1) * 100
        start = Date()
        for i in 0..<n { _ = tok([queries[i % queries.count]], padding: .maxLength, maxLength: 77) }
        let warm = Date().timeIntervalSince(start) / Double(n)
        print(String(format: "tokenize one query (padded to 77): %.1f us warm (BPE cache), %.1f us first time",
                     warm * 1e6, coldTime * 1e6))
    }

    private func benchProcessor(_ folder: URL) throws {
        let processor = try ImageProcessor(folder: folder)
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for i in pixels.indices { pixels[i] = UInt8(truncatingIfNeeded: (i &* 2654435761) >> 13) }
        let image = RGBImage(width: width, height: height, pixels: pixels)
        _ = processor(image)
        let start = Date()
        for _ in 0..<max(iterations, 1) { _ = processor(image) }
        let each = Date().timeIntervalSince(start) / Double(max(iterations, 1))
        let out = processor.outputSize(height: height, width: width)
        print(String(format: "preprocess %dx%d -> 3x%dx%d (%@, resample %d): %.2f ms per image",
                     width, height, out.height, out.width, processor.config.processorClass,
                     processor.config.resample.rawValue, each * 1000))
    }

}
