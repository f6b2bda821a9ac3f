import VLMBus

/// `vlm/Grounding`: the targets of a language command located in one frame (docs/grounding.md).
/// A command that does not parse is published once with `error` and no targets (and no source).
public struct GroundingMessage: TypedMessage {
    public static let messageType = "vlm/Grounding"
    public static let summary = "Targets of a language command located in one frame; or, with error, a command that was refused."
    public static let isResult = true
    public static let fieldDocs = [
        "command": "the command text", "action": "pick, place, pick_place, point, find, …",
        "intent": "the parsed command (docs/grounding.md)", "image_size": "[width, height] of the frame",
        "threshold": "minimum detection score", "targets": "one per phrase: the object, then the destination",
        "targets.role": "object or destination", "targets.phrase": "the phrase grounded (null for a region-only destination)",
        "targets.found": "whether a target was found", "targets.box": "[x0, y0, x1, y1] in image pixels, or null",
        "targets.point": "[x, y]: where to act, or null", "targets.score": "fused score, or null",
        "targets.runner_up": "the second-best candidate, or null",
        "complete": "every target found", "command_version": "1 for the first command, +1 per accepted command",
        "error": "why the command was refused (then targets is empty)", "inference_ms": "time spent in the models",
    ]

    /// The second-best candidate of a target.
    public struct Candidate: Codable, Sendable, Equatable {
        public var box: [Double]
        public var point: [Double]
        public var score: Double
        public var detectionScore: Double
        public var maskScore: Double?

        enum CodingKeys: String, CodingKey {
            case box, point, score, detectionScore = "detection_score", maskScore = "mask_score"
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(box, forKey: .box)
            try c.encode(point, forKey: .point)
            try c.encode(score, forKey: .score)
            try c.encode(detectionScore, forKey: .detectionScore)
            try c.encode(maskScore, forKey: .maskScore)  // null, not absent: readers index it
        }
    }

    public struct Target: Codable, Sendable, Equatable {
        public var role: String
        public var phrase: String?
        public var found: Bool
        public var candidates: Int
        public var box: [Double]?
        public var point: [Double]?
        public var score: Double?
        public var runnerUp: Candidate?
        public var detectionScore: Double?
        public var maskScore: Double?
        public var qualifier: String?
        public var relation: String?
        public var region: String?
        public var bestDetectionScore: Double?
        public var status: String?
        public var message: String?

        enum CodingKeys: String, CodingKey {
            case role, phrase, found, candidates, box, point, score, runnerUp = "runner_up"
            case detectionScore = "detection_score", maskScore = "mask_score", qualifier, relation, region
            case bestDetectionScore = "best_detection_score", status, message
        }

        public init(role: String, phrase: String?, found: Bool, candidates: Int) {
            self.role = role
            self.phrase = phrase
            self.found = found
            self.candidates = candidates
        }

        /// `phrase`, `box`, `point`, `score`, `runner_up` (and `mask_score` of a found target) are
        /// written as null when absent, as the grounding JSON always has; the rest are left out.
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(role, forKey: .role)
            try c.encode(phrase, forKey: .phrase)
            try c.encode(found, forKey: .found)
            try c.encode(candidates, forKey: .candidates)
            try c.encode(box, forKey: .box)
            try c.encode(point, forKey: .point)
            try c.encode(score, forKey: .score)
            try c.encode(runnerUp, forKey: .runnerUp)
            try c.encodeIfPresent(detectionScore, forKey: .detectionScore)
            if found { try c.encode(maskScore, forKey: .maskScore) } else { try c.encodeIfPresent(maskScore, forKey: .maskScore) }
            try c.encodeIfPresent(qualifier, forKey: .qualifier)
            try c.encodeIfPresent(relation, forKey: .relation)
            try c.encodeIfPresent(region, forKey: .region)
            try c.encodeIfPresent(bestDetectionScore, forKey: .bestDetectionScore)
            try c.encodeIfPresent(status, forKey: .status)
            try c.encodeIfPresent(message, forKey: .message)
        }
    }

    public var command: String
    public var action: String?
    public var intent: JSONValue?
    public var imageSize: [Int]?
    public var threshold: Double?
    public var targets: [Target]
    public var complete: Bool?
    public var commandVersion: Int
    public var error: String?
    public var inferenceMs: Double?

    enum CodingKeys: String, CodingKey {
        case command, action, intent, imageSize = "image_size", threshold, targets, complete
        case commandVersion = "command_version", error, inferenceMs = "inference_ms"
    }

    public init(command: String, action: String? = nil, intent: JSONValue? = nil, imageSize: [Int]? = nil,
                threshold: Double? = nil, targets: [Target], complete: Bool? = nil, commandVersion: Int,
                error: String? = nil, inferenceMs: Double? = nil) {
        self.command = command
        self.action = action
        self.intent = intent
        self.imageSize = imageSize
        self.threshold = threshold
        self.targets = targets
        self.complete = complete
        self.commandVersion = commandVersion
        self.error = error
        self.inferenceMs = inferenceMs
    }
}

/// Every message type this library defines, for schema tables and recorders.
public enum MessageTypes {
    public static let all: [any TypedMessage.Type] = [
        FrameMessage.self, TextMessage.self, DetectionsMessage.self, VideoScoresMessage.self,
        VideoEventMessage.self, GroundingMessage.self, LabelCountsMessage.self, LabelEventMessage.self,
    ]

    /// The JSON Schema of `type` (a header's `"type"`), or nil for a type this library does not define.
    public static func schema(for type: String) -> JSONValue? {
        guard let m = all.first(where: { $0.messageType == type }) else { return nil }
        return m.jsonSchema
    }
}

extension TypedMessage {
    /// This type's JSON Schema (docs/protocol.md), derived from its definition.
    public static var jsonSchema: JSONValue { MessageSchema.of(Self.self) }
}
