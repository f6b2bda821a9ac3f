// Port of transformers 5.24's PilBackend (image_processing_backends.py) and image_transforms.py.
import Foundation

/// Normalised pixels of one image, channel-first fp32 `[3, height, width]`.
public struct PixelValues: Sendable, Equatable {
    public let height: Int
    public let width: Int
    /// CHW, `3 * height * width` values.
    public var values: [Float]
    public var shape: [Int] { [3, height, width] }
}

/// transformers' PIL-backend image processing (resize -> center crop -> rescale -> normalize) for
/// the CLIP family, driven by an `ImageProcessorConfig`.
public struct ImageProcessor: Sendable {
    public let config: ImageProcessorConfig

    public init(config: ImageProcessorConfig) { self.config = config }

    /// Reads the processor config of a model folder (see `ImageProcessorConfig.load`).
    public init(folder: URL) throws { config = try ImageProcessorConfig.load(folder: folder) }

    /// Size after `resize`, as transformers' get_resize_output_image_size: the short side becomes
    /// `s`, the long side `int(s * long / short)` (truncated), computed in double like Python.
    public static func resizedSize(height: Int, width: Int, size: ResizeSize) -> (height: Int, width: Int) {
        switch size {
        case let .exact(h, w): return (h, w)
        case let .shortestEdge(s):
            let short = min(width, height), long = max(width, height)
            let newLong = Int(Double(s * long) / Double(short))
            return width <= height ? (newLong, s) : (s, newLong)
        }
    }

    /// The output size for an input of this size.
    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        var size = (height: height, width: width)
        if config.doResize { size = Self.resizedSize(height: height, width: width, size: config.size) }
        if config.doCenterCrop, let crop = config.cropSize { size = crop }
        return size
    }

    /// The uint8 image after resize and center crop (before rescale/normalize).
    public func resizedAndCropped(_ image: RGBImage) -> RGBImage {
        var image = image
        if config.doResize {
            let (h, w) = Self.resizedSize(height: image.height, width: image.width, size: config.size)
            image = PILResize.resize(image, width: w, height: h, filter: config.resample)
        }
        if config.doCenterCrop, let crop = config.cropSize {
            image = Self.centerCrop(image, height: crop.height, width: crop.width)
        }
        return image
    }

    /// transformers' center_crop: offsets `floor((in - crop) / 2)`; zero padding where the crop
    /// reaches outside the image.
    public static func centerCrop(_ image: RGBImage, height: Int, width: Int) -> RGBImage {
        if height == image.height && width == image.width { return image }
        func floorHalf(_ v: Int) -> Int { v >= 0 ? v / 2 : -((-v + 1) / 2) }
        let top = floorHalf(image.height - height), left = floorHalf(image.width - width)
        var out = [UInt8](repeating: 0, count: height * width * 3)
        let x0 = max(0, -left), x1 = min(width, image.width - left)
        if x1 > x0 {
            image.pixels.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { dst in
                    for y in 0..<height {
                        let sy = y + top
                        guard sy >= 0 && sy < image.height else { continue }
                        let s = (sy * image.width + x0 + left) * 3, d = (y * width + x0) * 3
                        dst.baseAddress!.advanced(by: d).update(from: src.baseAddress!.advanced(by: s), count: (x1 - x0) * 3)
                    }
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
    }

    /// Per channel, the fp32 value of each uint8 level: `Float(Double(v) * rescale_factor)` (float64
    /// then float32, as transformers' rescale), then `(x - mean) / std` in float32 as its normalize.
    func levelTable() -> [Float] {
        var table = [Float](repeating: 0, count: 3 * 256)
        for c in 0..<3 {
            let mean = Float(config.imageMean[c]), std = Float(config.imageStd[c])
            for v in 0..<256 {
                var x = config.doRescale ? Float(Double(v) * config.rescaleFactor) : Float(v)
                if config.doNormalize { x = (x - mean) / std }
                table[c * 256 + v] = x
            }
        }
        return table
    }

    /// Full preprocessing of one image.
    public func callAsFunction(_ image: RGBImage) -> PixelValues {
        let prepared = resizedAndCropped(image)
        var values = [Float](repeating: 0, count: 3 * prepared.width * prepared.height)
        values.withUnsafeMutableBufferPointer { write(prepared, into: $0) }
        return PixelValues(height: prepared.height, width: prepared.width, values: values)
    }

    /// A batch `[N, 3, H, W]` (flattened); nil when the images do not come out the same size
    /// (shortest-edge resize without a crop keeps each aspect ratio).
    public func batch(_ images: [RGBImage]) -> (shape: [Int], values: [Float])? {
        let prepared = images.map(resizedAndCropped)
        guard let first = prepared.first,
              prepared.allSatisfy({ $0.width == first.width && $0.height == first.height }) else { return nil }
        let plane = 3 * first.width * first.height
        var values = [Float](repeating: 0, count: plane * prepared.count)
        values.withUnsafeMutableBufferPointer { buffer in
            for (i, image) in prepared.enumerated() {
                write(image, into: UnsafeMutableBufferPointer(rebasing: buffer[(i * plane)..<((i + 1) * plane)]))
            }
        }
        return ([prepared.count, 3, first.height, first.width], values)
    }

    /// HWC uint8 -> CHW fp32 through the level table.
    private func write(_ image: RGBImage, into out: UnsafeMutableBufferPointer<Float>) {
        let table = levelTable()
        let n = image.width * image.height
        table.withUnsafeBufferPointer { t in
            image.pixels.withUnsafeBufferPointer { px in
                for c in 0..<3 {
                    let lut = t.baseAddress! + c * 256
                    let dst = out.baseAddress! + c * n
                    // Wrapping index (&*, &+): 3·i + c < 3·n, the pixel buffer's size; a per-pixel
                    // overflow check kept this loop from vectorising.
                    for i in 0..<n { dst[i] = lut[Int(px[3 &* i &+ c])] }
                }
            }
        }
    }
}
