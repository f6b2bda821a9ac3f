/// Automatic choice between shared-memory and inline frames for one subscriber
/// (docs/protocol.md section 8.4).
///
/// The subscriber asks for each topic prefix both ways (`@shm:` + prefix, then the prefix) and
/// lets the first shared message decide: a publisher that speaks the addition sends a frame's
/// reference before its inline copy, so when the reference maps, the plain subscription is
/// dropped (the publisher then stops copying the frame through the socket); when it cannot be
/// mapped (another host or container), the `@shm:` one is. A publisher that does not speak the
/// addition never sends `@shm:` topics, so its messages keep arriving inline. Duplicates in flight
/// around the switch are dropped here, before any counter sees them. Only the receiving thread
/// uses it.
final class ShmNegotiation {
    enum State: Equatable { case negotiating, shared, inline }

    private struct Prefix {
        let plain: String
        var state = State.negotiating
        /// The `seq` last delivered inline per topic while negotiating (a mirrored non-frame
        /// message comes inline first, then shared: the second copy is dropped).
        var lastInlineSeq: [String: UInt64] = [:]
    }

    private var prefixes: [Prefix]
    /// Unsubscribe messages (0x00 + prefix) for the receiving thread to send upstream.
    private(set) var outbox: [[UInt8]] = []

    init(prefixes: [String]) { self.prefixes = prefixes.map { Prefix(plain: $0) } }

    /// The subscriptions to send first: each prefix through shared memory, then inline.
    static func subscriptions(_ prefixes: [String]) -> [String] {
        prefixes.flatMap { [SharedMemoryTopic.request($0), $0] }
    }

    /// The state of the longest prefix matching `topic` (nil: none matches).
    func state(of topic: String) -> State? { index(topic).map { prefixes[$0].state } }

    /// Whether to deliver a message on `topic` (marker removed) with `seq` that came through
    /// shared memory (`shared`) or inline. `unavailable`: a shared frame whose segment could not
    /// be mapped — this subscriber falls back to inline for the prefix.
    func admit(topic: String, seq: UInt64, shared: Bool, unavailable: Bool) -> Bool {
        guard let i = index(topic) else { return true }
        switch (prefixes[i].state, shared) {
        case (.negotiating, false):
            prefixes[i].lastInlineSeq[topic] = seq
            if prefixes[i].lastInlineSeq.count > 64 { prefixes[i].lastInlineSeq.removeAll() }
            return true
        case (.negotiating, true):
            if unavailable {
                prefixes[i].state = .inline
                outbox.append([0] + Array(SharedMemoryTopic.request(prefixes[i].plain).utf8))
                return false
            }
            prefixes[i].state = .shared
            outbox.append([0] + Array(prefixes[i].plain.utf8))
            let duplicate = prefixes[i].lastInlineSeq[topic] == seq
            prefixes[i].lastInlineSeq.removeAll()
            return !duplicate
        case (.shared, true), (.inline, false):
            return true
        case (.shared, false), (.inline, true):
            return false  // the other copy, already on its way before the unsubscribe took effect
        }
    }

    /// Hands the pending unsubscribe messages to `send` (on the receiving thread).
    func flush(_ send: ([UInt8]) -> Void) {
        guard !outbox.isEmpty else { return }
        outbox.forEach(send)
        outbox.removeAll()
    }

    private func index(_ topic: String) -> Int? {
        var best: Int?
        for (i, p) in prefixes.enumerated() where topic.hasPrefix(p.plain) {
            if best == nil || p.plain.count > prefixes[best!].plain.count { best = i }
        }
        return best
    }
}
