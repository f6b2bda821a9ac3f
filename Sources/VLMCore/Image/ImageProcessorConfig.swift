// Port of the transformers 5.24 *ImageProcessorPil defaults (clip, owlvit, videomae, vit) and get_size_dict.
import Foundation

/// A processor config that cannot be used; names the file and the key at fault.
public struct ImageProcessorConfigError: Error, Equatable, CustomStringConvertible {
    public let file: String
    public let reason: String
    public var description: String { "\(file): \(reason)" }
}

/// How `resize` picks the output size.
public enum ResizeSize: Sendable, Equatable {
    /// Scale so the shorter side is this long, keeping the aspect ratio (int-truncated long side).
    case shortestEdge(Int)
    /// Exactly this size (aspect ratio not kept).
    case exact(height: Int, width: Int)
}

/// The fields of transformers' CLIPImageProcessor, OwlViTImageProcessor, VideoMAEImageProcessor
/// (X-CLIP) and ViTImageProcessor (CLIPSeg), with each class's defaults for absent keys.
public struct ImageProcessorConfig: Sendable, Equatable {
    /// Normalised class name, e.g. "CLIPImageProcessor" (from image_processor_type / feature_extractor_type).
    public var processorClass: String
    public var doResize: Bool
    public var size: ResizeSize
    public var resample: ResampleFilter
    public var doCenterCrop: Bool
    /// (height, width); nil when the class has no crop.
    public var cropSize: (height: Int, width: Int)?
    public var doRescale: Bool
    public var rescaleFactor: Double
    public var doNormalize: Bool
    public var imageMean: [Double]
    public var imageStd: [Double]
    public var doConvertRGB: Bool

    public static func == (a: Self, b: Self) -> Bool {
        a.processorClass == b.processorClass && a.doResize == b.doResize && a.size == b.size
            && a.resample == b.resample && a.doCenterCrop == b.doCenterCrop
            && a.cropSize?.height == b.cropSize?.height && a.cropSize?.width == b.cropSize?.width
            && a.doRescale == b.doRescale && a.rescaleFactor == b.rescaleFactor && a.doNormalize == b.doNormalize
            && a.imageMean == b.imageMean && a.imageStd == b.imageStd && a.doConvertRGB == b.doConvertRGB
    }

    static let clipMean = [0.48145466, 0.4578275, 0.40821073], clipStd = [0.26862954, 0.26130258, 0.27577711]
    static let standardMean = [0.5, 0.5, 0.5], standardStd = [0.5, 0.5, 0.5]

    /// The class defaults (transformers 5 *ImageProcessorPil attributes) and how an int `size` reads.
    static func defaults(for processorClass: String) -> (ImageProcessorConfig, defaultToSquare: Bool)? {
        var c = ImageProcessorConfig(
            processorClass: processorClass, doResize: true, size: .shortestEdge(224), resample: .bicubic,
            doCenterCrop: true, cropSize: (224, 224), doRescale: true, rescaleFactor: 1.0 / 255.0,
            doNormalize: true, imageMean: clipMean, imageStd: clipStd, doConvertRGB: true)
        switch processorClass {
        case "CLIPImageProcessor":
            return (c, false)
        case "OwlViTImageProcessor":
            c.size = .exact(height: 768, width: 768); c.doCenterCrop = false; c.cropSize = (768, 768)
            return (c, true)
        case "VideoMAEImageProcessor":
            c.resample = .bilinear; c.imageMean = standardMean; c.imageStd = standardStd; c.doConvertRGB = false
            return (c, false)
        case "ViTImageProcessor":
            c.resample = .bilinear; c.imageMean = standardMean; c.imageStd = standardStd
            c.size = .exact(height: 224, width: 224); c.doCenterCrop = false; c.cropSize = nil; c.doConvertRGB = false
            return (c, true)
        default:
            return nil
        }
    }

    /// Reads a model folder's `processor_config.json` (newer repos: its `image_processor` object)
    /// or else `preprocessor_config.json` (older repos), the order transformers 5 uses.
    public static func load(folder: URL) throws -> ImageProcessorConfig {
        let fm = FileManager.default
        let old = folder.appendingPathComponent("preprocessor_config.json")
        let new = folder.appendingPathComponent("processor_config.json")
        // Without a type in the file, transformers picks the class from config.json's model_type.
        let modelConfig = folder.appendingPathComponent("config.json")
        let modelType = fm.fileExists(atPath: modelConfig.path)
            ? (try? readObject(modelConfig))?["model_type"] as? String : nil
        // transformers 5 prefers processor_config.json's image_processor when both files exist.
        if fm.fileExists(atPath: new.path) {
            let root = try readObject(new)
            if let nested = root["image_processor"] as? [String: Any] {
                return try parse(object: nested, file: new.path, modelType: modelType)
            }
            if !fm.fileExists(atPath: old.path) {
                throw ImageProcessorConfigError(file: new.path, reason: "no \"image_processor\" object")
            }
        }
        if fm.fileExists(atPath: old.path) {
            return try parse(object: readObject(old), file: old.path, modelType: modelType)
        }
        throw ImageProcessorConfigError(
            file: folder.path, reason: "no image processor config: looked for preprocessor_config.json, processor_config.json")
    }

    static func readObject(_ url: URL) throws -> [String: Any] {
        guard let data = try? Data(contentsOf: url) else {
            throw ImageProcessorConfigError(file: url.path, reason: "cannot be read")
        }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ImageProcessorConfigError(file: url.path, reason: "is not a JSON object")
        }
        return object
    }

    /// transformers 5's AutoImageProcessor class per model_type, for files that name no class: the
    /// registry's models, and two processor-only model types whose processors this parser knows.
    static func classForModelType(_ modelType: String) -> String? {
        ModelRegistry.kind(modelType: modelType)?.imageProcessorClass
            ?? ["videomae": "VideoMAEImageProcessor", "vit": "ViTImageProcessor"][modelType]
    }

    /// Parses one processor object (the flat file, or the nested `image_processor`); `modelType`
    /// (config.json) picks the class when the object names none.
    public static func parse(object o: [String: Any], file: String, modelType: String? = nil) throws -> ImageProcessorConfig {
        func fail(_ reason: String) -> ImageProcessorConfigError { ImageProcessorConfigError(file: file, reason: reason) }
        let rawType = (o["image_processor_type"] as? String) ?? (o["feature_extractor_type"] as? String)
            ?? modelType.flatMap(classForModelType)
        guard let rawType else {
            throw fail("neither image_processor_type nor feature_extractor_type is set (and no known model_type in config.json)")
        }
        var name = rawType.replacingOccurrences(of: "FeatureExtractor", with: "ImageProcessor")
        for suffix in ["Fast", "Pil"] where name.hasSuffix(suffix) { name.removeLast(suffix.count) }
        guard let (defaults, square) = defaults(for: name) else {
            throw fail("unsupported image processor \"\(rawType)\" (CLIP, OwlViT, VideoMAE, ViT are)")
        }
        var c = defaults
        func bool(_ key: String) throws -> Bool? {
            guard let v = o[key], !(v is NSNull) else { return nil }
            guard let n = v as? NSNumber else { throw fail("\"\(key)\" is not a boolean") }
            return n.boolValue
        }
        func triple(_ key: String) throws -> [Double]? {
            guard let v = o[key], !(v is NSNull) else { return nil }
            if let n = v as? NSNumber, n.doubleValue.isFinite { return [n.doubleValue, n.doubleValue, n.doubleValue] }
            guard let list = v as? [NSNumber], list.count == 3 else { throw fail("\"\(key)\" must be a number or 3 numbers") }
            guard list.allSatisfy({ $0.doubleValue.isFinite }) else { throw fail("\"\(key)\" = \(list) must be finite numbers") }
            return list.map(\.doubleValue)
        }
        func positive(_ v: Any?, _ key: String) throws -> Int {
            // The magnitude is checked as a Double first: intValue of 1e300 is not an integer.
            guard let n = v as? NSNumber, abs(n.doubleValue) < 0x1p53, n.intValue > 0, Double(n.intValue) == n.doubleValue else {
                throw fail("\"\(key)\" = \(v ?? "null") must be a positive integer")
            }
            // A side sizes the resized image buffers: bounded like a model's image_size.
            let limit = ModelLimits.current.imageSize
            guard n.intValue <= limit else {
                throw fail("\"\(key)\" = \(n.intValue) exceeds the limit of \(limit) pixels (raise it with VLMNODE_MODEL_LIMITS=image_size=N)")
            }
            return n.intValue
        }
        if let v = try bool("do_resize") { c.doResize = v }
        if let v = try bool("do_center_crop") { c.doCenterCrop = v }
        if let v = try bool("do_rescale") { c.doRescale = v }
        if name == "OwlViTImageProcessor", let v = try bool("rescale") { c.doRescale = v }  // old OWL-ViT key; wins
        if let v = try bool("do_normalize") { c.doNormalize = v }
        if let v = try bool("do_convert_rgb") { c.doConvertRGB = v }
        if let v = o["rescale_factor"], !(v is NSNull) {
            guard let n = v as? NSNumber, n.doubleValue.isFinite else { throw fail("\"rescale_factor\" = \(v) is not a finite number") }
            c.rescaleFactor = n.doubleValue
        }
        if let v = try triple("image_mean") { c.imageMean = v }
        if let v = try triple("image_std") { c.imageStd = v }
        if let v = o["resample"], !(v is NSNull) {
            guard let n = v as? NSNumber, let f = ResampleFilter(rawValue: n.intValue) else {
                throw fail("\"resample\" \(v) is not a supported PIL filter (0 nearest, 1 lanczos, 2 bilinear, 3 bicubic, 4 box, 5 hamming)")
            }
            c.resample = f
        }
        if let v = o["size"], !(v is NSNull) {
            if v is NSNumber {
                let s = try positive(v, "size")
                c.size = square ? .exact(height: s, width: s) : .shortestEdge(s)
            } else if let d = v as? [String: Any] {
                if d["longest_edge"] != nil && !(d["longest_edge"] is NSNull) {
                    throw fail("\"size\" with longest_edge is not supported")
                } else if let s = d["shortest_edge"], !(s is NSNull) {
                    c.size = .shortestEdge(try positive(s, "size.shortest_edge"))
                } else {
                    c.size = .exact(height: try positive(d["height"], "size.height"), width: try positive(d["width"], "size.width"))
                }
            } else if let l = v as? [NSNumber], l.count == 2 {
                c.size = .exact(height: try positive(l[0], "size[0]"), width: try positive(l[1], "size[1]"))
            } else {
                throw fail("\"size\" must be an integer, {shortest_edge} or {height, width}")
            }
        }
        if let v = o["crop_size"], !(v is NSNull) {
            if v is NSNumber {
                let s = try positive(v, "crop_size")
                c.cropSize = (s, s)
            } else if let d = v as? [String: Any] {
                c.cropSize = (try positive(d["height"], "crop_size.height"), try positive(d["width"], "crop_size.width"))
            } else {
                throw fail("\"crop_size\" must be an integer or {height, width}")
            }
        }
        if c.doCenterCrop && c.cropSize == nil { throw fail("do_center_crop is set but crop_size is missing") }
        if c.imageStd.contains(0) { throw fail("\"image_std\" contains 0") }
        return c
    }
}
