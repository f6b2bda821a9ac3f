import Foundation
import VLMCore

/// What to keep of the raw predictions.
public struct DetectionOptions: Sendable, Equatable {
    /// Keep boxes whose score is strictly greater (transformers' post-processing).
    public var threshold: Float
    /// Class-aware NMS IoU; nil turns NMS off.
    public var nmsIoU: Float?
    /// Keep at most this many detections (after NMS), best first; nil keeps all.
    public var topK: Int?

    public init(threshold: Float = 0.1, nmsIoU: Float? = 0.3, topK: Int? = nil) {
        self.threshold = threshold
        self.nmsIoU = nmsIoU
        self.topK = topK
    }
}

/// A query set as the detector uses it: labels, their cached text embeddings and a version that
/// grows by one with every replacement (so results say which set produced them).
public struct QuerySet: @unchecked Sendable {
    public let labels: [String]
    public let embeddings: OwlViTQueries
    public let version: Int
    /// One line per query that was longer than the text context and got truncated.
    public let warnings: [String]
}

/// OWL-ViT detection end to end: a model folder's tokenizer, image processor and model, with the
/// text side cached per query set (never recomputed per frame) and one image pass per frame for
/// every query. Thread-safe: the query set can be replaced while another thread detects.
public final class OwlViTDetector: @unchecked Sendable {
    public let model: OwlViTForObjectDetection
    public let tokenizer: CLIPTokenizer
    public let processor: ImageProcessor
    private var current: QuerySet
    private let lock = NSLock()

    /// Loads a Hugging Face OWL-ViT folder (config.json checked first: another architecture fails
    /// with its name) and embeds `queries`. Truncation warnings are in `queries.warnings`.
    public convenience init(folder: URL, queries: [String]) throws {
        let model = try OwlViTForObjectDetection(folder: folder)
        try self.init(model: model, tokenizer: CLIPTokenizer(folder: folder), processor: ImageProcessor(folder: folder),
                      queries: queries)
    }

    public init(model: OwlViTForObjectDetection, tokenizer: CLIPTokenizer, processor: ImageProcessor, queries: [String]) throws {
        self.model = model
        self.tokenizer = tokenizer
        self.processor = processor
        current = try Self.embed(queries, model: model, tokenizer: tokenizer, version: 1)
    }

    /// The query set in use.
    public var queries: QuerySet { lock.withLock { current } }

    /// Replaces the query set; the next detection uses it. Returns the new set (with warnings).
    @discardableResult
    public func setQueries(_ labels: [String]) throws -> QuerySet {
        let version = queries.version + 1
        let set = try Self.embed(labels, model: model, tokenizer: tokenizer, version: version)
        lock.withLock { current = set }
        return set
    }

    /// The model's text context: the tokenizer's model_max_length, never past the position table.
    public var textContext: Int {
        let positions = model.configuration.textConfig.maxPositionEmbeddings
        return min(tokenizer.modelMaxLength ?? positions, positions)
    }

    static func embed(_ labels: [String], model: OwlViTForObjectDetection, tokenizer: CLIPTokenizer, version: Int) throws -> QuerySet {
        guard !labels.isEmpty else { throw InputError("no text queries: give at least one, e.g. \"red cup\"") }
        if let empty = labels.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            throw InputError("query \(empty + 1) of \(labels.count) is empty")
        }
        let positions = model.configuration.textConfig.maxPositionEmbeddings
        let limit = min(tokenizer.modelMaxLength ?? positions, positions)
        // As transformers with truncation: keep the first limit-2 tokens, then <|endoftext|>.
        let warnings = labels.compactMap { label -> String? in
            let count = tokenizer.tokenize(label).count + 2
            guard count > limit else { return nil }
            return "query \"\(label)\" has \(count) tokens, more than the text context of \(limit): truncated to its first \(limit - 2) tokens"
        }
        let batch = tokenizer(labels, padding: .maxLength, truncation: true, maxLength: limit)
        return QuerySet(labels: labels, embeddings: try model.queries(batch), version: version, warnings: warnings)
    }

    /// Pixels for the model: the folder's processor (resize straight to the input size, no crop).
    public func pixels(_ image: RGBImage) throws -> Tensor {
        let p = processor(image)
        let size = model.configuration.visionConfig.imageSize
        guard p.height == size, p.width == size else {
            throw InputError("the image processor produced \(p.width)x\(p.height) pixels, the model takes \(size)x\(size)")
        }
        return Tensor(shape: [1, 3, p.height, p.width], values: p.values)
    }

    /// Detections in pixels of `image`, with the current query set. Returns the set used too.
    public func detect(_ image: RGBImage, options: DetectionOptions = .init()) throws -> (detections: [Detection], queries: QuerySet) {
        try detect(pixels: pixels(image), imageWidth: image.width, imageHeight: image.height, options: options)
    }

    /// Detections for already processed `pixels` (1, 3, S, S), scaled to `imageWidth` x `imageHeight`.
    public func detect(pixels: Tensor, imageWidth: Int, imageHeight: Int,
                       options: DetectionOptions = .init()) throws -> (detections: [Detection], queries: QuerySet) {
        let image = try model.imageFeatures(pixels)
        let set = queries
        let logits = model.logits(image: image, queries: set.embeddings)
        var found = DetectionPostProcess.detections(logits: logits.values, boxes: image.boxes.values, labels: set.labels,
                                                    imageWidth: imageWidth, imageHeight: imageHeight,
                                                    threshold: options.threshold)
        if let iou = options.nmsIoU { found = DetectionPostProcess.nonMaximumSuppression(found, iou: iou) }
        if let k = options.topK, found.count > k { found = Array(found.prefix(max(0, k))) }
        return (found, set)
    }
}
