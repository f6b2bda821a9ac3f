import VLMBus

// JSON Schemas (draft 2020-12) of the vlmnode result types, from docs/protocol.md, docs/video.md and
// docs/grounding.md: what a `json` channel declares so Foxglove's Raw Messages and Plot panels know
// the fields. The recorded message is the wire header itself, so the schema describes the header.
// Unknown keys are allowed: protocol v1 adds optional fields without a version bump.

/// JSON Schemas of the message types vlmnode knows; any other type gets the envelope only.
public enum ResultSchemas {
    private static let int: JSONValue = ["type": "integer"]
    private static let num: JSONValue = ["type": "number"]
    private static let str: JSONValue = ["type": "string"]
    private static let bool: JSONValue = ["type": "boolean"]
    private static func array(_ items: JSONValue, count: Int64? = nil) -> JSONValue {
        guard let count else { return ["type": "array", "items": items] }
        return ["type": "array", "items": items, "minItems": .int(count), "maxItems": .int(count)]
    }
    private static func nullable(_ schema: JSONValue) -> JSONValue { ["anyOf": [schema, ["type": "null"]]] }

    /// The header fields every message has (protocol §2).
    private static let envelope: [String: JSONValue] = [
        "v": ["const": 1], "type": str, "seq": ["type": "integer", "minimum": 0], "stamp_ns": int,
        "source_seq": ["type": "integer", "minimum": 0], "source_stamp_ns": int,
        "blobs": array(["type": "integer", "minimum": 0]),
    ]
    private static let counters: [String: JSONValue] = [
        "inference_ms": num, "latency_ms": num, "frames_received": int, "frames_dropped": int, "frames_overwritten": int,
    ]
    private static let box: JSONValue = array(num, count: 4)
    private static let point: JSONValue = array(num, count: 2)

    private static func schema(_ type: String, _ properties: [String: JSONValue], required: [String] = []) -> JSONValue {
        var props = envelope
        for (k, v) in properties { props[k] = v }
        return [
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": .string(type),
            "type": "object",
            "properties": .object(props),
            "required": .array((["v", "type", "seq", "stamp_ns"] + required).map { .string($0) }),
        ]
    }

    private static let detection: JSONValue = [
        "type": "object",
        "properties": ["label": str, "label_index": int, "score": num, "box": box],
        "required": ["label", "score", "box"],
    ]

    private static let groundingTarget: JSONValue = [
        "type": "object",
        "properties": [
            "role": str, "phrase": nullable(str), "found": bool, "status": str, "message": str,
            "relation": str, "qualifier": str, "region": str,
            "box": nullable(box), "point": nullable(point), "score": nullable(num),
            "detection_score": nullable(num), "mask_score": nullable(num),
            "candidates": int, "best_detection_score": nullable(num),
            "runner_up": nullable(["type": "object", "properties": ["box": box, "point": point, "score": num]]),
        ],
        "required": ["role"],
    ]

    /// The schema of `type` (known types in full, others the envelope only).
    public static func schema(forType type: String) -> JSONValue {
        switch type {
        case "vlm/Detections":
            return schema(type, counters.merging([
                "detections": array(detection), "queries": array(str), "queries_version": int,
                "image_size": array(int, count: 2),
            ]) { a, _ in a }, required: ["detections"])
        case "vlm/Text":
            return schema(type, ["text": str])
        case "vlm/VideoScores":
            return schema(type, counters.merging([
                "prompts": array(str), "prompts_version": int, "probs": array(num), "logits": array(num),
                "score_kind": ["enum": ["prob", "logit"]], "window_start_ns": int, "window_end_ns": int,
                "frame_seqs": array(int),
            ]) { a, _ in a }, required: ["prompts", "probs"])
        case "vlm/VideoEvent":
            return schema(type, [
                "prompt": str, "prompt_index": int, "edge": ["enum": ["start", "end"]], "score": num,
                "score_kind": ["enum": ["prob", "logit"]], "threshold": num, "hysteresis": num,
                "window_start_ns": int, "window_end_ns": int, "prompts_version": int,
            ], required: ["prompt", "edge"])
        case "vlm/Grounding":
            return schema(type, counters.merging([
                "command": str, "action": nullable(str), "intent": ["type": ["object", "null"]],
                "image_size": array(int, count: 2), "threshold": num, "targets": array(groundingTarget),
                "command_version": int, "complete": bool, "error": str,
            ]) { a, _ in a }, required: ["targets"])
        default:
            return schema(type, [:])
        }
    }

    /// The schema as the text an MCAP schema record / advertise carries.
    public static func schemaText(forType type: String) -> String { schema(forType: type).jsonText }
}
