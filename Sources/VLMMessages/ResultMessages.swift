import VLMBus

/// `vlm/Detections`: open-vocabulary boxes found in one frame.
public struct DetectionsMessage: TypedMessage {
    public static let messageType = "vlm/Detections"
    public static let summary = "Boxes found in one frame for the active queries (source_seq/source_stamp_ns name the frame)."
    public static let isResult = true
    public static let fieldDocs = [
        "detections": "boxes above the threshold, best first",
        "detections.label": "the query this box answers",
        "detections.label_index": "index of the label in queries",
        "detections.score": "probability-like score in [0, 1]",
        "detections.box": "[x0, y0, x1, y1] in image pixels",
        "queries": "the active query list",
        "queries_version": "1 at start, +1 for every accepted query message",
        "image_size": "[width, height] of the frame",
        "inference_ms": "time spent in the model",
    ]

    public struct Detection: Codable, Sendable, Equatable {
        public var label: String
        public var labelIndex: Int
        public var score: Double
        public var box: [Double]

        enum CodingKeys: String, CodingKey { case label, labelIndex = "label_index", score, box }

        public init(label: String, labelIndex: Int, score: Double, box: [Double]) {
            self.label = label
            self.labelIndex = labelIndex
            self.score = score
            self.box = box
        }
    }

    public var detections: [Detection]
    public var queries: [String]
    public var queriesVersion: Int
    public var imageSize: [Int]?
    public var inferenceMs: Double?

    enum CodingKeys: String, CodingKey {
        case detections, queries, queriesVersion = "queries_version", imageSize = "image_size", inferenceMs = "inference_ms"
    }

    public init(detections: [Detection], queries: [String], queriesVersion: Int, imageSize: [Int]? = nil,
                inferenceMs: Double? = nil) {
        self.detections = detections
        self.queries = queries
        self.queriesVersion = queriesVersion
        self.imageSize = imageSize
        self.inferenceMs = inferenceMs
    }
}

/// `vlm/VideoScores`: prompt scores of one window of frames.
public struct VideoScoresMessage: TypedMessage {
    public static let messageType = "vlm/VideoScores"
    public static let summary = "Scores of the prompts for one rolling window of frames (source_seq: the window's newest frame)."
    public static let isResult = true
    public static let fieldDocs = [
        "prompts": "the active prompts", "prompts_version": "1 at start, +1 per accepted prompt message",
        "probs": "softmax over the prompts, one per prompt", "logits": "one per prompt",
        "score_kind": "what events compare with the threshold: prob, or logit when there is one prompt",
        "window_start_ns": "stamp_ns where the window starts", "window_end_ns": "stamp_ns of the window's newest frame",
        "frame_seqs": "seq of each frame the model saw", "inference_ms": "time spent in the model",
    ]

    public var prompts: [String]
    public var promptsVersion: Int
    public var probs: [Double]
    public var logits: [Double]
    public var scoreKind: String
    public var windowStartNs: Int64
    public var windowEndNs: Int64
    public var frameSeqs: [UInt64]
    public var inferenceMs: Double?

    enum CodingKeys: String, CodingKey {
        case prompts, promptsVersion = "prompts_version", probs, logits, scoreKind = "score_kind"
        case windowStartNs = "window_start_ns", windowEndNs = "window_end_ns", frameSeqs = "frame_seqs"
        case inferenceMs = "inference_ms"
    }

    public init(prompts: [String], promptsVersion: Int, probs: [Double], logits: [Double], scoreKind: String,
                windowStartNs: Int64, windowEndNs: Int64, frameSeqs: [UInt64], inferenceMs: Double? = nil) {
        self.prompts = prompts
        self.promptsVersion = promptsVersion
        self.probs = probs
        self.logits = logits
        self.scoreKind = scoreKind
        self.windowStartNs = windowStartNs
        self.windowEndNs = windowEndNs
        self.frameSeqs = frameSeqs
        self.inferenceMs = inferenceMs
    }
}

/// `vlm/VideoEvent`: a prompt's score crossed the threshold (start) or fell below threshold - hysteresis (end).
public struct VideoEventMessage: TypedMessage {
    public static let messageType = "vlm/VideoEvent"
    public static let summary = "A prompt's score crossed the threshold (edge start) or fell below threshold - hysteresis (edge end)."
    public static let isResult = true
    public static let fieldDocs = [
        "prompt": "the prompt", "prompt_index": "its index in the prompts", "edge": "start or end",
        "score": "the score that crossed", "score_kind": "prob, or logit when there is one prompt",
        "threshold": "event threshold", "hysteresis": "an event ends below threshold - hysteresis",
        "window_start_ns": "stamp_ns where the window starts", "window_end_ns": "stamp_ns of the window's newest frame",
        "prompts_version": "version of the prompt list",
    ]

    public var prompt: String
    public var promptIndex: Int
    public var edge: String
    public var score: Double
    public var scoreKind: String
    public var threshold: Double
    public var hysteresis: Double
    public var windowStartNs: Int64
    public var windowEndNs: Int64
    public var promptsVersion: Int

    enum CodingKeys: String, CodingKey {
        case prompt, promptIndex = "prompt_index", edge, score, scoreKind = "score_kind", threshold, hysteresis
        case windowStartNs = "window_start_ns", windowEndNs = "window_end_ns", promptsVersion = "prompts_version"
    }

    public init(prompt: String, promptIndex: Int, edge: String, score: Double, scoreKind: String, threshold: Double,
                hysteresis: Double, windowStartNs: Int64, windowEndNs: Int64, promptsVersion: Int) {
        self.prompt = prompt
        self.promptIndex = promptIndex
        self.edge = edge
        self.score = score
        self.scoreKind = scoreKind
        self.threshold = threshold
        self.hysteresis = hysteresis
        self.windowStartNs = windowStartNs
        self.windowEndNs = windowEndNs
        self.promptsVersion = promptsVersion
    }
}
