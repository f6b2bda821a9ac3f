/// How messages are buffered between a publisher and a slow reader (docs/protocol.md, "QoS").
public enum QoS: Sendable, Equatable, CustomStringConvertible {
    /// Newest wins: at most one pending message per topic; older ones are dropped and counted.
    /// For frames: a slow reader always gets the newest frame and never holds memory for more.
    case latest
    /// A bounded FIFO: when full, the oldest pending message is dropped and counted.
    /// For results and events, where each message matters but memory must stay bounded.
    case queue(capacity: Int)

    /// libzmq's per-peer high-water mark (whole messages) used for this QoS. Small for `latest`
    /// so a stalled peer pins at most two frames in the publisher.
    var highWaterMark: Int32 {
        switch self {
        case .latest: return 2
        case .queue(let capacity): return Int32(clamping: max(capacity, 1))
        }
    }

    public var description: String {
        switch self {
        case .latest: return "latest"
        case .queue(let capacity): return "queue(\(capacity))"
        }
    }
}
