import Foundation
import Testing
import TestSupport
@testable import VLMCore

/// Parity with transformers 5's PIL-backend image processors (Pillow's resize); references from
/// Scripts/fixtures/make_image_fixtures.py, a strided sample of every output.
struct ImageProcessorParityTests {
    struct Reference: @unchecked Sendable {
        let index: [String: Any]
        let values: [Float]

        static let shared: Reference = {
            let json = try! JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.url("images/reference.json")))
            let data = try! Data(contentsOf: Fixtures.url("images/reference.bin"))
            let values = data.withUnsafeBytes { raw in
                (0..<(data.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
            }
            return Reference(index: json as! [String: Any], values: values)
        }()

        var cases: [String: [String: Any]] { index["cases"] as! [String: [String: Any]] }

        func image(_ name: String) throws -> RGBImage {
            let info = (index["images"] as! [String: [String: Any]])[name]!
            let bytes = try Data(contentsOf: Fixtures.url("images/\(info["file"] as! String)"))
            return RGBImage(width: (info["width"] as! NSNumber).intValue, height: (info["height"] as! NSNumber).intValue,
                            pixels: [UInt8](bytes))
        }
    }

    static let caseNames = ["clip-hub", "clip-tiny", "clip-cropbig", "clip-nocrop-pad", "owlvit-hub", "owlvit-tiny",
                            "xclip-hub", "xclip-tiny", "clipseg-hub", "clipseg-tiny", "vit-lanczos", "vit-box", "vit-hamming", "vit-nearest",
                            "owlvit-wide", "vit-wide"]

    @Test func everyReferenceCaseIsTested() {
        #expect(Set(Reference.shared.cases.keys) == Set(Self.caseNames))
    }

    @Test(arguments: caseNames)
    func pixelValuesWithinOneLevel(caseName: String) throws {
        let ref = Reference.shared
        let processor = try ImageProcessor(folder: Fixtures.url("images/configs/\(caseName)"))
        let entry = ref.cases[caseName]!
        var compared = 0, withinLevel = 0, exact = 0
        var maxLevels: Float = 0
        for (name, output) in entry["outputs"] as! [String: [String: Any]] {
            let shape = (output["shape"] as! [NSNumber]).map(\.intValue)
            let stride = (output["stride"] as! NSNumber).intValue
            let offset = (output["offset"] as! NSNumber).intValue, count = (output["count"] as! NSNumber).intValue
            let got = processor(try ref.image(name))
            #expect(got.shape == shape, "\(caseName)/\(name): shape \(got.shape) vs \(shape)")
            guard got.shape == shape else { continue }
            let plane = shape[1] * shape[2]
            var bad = 0
            defer { if bad > 0 { print("  \(caseName)/\(name): \(bad) differ") } }
            for j in 0..<count {
                let flat = j * stride
                let level = Float(1.0 / 255.0 / processor.config.imageStd[flat / plane])
                let diff = abs(got.values[flat] - ref.values[offset + j])
                compared += 1
                if diff == 0 { exact += 1 } else { bad += 1 }
                if diff <= level * 1.0001 { withinLevel += 1 }
                maxLevels = max(maxLevels, diff / level)
            }
        }
        let fraction = Double(withinLevel) / Double(compared)
        print("image parity \(caseName) [\(entry["class"]!)]: \(compared) values, \(exact) exact, "
              + "\(String(format: "%.4f", fraction * 100))% within one level, max diff \(String(format: "%.3f", maxLevels)) levels")
        #expect(compared > 0)
        #expect(fraction >= 0.999, "\(caseName): only \(fraction * 100)% within one 8-bit level")
    }

    @Test(arguments: caseNames)
    func bothConfigLayoutsParseTheSame(caseName: String) throws {
        let folder = Fixtures.url("images/configs/\(caseName)")
        func only(_ file: String) throws -> ImageProcessorConfig {
            let dir = try makeTemporaryDirectory("processor-config")
            try FileManager.default.copyItem(at: folder.appendingPathComponent(file), to: dir.appendingPathComponent(file))
            return try ImageProcessorConfig.load(folder: dir)
        }
        let flat = try only("preprocessor_config.json"), nested = try only("processor_config.json")
        #expect(flat == nested)
        let className = Reference.shared.cases[caseName]!["class"] as! String
        #expect(className == flat.processorClass + "Pil")
    }
}
