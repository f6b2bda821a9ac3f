/// The stats back-channel message a subscriber sends upstream to every publisher it is connected
/// to (XSUB -> XPUB): `{"vlm_stats":1,"sub":ID,"topics":{TOPIC:{"received":N,"dropped":D}}}`.
/// Counts are cumulative, so a lost report costs nothing but freshness.
struct SubscriberReport {
    var subscriber: String
    var dropped: [String: UInt64]

    init?(json bytes: UnsafeRawBufferPointer) {
        guard let object = try? JSONValue.parseObject(bytes), object["vlm_stats"]?.intValue == 1,
              let id = object["sub"]?.stringValue, let topics = object["topics"]?.objectValue else { return nil }
        subscriber = id
        dropped = [:]
        for (topic, counts) in topics {
            if let d = counts.objectValue?["dropped"]?.intValue, d >= 0 { dropped[topic] = UInt64(d) }
        }
    }

    static func encode(subscriber: String, topics: [String: TopicCounters]) -> String {
        var perTopic: [String: JSONValue] = [:]
        for (topic, c) in topics {
            perTopic[topic] = ["received": .int(Int64(c.received)), "dropped": .int(Int64(c.dropped))]
        }
        return JSONValue.object(["vlm_stats": 1, "sub": .string(subscriber), "topics": .object(perTopic)]).jsonText
    }
}
