import Foundation
import VLMCore

/// Scores of one window (or a whole clip) against the current prompts.
public struct VideoScores: Sendable, Equatable, Codable {
    /// exp(logit_scale) · cosine similarity, one per prompt.
    public var logits: [Float]
    /// Softmax of `logits` over the prompts (1 for a single prompt: use the logit then).
    public var probs: [Float]
}

/// An X-CLIP model with its folder's tokenizer and frame preprocessing, and the prompts' text
/// features cached: scoring a window runs the video side only (plus the small prompt generator).
/// Not thread-safe: one scorer per thread of inference.
public final class VideoTextScorer {
    public let model: XCLIPModel
    public let tokenizer: CLIPTokenizer
    public let processor: ImageProcessor
    public private(set) var prompts: [String] = []
    private var textFeatures: Tensor?

    public var numFrames: Int { model.numFrames }

    /// Loads the model, tokenizer and processor config of a Hugging Face X-CLIP folder.
    public init(folder: URL) throws {
        model = try XCLIPModel(folder: folder)
        tokenizer = try CLIPTokenizer(folder: folder)
        processor = try ImageProcessor(folder: folder)
    }

    public init(model: XCLIPModel, tokenizer: CLIPTokenizer, processor: ImageProcessor) {
        self.model = model
        self.tokenizer = tokenizer
        self.processor = processor
    }

    /// Why a prompt list cannot be used, or nil.
    public static func problem(with prompts: [String]) -> String? {
        if prompts.isEmpty { return "no prompts given" }
        if let i = prompts.firstIndex(where: { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }) {
            return "prompt \(i + 1) is empty"
        }
        return nil
    }

    /// Sets the prompts and computes their text features once (unchanged prompts: nothing to do).
    public func setPrompts(_ prompts: [String]) throws {
        if let problem = Self.problem(with: prompts) { throw InputError(problem) }
        guard prompts != self.prompts || textFeatures == nil else { return }
        textFeatures = try model.textFeatures(tokenizer(prompts, padding: .longest))
        self.prompts = prompts
    }

    /// `numFrames` decoded frames (any size; resized and cropped by the processor config) as the
    /// model's (1, T, 3, H, W) input.
    public func pixels(_ frames: [RGBImage]) throws -> Tensor {
        guard frames.count == numFrames else {
            throw InputError("\(frames.count) frames given, the model takes \(numFrames)")
        }
        guard let batch = processor.batch(frames) else {
            throw InputError("frames of different sizes do not preprocess to one size")
        }
        return Tensor(shape: [1, numFrames] + Array(batch.shape.dropFirst()), values: batch.values)
    }

    /// Scores preprocessed pixels (1, T, 3, H, W) against the cached prompts.
    public func score(pixels: Tensor) throws -> VideoScores {
        guard let textFeatures else { throw InputError("no prompts set") }
        let out = model.logits(video: try model.videoFeatures(pixels), text: textFeatures)
        return VideoScores(logits: out.logits[0], probs: out.probabilities[0])
    }

    /// Scores `numFrames` frames already run through `processor` (so a frame shared by overlapping
    /// windows is preprocessed once).
    public func score(prepared frames: [PixelValues]) throws -> VideoScores {
        guard frames.count == numFrames, let first = frames.first,
              frames.allSatisfy({ $0.shape == first.shape }) else {
            throw InputError("\(frames.count) preprocessed frames of sizes \(Set(frames.map(\.shape))), the model takes \(numFrames) of one size")
        }
        return try score(pixels: Tensor(shape: [1, numFrames] + first.shape, values: frames.flatMap(\.values)))
    }

    /// Scores `numFrames` frames against the cached prompts.
    public func score(frames: [RGBImage]) throws -> VideoScores {
        try score(pixels: pixels(frames))
    }
}
