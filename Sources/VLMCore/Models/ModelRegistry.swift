import Foundation

/// One model the inference core implements: the `model_type` a Hugging Face config.json names,
/// what users call it, the Swift type that loads it and the commands and node types that use it.
public struct ModelKind: Sendable, Hashable {
    /// config.json's `model_type` (`owlvit`).
    public let modelType: String
    /// What users call it (`OWL-ViT`).
    public let displayName: String
    /// transformers' class names in config.json's `architectures` for this model_type.
    public let architectures: [String]
    /// The Swift type that loads a folder of this kind (`OwlViTForObjectDetection`).
    public let loader: String
    /// vlmnode commands and node types that load it.
    public let tasks: [String]
    /// transformers' AutoImageProcessor class for the model_type, used when a processor file names none.
    public let imageProcessorClass: String?

    /// `OWL-ViT (model_type "owlvit", OwlViTForObjectDetection)`.
    public var description: String { "\(displayName) (model_type \"\(modelType)\", \(architectures.joined(separator: "/")))" }
}

/// The one table from `model_type` (and `architectures`) to the model: every configuration loader
/// checks a folder against it before decoding, and `vlmnode models info` prints from it.
public enum ModelRegistry {
    public static let clip = ModelKind(
        modelType: "clip", displayName: "CLIP", architectures: ["CLIPModel"], loader: String(describing: CLIPModel.self),
        tasks: ["classify", "bench clip"], imageProcessorClass: "CLIPImageProcessor")
    public static let owlvit = ModelKind(
        modelType: "owlvit", displayName: "OWL-ViT", architectures: ["OwlViTForObjectDetection"],
        loader: String(describing: OwlViTForObjectDetection.self),
        tasks: ["detect", "node detect", "node ground (detector)", "bench owlvit"], imageProcessorClass: "OwlViTImageProcessor")
    public static let xclip = ModelKind(
        modelType: "xclip", displayName: "X-CLIP", architectures: ["XCLIPModel"], loader: String(describing: XCLIPModel.self),
        tasks: ["video", "node video", "bench xclip"], imageProcessorClass: "CLIPImageProcessor")
    public static let clipseg = ModelKind(
        modelType: "clipseg", displayName: "CLIPSeg", architectures: ["CLIPSegForImageSegmentation"],
        loader: String(describing: CLIPSegModel.self),
        tasks: ["segment", "ground", "node ground (segmenter)", "bench clipseg"], imageProcessorClass: "ViTImageProcessor")
    public static let vilt = ModelKind(
        modelType: "vilt", displayName: "ViLT", architectures: ["ViltForQuestionAnswering"],
        loader: String(describing: ViltForQuestionAnswering.self),
        tasks: ["ask", "node vqa", "bench vilt"], imageProcessorClass: nil)

    /// Every model this build can load.
    public static let all: [ModelKind] = [clip, owlvit, xclip, clipseg, vilt]

    /// The model of a config: by `model_type`, else by its first known architecture.
    public static func kind(modelType: String?, architectures: [String] = []) -> ModelKind? {
        if let modelType, let kind = all.first(where: { $0.modelType == modelType }) { return kind }
        return all.first { kind in architectures.contains { kind.architectures.contains($0) } }
    }

    /// `clip (CLIPModel), owlvit (OwlViTForObjectDetection), …`: what the registry knows, for messages.
    public static var knownArchitectures: String {
        all.map { "\($0.modelType) (\($0.architectures.joined(separator: "/")))" }.joined(separator: ", ")
    }

    /// Refuses a config.json (its bytes, read from `file`) whose `model_type` is not one of
    /// `expected`, in one line naming what the file holds and every architecture the registry knows.
    /// Called before decoding: another model's config may not even decode as the expected one's.
    @discardableResult
    public static func require(_ expected: [ModelKind], configData data: Data, file: URL) throws -> ModelKind {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw InputError("\(file.path) is not a JSON object")
        }
        return try require(expected, modelType: object["model_type"] as? String,
                           architectures: object["architectures"] as? [String] ?? [], file: file)
    }

    /// As `require(_:configData:file:)`, for a config already read.
    @discardableResult
    public static func require(_ expected: [ModelKind], modelType: String?, architectures: [String], file: URL) throws -> ModelKind {
        if let modelType, let kind = expected.first(where: { $0.modelType == modelType }) { return kind }
        let found = ([architectures.first].compactMap { $0 } + ["model_type \(modelType.map { "\"\($0)\"" } ?? "missing")"]).joined(separator: ", ")
        let wanted = expected.map(\.description).joined(separator: " or ")
        throw InputError("\(file.path) holds \(found), not \(wanted); known architectures: \(knownArchitectures)")
    }
}
