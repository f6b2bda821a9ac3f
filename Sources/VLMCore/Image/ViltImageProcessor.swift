// Port of transformers 5.25 models/vilt/image_processing_pil_vilt.py (ViltImageProcessorPil).
import Foundation

/// A batch of ViLT inputs: pixels padded (bottom/right, zeros) to the largest image and the mask
/// of real pixels, as transformers' `pixel_values` / `pixel_mask`.
public struct ViltPixelBatch: Sendable {
    /// (B, 3, H, W).
    public let pixels: Tensor
    /// B masks of H·W values, 1 on real pixels.
    public let masks: [[UInt8]]
    public var height: Int { pixels.shape[2] }
    public var width: Int { pixels.shape[3] }

    /// Image `i` as a (1, 3, H, W) view with its mask.
    public func item(_ i: Int) -> (pixels: Tensor, mask: [UInt8]) {
        let plane = 3 * height * width
        return (Tensor(shape: [1, 3, height, width], storage: pixels.storage, offset: pixels.offset + i * plane), masks[i])
    }
}

/// ViltImageProcessor: shortest-edge resize capped at 1333/800 of it on the long side, both sides
/// floored to `size_divisor`, PIL resampling on uint8, rescale, normalize, pad the batch with a pixel mask.
public struct ViltImageProcessor: Sendable {
    public var doResize = true
    public var shortestEdge = 384
    public var sizeDivisor = 32
    public var resample = ResampleFilter.bicubic
    public var doRescale = true
    public var rescaleFactor = 1.0 / 255.0
    public var doNormalize = true
    public var imageMean = [0.5, 0.5, 0.5]
    public var imageStd = [0.5, 0.5, 0.5]
    public var doPad = true

    public init() {}

    /// Reads a model folder's processor_config.json (`image_processor`) or preprocessor_config.json.
    public init(folder: URL) throws {
        let new = folder.appendingPathComponent("processor_config.json"), old = folder.appendingPathComponent("preprocessor_config.json")
        if FileManager.default.fileExists(atPath: new.path),
           let nested = try ImageProcessorConfig.readObject(new)["image_processor"] as? [String: Any] {
            try self.init(object: nested, file: new.path)
        } else if FileManager.default.fileExists(atPath: old.path) {
            try self.init(object: ImageProcessorConfig.readObject(old), file: old.path)
        } else {
            throw ImageProcessorConfigError(file: folder.path, reason: "no image processor config: looked for processor_config.json, preprocessor_config.json")
        }
    }

    /// Parses one processor object; absent keys keep ViltImageProcessor's defaults.
    public init(object o: [String: Any], file: String) throws {
        func fail(_ reason: String) -> ImageProcessorConfigError { ImageProcessorConfigError(file: file, reason: reason) }
        let type = (o["image_processor_type"] as? String) ?? (o["feature_extractor_type"] as? String) ?? "ViltImageProcessor"
        guard type.hasPrefix("Vilt") else { throw fail("image processor \"\(type)\" is not ViltImageProcessor") }
        func bool(_ key: String) throws -> Bool? {
            guard let v = o[key], !(v is NSNull) else { return nil }
            guard let n = v as? NSNumber else { throw fail("\"\(key)\" is not a boolean") }
            return n.boolValue
        }
        func int(_ v: Any?, _ key: String, max: Int = 1 << 14) throws -> Int {
            guard let n = v as? NSNumber, n.intValue > 0, n.intValue <= max, Double(n.intValue) == n.doubleValue else {
                throw fail("\"\(key)\" must be an integer in 1...\(max)")
            }
            return n.intValue
        }
        func triple(_ key: String) throws -> [Double]? {
            guard let v = o[key], !(v is NSNull) else { return nil }
            if let n = v as? NSNumber { return [n.doubleValue, n.doubleValue, n.doubleValue] }
            guard let list = v as? [NSNumber], list.count == 3 else { throw fail("\"\(key)\" must be a number or 3 numbers") }
            return list.map(\.doubleValue)
        }
        doResize = try bool("do_resize") ?? doResize
        doRescale = try bool("do_rescale") ?? doRescale
        doNormalize = try bool("do_normalize") ?? doNormalize
        doPad = try bool("do_pad") ?? doPad
        if let v = o["size"], !(v is NSNull) {
            // Capped at 4096 (the published models use 384): the output can be 1.67x that on the long side.
            if v is NSNumber { shortestEdge = try int(v, "size", max: 4096) }
            else if let d = v as? [String: Any], d["shortest_edge"] != nil {
                shortestEdge = try int(d["shortest_edge"], "size.shortest_edge", max: 4096)
            }
            else { throw fail("\"size\" must be an integer or {shortest_edge}") }
        }
        if let v = o["size_divisor"], !(v is NSNull) { sizeDivisor = try int(v, "size_divisor") }
        if let v = o["resample"], !(v is NSNull) {
            guard let n = v as? NSNumber, let f = ResampleFilter(rawValue: n.intValue) else { throw fail("\"resample\" \(v) is not a PIL filter") }
            resample = f
        }
        if let v = o["rescale_factor"], !(v is NSNull) {
            guard let n = v as? NSNumber else { throw fail("\"rescale_factor\" is not a number") }
            rescaleFactor = n.doubleValue
        }
        imageMean = try triple("image_mean") ?? imageMean
        imageStd = try triple("image_std") ?? imageStd
        if imageStd.contains(0) { throw fail("\"image_std\" contains 0") }
    }

    /// get_resize_output_image_size in Python's double arithmetic: short side -> `shortest_edge`,
    /// long side capped at int(1333 / 800 · shortest_edge), each side rounded half up then floored to the divisor.
    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        guard doResize else { return (height, width) }
        let minSize = Double(shortestEdge), maxSize = Double(Int(1333.0 / 800.0 * Double(shortestEdge)))
        let scale = minSize / Double(min(height, width))
        var (h, w) = height < width ? (minSize, scale * Double(width)) : (scale * Double(height), minSize)
        if max(h, w) > maxSize {
            let s = maxSize / max(h, w)
            h *= s; w *= s
        }
        return (Int(h + 0.5) / sizeDivisor * sizeDivisor, Int(w + 0.5) / sizeDivisor * sizeDivisor)
    }

    /// The uint8 image after resize (before rescale/normalize).
    public func resized(_ image: RGBImage) throws -> RGBImage {
        guard image.width > 0, image.height > 0 else { throw InputError("image is empty (\(image.width)x\(image.height))") }
        let (h, w) = outputSize(height: image.height, width: image.width)
        guard h > 0, w > 0 else {
            throw InputError("a \(image.width)x\(image.height) image resizes to \(w)x\(h) (size \(shortestEdge), size_divisor \(sizeDivisor)): too thin")
        }
        return doResize ? PILResize.resize(image, width: w, height: h, filter: resample) : image
    }

    /// Rescale and normalize with the shared PIL-backend code (no resize or crop there).
    private var normalizer: ImageProcessor {
        ImageProcessor(config: ImageProcessorConfig(
            processorClass: "ViltImageProcessor", doResize: false, size: .shortestEdge(shortestEdge), resample: resample,
            doCenterCrop: false, cropSize: nil, doRescale: doRescale, rescaleFactor: rescaleFactor,
            doNormalize: doNormalize, imageMean: imageMean, imageStd: imageStd, doConvertRGB: true))
    }

    /// Processes `images` into one batch padded to the largest height and width (without `do_pad`
    /// the images must come out the same size).
    public func callAsFunction(_ images: [RGBImage]) throws -> ViltPixelBatch {
        guard !images.isEmpty else { throw InputError("no images to process") }
        let prepared = try images.map { normalizer(try resized($0)) }
        let h = prepared.map(\.height).max()!, w = prepared.map(\.width).max()!
        if !doPad, prepared.contains(where: { $0.height != h || $0.width != w }) {
            throw InputError("images come out at different sizes and do_pad is off")
        }
        let pixels = Tensor(zeros: [prepared.count, 3, h, w])
        var masks: [[UInt8]] = []
        for (i, p) in prepared.enumerated() {
            var mask = [UInt8](repeating: 0, count: h * w)
            for y in 0 ..< p.height { for x in 0 ..< p.width { mask[y * w + x] = 1 } }
            masks.append(mask)
            p.values.withUnsafeBufferPointer { src in
                for c in 0 ..< 3 {
                    for y in 0 ..< p.height {
                        (pixels.pointer + ((i * 3 + c) * h + y) * w).update(from: src.baseAddress! + (c * p.height + y) * p.width, count: p.width)
                    }
                }
            }
        }
        return ViltPixelBatch(pixels: pixels, masks: masks)
    }
}
