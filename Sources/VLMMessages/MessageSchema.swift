import VLMBus

/// JSON Schemas (draft 2020-12) of typed messages, derived from their `Codable` definition: a
/// decoder walks the type's `init(from:)` and records each field it asks for, its JSON type and
/// whether it is optional (`decodeIfPresent`).
public enum MessageSchema {
    /// The schema of the whole header of `M`: the protocol's standard fields, the stamp fields of
    /// results, then `M`'s own fields.
    public static func of<M: TypedMessage>(_ type: M.Type) -> JSONValue {
        var object = (try? fields(of: M.self, docs: M.fieldDocs, prefix: "")) ?? ObjectSchema()
        if M.isResult {
            let stamp = (try? fields(of: ResultStamp.self, docs: ResultStamp.fieldDocs, prefix: "")) ?? ObjectSchema()
            for (k, v) in stamp.properties where object.properties[k] == nil { object.properties[k] = v }
        }
        object.properties["v"] = ["type": "integer", "const": .int(MessageHeader.protocolVersion), "description": "protocol version"]
        object.properties["type"] = ["type": "string", "const": .string(M.messageType)]
        object.properties["seq"] = ["type": "integer", "minimum": 0, "description": "per-topic sequence number; gaps mean lost messages"]
        object.properties["stamp_ns"] = ["type": "integer", "description": "publish/capture time, ns since the Unix epoch"]
        object.properties["blobs"] = ["type": "array", "items": ["type": "integer", "minimum": 0],
                                      "description": "byte count of each blob part after the header"]
        object.required.formUnion(["v", "type", "seq", "stamp_ns"])
        if M.isResult {
            object.properties["source_seq"] = ["type": "integer", "minimum": 0, "description": "seq of the message this result was computed from"]
            object.properties["source_stamp_ns"] = ["type": "integer", "description": "stamp_ns of the message this result was computed from"]
        }
        var schema = object.json
        if case .object(var o) = schema {
            o["$schema"] = "https://json-schema.org/draft/2020-12/schema"
            o["title"] = .string(M.messageType)
            o["description"] = .string(M.summary)
            schema = .object(o)
        }
        return schema
    }

    static func fields<T: Decodable>(of type: T.Type, docs: [String: String], prefix: String) throws -> ObjectSchema {
        let recorder = SchemaRecorder(docs: docs, prefix: prefix)
        _ = try T(from: SchemaDecoder(recorder: recorder, node: .object))
        return recorder.object
    }
}

/// An object schema being built.
struct ObjectSchema {
    var properties: [String: JSONValue] = [:]
    var required: Set<String> = []

    var json: JSONValue {
        var o: [String: JSONValue] = ["type": "object", "properties": .object(properties)]
        if !required.isEmpty { o["required"] = .array(required.sorted().map { .string($0) }) }
        return .object(o)
    }
}

/// Collects what one object's `init(from:)` asked for.
final class SchemaRecorder {
    let docs: [String: String]
    let prefix: String
    var object = ObjectSchema()
    /// For a single-value or unkeyed walk: the schema of the one value asked for.
    var single: JSONValue?

    init(docs: [String: String], prefix: String) {
        self.docs = docs
        self.prefix = prefix
    }

    func record(_ key: String, _ schema: JSONValue, optional: Bool) {
        var s = schema
        if case .object(var o) = s, let doc = docs[prefix + key] {
            o["description"] = .string(doc)
            s = .object(o)
        }
        if optional, case .object(var o) = s, let t = o["type"] {
            o["type"] = .array([t, "null"])
            s = .object(o)
        }
        object.properties[key] = s
        if !optional { object.required.insert(key) }
    }

    /// The schema of a value of `T`, and a placeholder value to hand back to the walking init.
    func schema<T: Decodable>(of type: T.Type, path: String) throws -> (JSONValue, T) {
        if let p = Primitive.schema(T.self) { return (p.schema, p.value as! T) }
        if T.self == JSONValue.self { return ([:], JSONValue.null as! T) }
        let child = SchemaRecorder(docs: docs, prefix: path + ".")
        let decoder = SchemaDecoder(recorder: child, node: .unknown)
        let value = try T(from: decoder)
        if let single = child.single { return (single, value) }
        return (child.object.json, value)
    }
}

/// Primitive Swift types and their JSON Schema types.
enum Primitive {
    static func schema(_ type: Any.Type) -> (schema: JSONValue, value: Any)? {
        switch type {
        case is String.Type: return (["type": "string"], "")
        case is Bool.Type: return (["type": "boolean"], false)
        case is Double.Type: return (["type": "number"], 0.0)
        case is Float.Type: return (["type": "number"], Float(0))
        case is Int.Type: return (["type": "integer"], 0)
        case is Int64.Type: return (["type": "integer"], Int64(0))
        case is Int32.Type: return (["type": "integer"], Int32(0))
        case is UInt64.Type: return (["type": "integer", "minimum": 0], UInt64(0))
        case is UInt32.Type: return (["type": "integer", "minimum": 0], UInt32(0))
        case is UInt.Type: return (["type": "integer", "minimum": 0], UInt(0))
        default: return nil
        }
    }
}

struct SchemaDecoder: Decoder {
    enum Node { case object, unknown }
    let recorder: SchemaRecorder
    let node: Node
    var codingPath: [CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] = [:]

    init(recorder: SchemaRecorder, node: Node) {
        self.recorder = recorder
        self.node = node
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(SchemaKeyedContainer<Key>(recorder: recorder))
    }

    func unkeyedContainer() throws -> UnkeyedDecodingContainer {
        SchemaUnkeyedContainer(recorder: recorder)
    }

    func singleValueContainer() throws -> SingleValueDecodingContainer {
        SchemaSingleContainer(recorder: recorder)
    }
}

struct SchemaKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let recorder: SchemaRecorder
    var codingPath: [CodingKey] = []
    var allKeys: [Key] { [] }

    func contains(_ key: Key) -> Bool { true }
    func decodeNil(forKey key: Key) throws -> Bool { false }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try walk(T.self, key, optional: false) }
    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? { try walk(T.self, key, optional: true) }

    // The protocol lists every primitive separately; each forwards to the generic walk.
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try walk(Bool.self, key, optional: false) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try walk(String.self, key, optional: false) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try walk(Double.self, key, optional: false) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try walk(Float.self, key, optional: false) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try walk(Int.self, key, optional: false) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try walk(Int8.self, key, optional: false) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try walk(Int16.self, key, optional: false) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try walk(Int32.self, key, optional: false) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try walk(Int64.self, key, optional: false) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try walk(UInt.self, key, optional: false) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try walk(UInt8.self, key, optional: false) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try walk(UInt16.self, key, optional: false) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try walk(UInt32.self, key, optional: false) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try walk(UInt64.self, key, optional: false) }
    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try walk(Bool.self, key, optional: true) }
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try walk(String.self, key, optional: true) }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try walk(Double.self, key, optional: true) }
    func decodeIfPresent(_ type: Float.Type, forKey key: Key) throws -> Float? { try walk(Float.self, key, optional: true) }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try walk(Int.self, key, optional: true) }
    func decodeIfPresent(_ type: Int8.Type, forKey key: Key) throws -> Int8? { try walk(Int8.self, key, optional: true) }
    func decodeIfPresent(_ type: Int16.Type, forKey key: Key) throws -> Int16? { try walk(Int16.self, key, optional: true) }
    func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? { try walk(Int32.self, key, optional: true) }
    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try walk(Int64.self, key, optional: true) }
    func decodeIfPresent(_ type: UInt.Type, forKey key: Key) throws -> UInt? { try walk(UInt.self, key, optional: true) }
    func decodeIfPresent(_ type: UInt8.Type, forKey key: Key) throws -> UInt8? { try walk(UInt8.self, key, optional: true) }
    func decodeIfPresent(_ type: UInt16.Type, forKey key: Key) throws -> UInt16? { try walk(UInt16.self, key, optional: true) }
    func decodeIfPresent(_ type: UInt32.Type, forKey key: Key) throws -> UInt32? { try walk(UInt32.self, key, optional: true) }
    func decodeIfPresent(_ type: UInt64.Type, forKey key: Key) throws -> UInt64? { try walk(UInt64.self, key, optional: true) }

    private func walk<T: Decodable>(_ type: T.Type, _ key: Key, optional: Bool) throws -> T {
        let (schema, value) = try recorder.schema(of: T.self, path: recorder.prefix + key.stringValue)
        recorder.record(key.stringValue, schema, optional: optional)
        return value
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        throw MessageDecodeError("schema: nested containers are not supported (\(key.stringValue))")
    }
    func nestedUnkeyedContainer(forKey key: Key) throws -> UnkeyedDecodingContainer {
        throw MessageDecodeError("schema: nested containers are not supported (\(key.stringValue))")
    }
    func superDecoder() throws -> Decoder { throw MessageDecodeError("schema: superDecoder is not supported") }
    func superDecoder(forKey key: Key) throws -> Decoder { throw MessageDecodeError("schema: superDecoder is not supported") }
}

/// An array: the walk asks for one element, whose schema becomes `items`.
struct SchemaUnkeyedContainer: UnkeyedDecodingContainer {
    let recorder: SchemaRecorder
    var codingPath: [CodingKey] = []
    var count: Int? { 1 }
    var isAtEnd: Bool { currentIndex >= 1 }
    var currentIndex = 0

    mutating func decodeNil() throws -> Bool { false }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try element(T.self) }

    private mutating func element<T: Decodable>(_ type: T.Type) throws -> T {
        let path = recorder.prefix.hasSuffix(".") ? String(recorder.prefix.dropLast()) : recorder.prefix
        let (schema, value) = try recorder.schema(of: T.self, path: path)
        recorder.single = ["type": "array", "items": schema]
        currentIndex += 1
        return value
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try element(Bool.self) }
    mutating func decode(_ type: String.Type) throws -> String { try element(String.self) }
    mutating func decode(_ type: Double.Type) throws -> Double { try element(Double.self) }
    mutating func decode(_ type: Float.Type) throws -> Float { try element(Float.self) }
    mutating func decode(_ type: Int.Type) throws -> Int { try element(Int.self) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try element(Int8.self) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try element(Int16.self) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try element(Int32.self) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try element(Int64.self) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try element(UInt.self) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try element(UInt8.self) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try element(UInt16.self) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try element(UInt32.self) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try element(UInt64.self) }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        throw MessageDecodeError("schema: nested containers are not supported")
    }
    mutating func nestedUnkeyedContainer() throws -> UnkeyedDecodingContainer {
        throw MessageDecodeError("schema: nested containers are not supported")
    }
    mutating func superDecoder() throws -> Decoder { throw MessageDecodeError("schema: superDecoder is not supported") }
}

/// A single value (a `RawRepresentable` enum, a wrapper type).
struct SchemaSingleContainer: SingleValueDecodingContainer {
    let recorder: SchemaRecorder
    var codingPath: [CodingKey] = []

    func decodeNil() -> Bool { false }

    func decode<T: Decodable>(_ type: T.Type) throws -> T { try decodeGeneric(T.self) }
    func decode(_ type: Bool.Type) throws -> Bool { try decodeGeneric(Bool.self) }
    func decode(_ type: String.Type) throws -> String { try decodeGeneric(String.self) }
    func decode(_ type: Double.Type) throws -> Double { try decodeGeneric(Double.self) }
    func decode(_ type: Float.Type) throws -> Float { try decodeGeneric(Float.self) }
    func decode(_ type: Int.Type) throws -> Int { try decodeGeneric(Int.self) }
    func decode(_ type: Int8.Type) throws -> Int8 { try decodeGeneric(Int8.self) }
    func decode(_ type: Int16.Type) throws -> Int16 { try decodeGeneric(Int16.self) }
    func decode(_ type: Int32.Type) throws -> Int32 { try decodeGeneric(Int32.self) }
    func decode(_ type: Int64.Type) throws -> Int64 { try decodeGeneric(Int64.self) }
    func decode(_ type: UInt.Type) throws -> UInt { try decodeGeneric(UInt.self) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try decodeGeneric(UInt8.self) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try decodeGeneric(UInt16.self) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try decodeGeneric(UInt32.self) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try decodeGeneric(UInt64.self) }

    private func decodeGeneric<T: Decodable>(_ type: T.Type) throws -> T {
        let path = recorder.prefix.hasSuffix(".") ? String(recorder.prefix.dropLast()) : recorder.prefix
        let (schema, value) = try recorder.schema(of: T.self, path: path)
        recorder.single = schema
        return value
    }
}
