import Foundation
import VLMBus
import VLMMessages

/// `vlm/Answers`: the answers to the questions asked of one frame.
public struct AnswersMessage: TypedMessage, Equatable {
    public static let messageType = "vlm/Answers"
    public static let summary = "ViLT's answers to questions about one frame: top-k labels by sigmoid score per question."
    public static let isResult = true
    public static let fieldDocs = [
        "questions": "one entry per question answered on this frame",
        "questions.question": "the question", "questions.standing": "true for a standing question (re-answered every N frames)",
        "questions.answers": "the top-k answers, best first", "questions.answers.answer": "an answer label",
        "questions.answers.score": "sigmoid of its logit", "image_size": "[width, height] of the frame",
    ]

    public struct Answer: Codable, Sendable, Equatable {
        public var answer: String
        public var score: Double
        public init(answer: String, score: Double) { self.answer = answer; self.score = score }
    }

    public struct Question: Codable, Sendable, Equatable {
        public var question: String
        public var standing: Bool
        public var answers: [Answer]
        public init(question: String, standing: Bool, answers: [Answer]) {
            self.question = question; self.standing = standing; self.answers = answers
        }
    }

    public var questions: [Question]
    public var imageSize: [Int]

    enum CodingKeys: String, CodingKey { case questions, imageSize = "image_size" }

    public init(questions: [Question], imageSize: [Int]) {
        self.questions = questions
        self.imageSize = imageSize
    }
}

/// `vlm/AnswerEvent`: a standing question's top answer changed ("door: closed → open").
public struct AnswerEventMessage: TypedMessage {
    public static let messageType = "vlm/AnswerEvent"
    public static let summary = "A standing question's top answer changed between two answered frames."
    public static let isResult = true
    public static let fieldDocs = [
        "question": "the standing question", "previous": "the top answer before", "answer": "the top answer now",
        "score": "its score (sigmoid)", "text": "\"QUESTION: PREVIOUS → ANSWER\"",
    ]

    public var question: String
    public var previous: String
    public var answer: String
    public var score: Double
    public var text: String

    public init(question: String, previous: String, answer: String, score: Double) {
        self.question = question
        self.previous = previous
        self.answer = answer
        self.score = score
        text = "\(question): \(previous) → \(answer)"
    }
}
