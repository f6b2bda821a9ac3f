import Foundation
import Testing
import TestSupport
@testable import VLMCore

/// The one model_type -> model table (ModelRegistry): every configuration loader refuses a config
/// of another model_type in one line that lists the architectures the registry knows.
@Suite struct ModelRegistryTests {
    /// A fixture's config.json copied into a temp folder with `model_type` replaced.
    static func folder(_ fixture: String, modelType: String?) throws -> URL {
        let data = try Data(contentsOf: Fixtures.url("models/\(fixture)/config.json"))
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        object["model_type"] = modelType
        let dir = try makeTemporaryDirectory("model-type")
        try JSONSerialization.data(withJSONObject: object).write(to: dir.appendingPathComponent("config.json"))
        return dir
    }

    /// Each loader with its fixture and the registry entry it should check against.
    static let loaders: [(fixture: String, kind: ModelKind, load: @Sendable (URL) throws -> Void)] = [
        ("clip-tiny-new", ModelRegistry.clip, { _ = try CLIPConfiguration.load($0) }),
        ("owlvit-tiny-new", ModelRegistry.owlvit, { _ = try OwlViTConfiguration.load($0) }),
        ("xclip-tiny-bin", ModelRegistry.xclip, { _ = try XCLIPConfiguration.load($0) }),
        ("clipseg-tiny", ModelRegistry.clipseg, { _ = try CLIPSegConfiguration.load($0) }),
        ("vilt-tiny-bin", ModelRegistry.vilt, { _ = try ViltConfiguration.load($0) }),
    ]

    @Test(arguments: 0 ..< loaders.count)
    func eachLoaderRefusesAWrongModelType(_ index: Int) throws {
        let (fixture, kind, load) = Self.loaders[index]
        try load(Fixtures.url("models/\(fixture)"))  // the fixture itself loads
        let other = ModelRegistry.all.first { $0 != kind }!
        for wrong in ["bert", other.modelType, nil] {
            let folder = try Self.folder(fixture, modelType: wrong)
            let error = #expect(throws: InputError.self, "\(fixture) as model_type \(wrong ?? "missing")") { try load(folder) }
            let text = error?.description ?? ""
            #expect(!text.contains("\n"), "one line: \(text)")
            #expect(text.contains(folder.appendingPathComponent("config.json").path), "\(text)")
            #expect(text.contains("model_type \(wrong.map { "\"\($0)\"" } ?? "missing"), not \(kind.displayName) (model_type \"\(kind.modelType)\""), "\(text)")
            #expect(text.hasSuffix("known architectures: clip (CLIPModel), owlvit (OwlViTForObjectDetection), xclip (XCLIPModel), "
                                   + "clipseg (CLIPSegForImageSegmentation), vilt (ViltForQuestionAnswering)"), "\(text)")
        }
    }

    @Test func everyFixtureHasItsEntryAndTheLoaderNamesAreTheSwiftTypes() throws {
        for name in UnreadWeightsTests.fixtures {
            let architecture = try ModelArchitecture.read(folder: Fixtures.url("models/\(name)"))
            let kind = try #require(architecture.kind, "\(name)")
            #expect(kind.modelType == architecture.modelType && kind.architectures.contains(architecture.name), "\(name)")
        }
        #expect(ModelRegistry.all.map(\.loader) == ["CLIPModel", "OwlViTForObjectDetection", "XCLIPModel", "CLIPSegModel", "ViltForQuestionAnswering"])
        #expect(Set(ModelRegistry.all.map(\.modelType)).count == ModelRegistry.all.count)
        // A config without model_type is matched by its architecture (for display); loaders still want the type.
        #expect(ModelRegistry.kind(modelType: nil, architectures: ["XCLIPModel"]) == ModelRegistry.xclip)
        #expect(ModelRegistry.kind(modelType: "bert", architectures: ["BertModel"]) == nil)
        // The image processor class for a processor file that names none comes from the same table.
        #expect(ImageProcessorConfig.classForModelType("owlvit") == "OwlViTImageProcessor")
        #expect(ImageProcessorConfig.classForModelType("vit") == "ViTImageProcessor")
    }
}
