import VLMBus

/// `vlm/LabelCounts`: how many boxes of each label one vlm/Detections result holds
/// (Examples/swift-node's `label-counter` node publishes it).
public struct LabelCountsMessage: TypedMessage {
    public static let messageType = "vlm/LabelCounts"
    public static let summary = "Boxes per label in one vlm/Detections result (source_seq/source_stamp_ns name the result)."
    public static let isResult = true
    public static let fieldDocs = [
        "counts": "one entry per label with at least one box, sorted by label",
        "counts.label": "the label (a detector query)",
        "counts.count": "boxes with this label scoring at least min_score",
        "total": "boxes counted in all",
        "min_score": "boxes scoring below this were not counted",
    ]

    public struct LabelCount: Codable, Sendable, Equatable {
        public var label: String
        public var count: Int
        public init(label: String, count: Int) { (self.label, self.count) = (label, count) }
    }

    public var counts: [LabelCount]
    public var total: Int
    public var minScore: Double

    enum CodingKeys: String, CodingKey { case counts, total, minScore = "min_score" }

    public init(counts: [LabelCount], total: Int, minScore: Double) {
        self.counts = counts
        self.total = total
        self.minScore = minScore
    }
}

/// `vlm/LabelEvent`: a label appeared in (or disappeared from) a stream of vlm/Detections.
public struct LabelEventMessage: TypedMessage {
    public static let messageType = "vlm/LabelEvent"
    public static let summary = "A label appeared (had no box in the previous result) or disappeared (has none now)."
    public static let isResult = true
    public static let fieldDocs = [
        "label": "the label", "edge": "appeared or disappeared",
        "count": "boxes with this label now (0 when it disappeared)",
        "previous_count": "boxes with this label in the previous result",
    ]

    public var label: String
    public var edge: String
    public var count: Int
    public var previousCount: Int

    enum CodingKeys: String, CodingKey { case label, edge, count, previousCount = "previous_count" }

    public init(label: String, edge: String, count: Int, previousCount: Int) {
        self.label = label
        self.edge = edge
        self.count = count
        self.previousCount = previousCount
    }
}
