import Foundation
import Testing
import TestSupport
@testable import VLMCore

/// Config parsing, sizes, crop padding and resize edge cases.
struct ImageProcessorBehaviourTests {
    static func parse(_ json: String) throws -> ImageProcessorConfig {
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
        return try ImageProcessorConfig.parse(object: object, file: "test.json")
    }

    @Test func hubConfigsReadAsTransformersDoes() throws {
        let clip = try ImageProcessorConfig.load(folder: Fixtures.url("images/configs/clip-hub"))
        #expect(clip.size == .shortestEdge(224) && clip.cropSize! == (224, 224) && clip.resample == .bicubic)
        let owl = try ImageProcessorConfig.load(folder: Fixtures.url("images/configs/owlvit-hub"))
        #expect(owl.size == .exact(height: 768, width: 768) && !owl.doCenterCrop && owl.doRescale)
        let xclip = try ImageProcessorConfig.load(folder: Fixtures.url("images/configs/xclip-hub"))
        #expect(xclip.processorClass == "VideoMAEImageProcessor" && xclip.resample == .bilinear)
        #expect(xclip.imageMean == [0.485, 0.456, 0.406] && xclip.cropSize! == (224, 224))
        let seg = try ImageProcessorConfig.load(folder: Fixtures.url("images/configs/clipseg-hub"))
        #expect(seg.size == .exact(height: 352, width: 352) && !seg.doCenterCrop)
    }

    @Test func badConfigsNameTheProblem() throws {
        #expect(throws: ImageProcessorConfigError.self) { try Self.parse(#"{"size": 224}"#) }
        do {
            _ = try Self.parse(#"{"image_processor_type": "CLIPImageProcessor", "resample": 6}"#)
            Issue.record("MKS2013 accepted")
        } catch let error as ImageProcessorConfigError {
            #expect(error.description.contains("resample") && error.description.contains("test.json"))
        }
        #expect(throws: ImageProcessorConfigError.self) {
            try Self.parse(#"{"image_processor_type": "DetrImageProcessor"}"#)
        }
        #expect(throws: ImageProcessorConfigError.self) {
            try Self.parse(#"{"image_processor_type": "CLIPImageProcessor", "size": {"height": -3, "width": 4}}"#)
        }
        let empty = try makeTemporaryDirectory("no-processor")
        do {
            _ = try ImageProcessorConfig.load(folder: empty)
            Issue.record("empty folder accepted")
        } catch let error as ImageProcessorConfigError {
            #expect(error.description.contains(empty.path) && error.description.contains("processor_config.json"))
        }
    }

    @Test func modelTypePicksTheClassWhenTheFileNamesNone() throws {
        let dir = try makeTemporaryDirectory("processor-model-type")
        try #"{"size": 224, "crop_size": 224}"#.write(to: dir.appendingPathComponent("preprocessor_config.json"),
                                                    atomically: true, encoding: .utf8)
        #expect(throws: ImageProcessorConfigError.self) { try ImageProcessorConfig.load(folder: dir) }
        try #"{"model_type": "xclip"}"#.write(to: dir.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        let xclip = try ImageProcessorConfig.load(folder: dir)
        #expect(xclip.processorClass == "CLIPImageProcessor" && xclip.size == .shortestEdge(224))
        try #"{"model_type": "owlvit"}"#.write(to: dir.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        #expect(try ImageProcessorConfig.load(folder: dir).size == .exact(height: 224, width: 224))
    }

    @Test func processorConfigWinsOverPreprocessorConfigLikeTransformers() throws {
        let dir = try makeTemporaryDirectory("processor-both")
        try #"{"image_processor_type": "CLIPImageProcessor", "size": {"shortest_edge": 100}}"#
            .write(to: dir.appendingPathComponent("preprocessor_config.json"), atomically: true, encoding: .utf8)
        try #"{"processor_class": "CLIPProcessor"}"#
            .write(to: dir.appendingPathComponent("processor_config.json"), atomically: true, encoding: .utf8)
        #expect(try ImageProcessorConfig.load(folder: dir).size == .shortestEdge(100))  // no image_processor inside
        try #"{"image_processor": {"image_processor_type": "CLIPImageProcessor", "size": {"shortest_edge": 200}}}"#
            .write(to: dir.appendingPathComponent("processor_config.json"), atomically: true, encoding: .utf8)
        #expect(try ImageProcessorConfig.load(folder: dir).size == .shortestEdge(200))
        let owl = try Self.parse(#"{"image_processor_type": "OwlViTImageProcessor", "rescale": false, "do_rescale": true}"#)
        #expect(!owl.doRescale)
    }

    @Test func shortestEdgeSizesTruncateLikePython() {
        // int(224 * 37 / 29) = 285; portrait keeps width as the short side.
        #expect(ImageProcessor.resizedSize(height: 29, width: 37, size: .shortestEdge(224)) == (224, 285))
        #expect(ImageProcessor.resizedSize(height: 300, width: 200, size: .shortestEdge(224)) == (336, 224))
        #expect(ImageProcessor.resizedSize(height: 1, width: 5, size: .shortestEdge(224)) == (224, 1120))
        #expect(ImageProcessor.resizedSize(height: 7, width: 3, size: .shortestEdge(10)) == (23, 10))
    }

    @Test func centerCropPadsWithZerosWhenLarger() {
        let image = RGBImage(width: 2, height: 1, pixels: [10, 11, 12, 20, 21, 22])
        let out = ImageProcessor.centerCrop(image, height: 3, width: 4)
        // top = floor((1-3)/2) = -1, left = floor((2-4)/2) = -1: the image lands at row 1, cols 1-2.
        var want = [UInt8](repeating: 0, count: 36)
        want[(1 * 4 + 1) * 3..<(1 * 4 + 3) * 3] = [10, 11, 12, 20, 21, 22]
        #expect(out.pixels == want)
        let odd = RGBImage(width: 3, height: 3, pixels: Array(0..<27).map(UInt8.init))
        #expect(ImageProcessor.centerCrop(odd, height: 2, width: 2).pixels == [0, 1, 2, 3, 4, 5, 9, 10, 11, 12, 13, 14])
    }

    @Test func resizeEdgeCases() {
        let gray = RGBImage(width: 3, height: 2, pixels: [UInt8](repeating: 77, count: 18))
        for filter in ResampleFilter.allCases {
            // A constant image stays constant at any size (weights are normalised).
            for (w, h) in [(1, 1), (7, 5), (2, 9), (3, 2)] {
                let out = PILResize.resize(gray, width: w, height: h, filter: filter)
                #expect(out.width == w && out.height == h && out.pixels.allSatisfy { $0 == 77 }, "\(filter) \(w)x\(h)")
            }
        }
        let one = RGBImage(width: 1, height: 1, pixels: [1, 2, 3])
        let up = PILResize.resize(one, width: 4, height: 3, filter: .bicubic)
        #expect(up.pixels == Array([[UInt8]](repeating: [1, 2, 3], count: 12).joined()))
        #expect(PILResize.resize(gray, width: 3, height: 2, filter: .bicubic) == gray)
    }

    @Test func batchStacksSameSizeOutputs() throws {
        let processor = try ImageProcessor(folder: Fixtures.url("images/configs/clip-tiny"))
        let a = RGBImage(width: 50, height: 40, pixels: (0..<6000).map { UInt8($0 % 251) })
        let b = RGBImage(width: 17, height: 60, pixels: (0..<3060).map { UInt8($0 % 13 * 19) })
        let batch = try #require(processor.batch([a, b]))
        #expect(batch.shape == [2, 3, 32, 36])
        #expect(Array(batch.values[0..<(3 * 32 * 36)]) == processor(a).values)
        #expect(Array(batch.values[(3 * 32 * 36)...]) == processor(b).values)
        let noCrop = ImageProcessor(config: {
            var c = processor.config; c.doCenterCrop = false; return c
        }())
        #expect(noCrop.batch([a, b]) == nil)
    }
}
