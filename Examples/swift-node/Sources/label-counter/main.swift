// label-counter: vlm/Detections in; per-label counts (vlm/LabelCounts) and an event when a label
// appears or disappears (vlm/LabelEvent) out. Started by a launch file as an `exec` node; its ports
// and params come from VLMNODE_WIRING (or the spec's defaults).
import VLMBus
import VLMMessages
import VLMNode

enum LabelCounter: NodePlugin {
    static let spec = NodeTypeSpec(
        name: "label-counter", summary: "per-label counts of vlm/Detections and appear/disappear events",
        inputs: [PortSpec("detections", topic: "detections", type: MessageType.detections, queue: 64)],
        outputs: [PortSpec("counts", topic: "label_counts", type: LabelCountsMessage.messageType),
                  PortSpec("events", topic: "label_events", type: LabelEventMessage.messageType)],
        params: [ParamSpec("min_score", .number, default: .double(0), doc: "count boxes scoring at least this")])

    static func make(wiring: NodeWiring, log: NodeLog) throws -> any NodeProcessor {
        Counter(minScore: try wiring.double("min_score") ?? 0)
    }
}

final class Counter: NodeProcessor {
    let minScore: Double
    var previous: [String: Int] = [:]
    init(minScore: Double) { self.minScore = minScore }

    func process(_ message: BusMessage, input: String, runtime: NodeRuntime) throws {
        let boxes = try DetectionsMessage(message: message).detections.filter { $0.score >= minScore }
        let counts = Dictionary(boxes.map { ($0.label, 1) }, uniquingKeysWith: +)
        try runtime.publish(LabelCountsMessage(counts: counts.sorted { $0.key < $1.key }.map { .init(label: $0.key, count: $0.value) },
                                               total: boxes.count, minScore: minScore),
                            on: "counts", stampedFrom: message)
        for label in Set(counts.keys).symmetricDifference(previous.keys).sorted() {
            let now = counts[label] ?? 0
            try runtime.publish(LabelEventMessage(label: label, edge: now > 0 ? "appeared" : "disappeared",
                                                  count: now, previousCount: previous[label] ?? 0),
                                on: "events", stampedFrom: message)
        }
        previous = counts
    }
}

NodeMain.main(LabelCounter.self)
