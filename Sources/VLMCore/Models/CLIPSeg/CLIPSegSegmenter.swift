import Foundation

/// CLIPSeg with its tokenizer and image processor: an RGB image and text prompts in, one mask per
/// prompt out. What the CLI, the grounding pipeline and the node call. One call at a time.
public final class CLIPSegSegmenter: @unchecked Sendable {
    public let model: CLIPSegModel
    public let tokenizer: CLIPTokenizer
    public let processor: ImageProcessor

    public init(model: CLIPSegModel, tokenizer: CLIPTokenizer, processor: ImageProcessor) {
        self.model = model
        self.tokenizer = tokenizer
        self.processor = processor
    }

    /// Loads a Hugging Face CLIPSeg folder: config, weights, tokenizer and preprocessor config.
    public convenience init(folder: URL) throws {
        try self.init(model: CLIPSegModel(folder: folder), tokenizer: CLIPTokenizer(folder: folder),
                      processor: ImageProcessor(folder: folder))
    }

    /// Masks for `prompts` on `image`: padding "longest" as CLIPSegProcessor, the image encoded once.
    /// The prompts' embeddings are kept until the prompts change (a node segments many frames).
    public func segment(_ image: RGBImage, prompts: [String]) throws -> Segmentation {
        guard !prompts.isEmpty else { throw InputError("give at least one prompt to segment") }
        let pixels = processor(image)
        let input = Tensor(shape: [1, 3, pixels.height, pixels.width], values: pixels.values)
        let out = try model.segment(pixels: input, conditioning: try conditioning(prompts))
        return Segmentation(prompts: prompts, logits: out.logits, imageWidth: image.width, imageHeight: image.height)
    }

    private var cached: (prompts: [String], embeddings: Tensor)?
    private let lock = NSLock()

    /// The projected prompt embeddings, computed once per prompt list.
    public func conditioning(_ prompts: [String]) throws -> Tensor {
        if let c = lock.withLock({ cached }), c.prompts == prompts { return c.embeddings }
        let batch = tokenizer(prompts, padding: .longest)
        let e = try model.conditionalEmbeddings(batch.inputIds.map { $0.map(Int.init) },
                                                attentionMask: batch.attentionMask.map { $0.map(Int.init) })
        lock.withLock { cached = (prompts, e) }
        return e
    }
}

/// Masks of several prompts on one image, at the model's output size.
public struct Segmentation: Sendable {
    public let prompts: [String]
    /// (prompts, height, width) logits.
    public let logits: Tensor
    /// Size of the image the masks describe.
    public let imageWidth: Int, imageHeight: Int

    public init(prompts: [String], logits: Tensor, imageWidth: Int, imageHeight: Int) {
        (self.prompts, self.logits, self.imageWidth, self.imageHeight) = (prompts, logits, imageWidth, imageHeight)
    }

    /// Model output size (width, height).
    public var width: Int { logits.shape[2] }
    public var height: Int { logits.shape[1] }

    /// Logits of prompt `index` as rows.
    public func logitRows(_ index: Int) -> [[Float]] {
        let v = logits[index].values
        return (0 ..< height).map { Array(v[$0 * width ..< ($0 + 1) * width]) }
    }

    /// Sigmoid probabilities of prompt `index` at the model's output size, row-major.
    public func probabilities(_ index: Int) -> [Float] {
        let p = logits[index].copy()
        Ops.activate(p, .sigmoid)
        return p.values
    }

    /// Sigmoid probabilities of prompt `index` resampled (bilinear) to the image size, row-major.
    public func imageProbabilities(_ index: Int) -> [Float] {
        let p = logits[index].copy()
        Ops.activate(p, .sigmoid)
        return withExtendedLifetime(p) {
            Ops.resizeBilinear(p.pointer, height: height, width: width, toHeight: imageHeight, width: imageWidth)
        }
    }
}
