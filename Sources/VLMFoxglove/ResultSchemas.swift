import VLMBus
import VLMMessages

// The JSON Schema a `json` channel declares so Foxglove's Raw Messages and Plot panels know the
// fields. The recorded message is the wire header itself, so the schema describes the header:
// VLMMessages derives it from each message type's definition; a type a plugin declares outside
// VLMMessages gets the envelope every message has (docs/protocol.md §2).

/// JSON Schemas of result channels.
public enum ResultSchemas {
    /// The header fields every message has; unknown keys are allowed (v1 adds optional fields).
    static func envelope(_ type: String) -> JSONValue {
        [
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": .string(type),
            "type": "object",
            "properties": [
                "v": ["const": 1], "type": ["type": "string"], "seq": ["type": "integer", "minimum": 0],
                "stamp_ns": ["type": "integer"], "source_seq": ["type": "integer", "minimum": 0],
                "source_stamp_ns": ["type": "integer"], "blobs": ["type": "array", "items": ["type": "integer", "minimum": 0]],
            ],
            "required": ["v", "type", "seq", "stamp_ns"],
        ]
    }

    /// The schema of `type`: VLMMessages' for the types it defines, the envelope otherwise.
    public static func schema(forType type: String) -> JSONValue {
        MessageTypes.schema(for: type) ?? envelope(type)
    }

    /// The schema as the text an MCAP schema record / advertise carries.
    public static func schemaText(forType type: String) -> String { schema(forType: type).jsonText }
}
