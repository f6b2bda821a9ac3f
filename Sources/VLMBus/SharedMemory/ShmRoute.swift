/// How a subscriber asks for shared-memory frames, and what a publisher learns from the asks.
///
/// A same-host subscriber subscribes to `@shm:` + prefix instead of the prefix. A publisher that
/// speaks this addition sends every message whose topic matches such a request once more on the
/// topic `@shm:` + topic — frames as a `vlm/SharedFrame` reference to a slot, everything else
/// unchanged — and sends the inline message only when a plain subscription matches. Publishers
/// that do not speak it never send `@shm:` topics (docs/protocol.md section 8).
public enum SharedMemoryTopic {
    public static let marker = "@shm:"
    static let markerBytes = Array(marker.utf8)

    /// The subscription prefix that asks for `topic` (a prefix) through shared memory.
    public static func request(_ topic: String) -> String { marker + topic }
}

/// Where one publish goes: the inline topic, the `@shm:` topic, or both.
struct ShmRoute: Equatable {
    var plain: Bool
    var shared: Bool
}

/// The subscription prefixes some subscriber holds, learnt from the XPUB upstream messages
/// (VERBOSE: every subscribe; an unsubscribe only when the last holder of a prefix left, which is
/// what a set needs). Routes are cached per topic until the set changes.
struct ShmSubscriptions {
    private var prefixes: Set<[UInt8]> = []
    private var sharedPrefixes = 0
    private var cache: [String: ShmRoute] = [:]
    /// Subscribe messages for `@shm:` prefixes seen (an estimate of same-host readers).
    private(set) var sharedRequests = 0
    /// Peers control how many prefixes arrive: past this many distinct ones the set stops
    /// growing and every message is also sent inline (nobody can lose frames by it).
    static let maxPrefixes = 4096
    private(set) var overflowed = false

    /// `message` is an XPUB subscription message: 0x01 or 0x00, then the prefix.
    mutating func note(_ message: UnsafeRawBufferPointer) {
        guard let kind = message.first, kind <= 1 else { return }
        let prefix = Array(message.dropFirst())
        let isShared = prefix.starts(with: SharedMemoryTopic.markerBytes)
        if kind == 1 {
            if isShared { sharedRequests += 1 }
            guard prefixes.count < Self.maxPrefixes else {
                overflowed = true
                cache.removeAll(keepingCapacity: true)
                return
            }
            guard prefixes.insert(prefix).inserted else { return }
            if isShared { sharedPrefixes += 1 }
        } else {
            guard prefixes.remove(prefix) != nil else { return }
            if isShared { sharedPrefixes -= 1 }
        }
        cache.removeAll(keepingCapacity: true)
    }

    /// Without any `@shm:` subscription, everything goes inline exactly as in protocol v1.
    mutating func route(_ topic: String) -> ShmRoute {
        guard sharedPrefixes > 0 else { return ShmRoute(plain: true, shared: false) }
        if let r = cache[topic] { return r }
        let plainTopic = Array(topic.utf8)
        let sharedTopic = SharedMemoryTopic.markerBytes + plainTopic
        var r = ShmRoute(plain: overflowed, shared: false)
        for p in prefixes {
            if p.starts(with: SharedMemoryTopic.markerBytes) {
                if sharedTopic.starts(with: p) { r.shared = true }
            } else if plainTopic.starts(with: p) {
                r.plain = true
            }
        }
        // Bounded: a peer could make us see many topics only by our own publishing.
        if cache.count < 4096 { cache[topic] = r }
        return r
    }
}
