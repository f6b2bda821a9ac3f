import Foundation

/// One question's answers as transformers' VQA pipeline reports them: labels by score, plus every logit.
public struct VQAResult: Sendable, Equatable {
    public let question: String
    /// The top-k (label, sigmoid score), best first.
    public let answers: [(answer: String, score: Float)]
    /// Every label's logit, in label-id order.
    public let logits: [Float]

    public static func == (a: Self, b: Self) -> Bool {
        a.question == b.question && a.logits == b.logits && a.answers.map(\.answer) == b.answers.map(\.answer)
    }

    /// The best answer (nil only for a model without labels).
    public var top: (answer: String, score: Float)? { answers.first }
}

/// Visual question answering with a ViLT VQA folder: tokenizer, image processor and model together.
/// Questions are tokenized with truncation to the tokenizer's model_max_length (or the model's
/// max_position_embeddings); the image is processed once and shared by every question.
public final class ViltVQA: @unchecked Sendable {
    public let model: ViltForQuestionAnswering
    public let tokenizer: BertTokenizer
    public let processor: ViltImageProcessor

    public init(model: ViltForQuestionAnswering, tokenizer: BertTokenizer, processor: ViltImageProcessor) {
        self.model = model
        self.tokenizer = tokenizer
        self.processor = processor
    }

    /// Loads a model folder; another architecture fails naming it, before the weights are read.
    public convenience init(folder: URL) throws {
        let model = try ViltForQuestionAnswering(folder: folder)
        try self.init(model: model, tokenizer: BertTokenizer(folder: folder), processor: ViltImageProcessor(folder: folder))
    }

    /// `[CLS] … [SEP]` ids of a question, cut to what the model's positions allow.
    public func encode(_ question: String) -> [Int] {
        let positions = model.configuration.maxPositionEmbeddings
        return tokenizer.encode(question, maxLength: min(tokenizer.modelMaxLength ?? positions, positions)).map(Int.init)
    }

    /// The image tokens of `image`, to ask several questions about one frame.
    public func imageTokens(_ image: RGBImage) throws -> ViltImageTokens {
        let batch = try processor([image])
        return try model.imageTokens(batch.pixels, pixelMask: nil)
    }

    /// Answers every question about `image`; `topK` answers each.
    public func ask(_ image: RGBImage, questions: [String], topK: Int = 5) throws -> [VQAResult] {
        try ask(imageTokens(image), questions: questions, topK: topK)
    }

    /// Answers every question about precomputed image tokens.
    public func ask(_ image: ViltImageTokens, questions: [String], topK: Int = 5) throws -> [VQAResult] {
        if let empty = questions.firstIndex(where: { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }) {
            throw InputError("question \(empty + 1) is empty")
        }
        let labels = model.labels
        let answers = try model.answer(questions.map(encode), image: image)
        return zip(questions, answers).map { question, a in
            VQAResult(question: question, answers: a.top(topK).map { (labels[$0.id], $0.score) }, logits: a.logits)
        }
    }
}
