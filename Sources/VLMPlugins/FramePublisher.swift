import Foundation
import VLMBus
import VLMMedia

/// Publishes decoded frames as `vlm/Frame` messages: a JSON header (seq, stamp_ns, pts, width,
/// height, encoding, step) and the pixels as one blob, handed to ZeroMQ without a copy.
public final class FramePublisher {
    public let publisher: Publisher
    public let topic: String

    public init(bind: String, topic: String, allowRemote: Bool = false, security: BusSecurity = .none) throws {
        publisher = try Publisher(bind: bind, qos: .latest, allowRemote: allowRemote, security: security)
        self.topic = topic
    }

    public var endpoint: String { publisher.endpoint }

    /// Waits (up to `timeout` seconds, or until interrupted) for `count` subscriptions, so the
    /// first frames are not lost to ZeroMQ's slow-joiner window.
    public func waitForSubscribers(_ count: Int, timeout: Double, interrupt: InterruptFlag) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !interrupt.isRaised && Date() < deadline {
            if publisher.waitForSubscribers(count, timeout: 0.1) { return true }
        }
        return false
    }

    public func publish(_ frame: consuming VideoFrame) throws {
        let info = frame.info
        let pixels = frame.takePixels()
        let count = pixels.count
        // The bus frees the malloc'd pixels once libzmq has sent them.
        let blob = try Blob(takingOwnershipOf: pixels.release(), count: count)
        try publisher.publishFrame(
            topic: topic, seq: UInt64(info.index), stampNs: Int64(info.stampNanoseconds),
            frame: FrameInfo(width: info.width, height: info.height, encoding: info.encoding.rawValue, step: info.step),
            pixels: blob, fields: ["pts": .double(info.pts)])
    }

    /// One line for the exit summary.
    public var summary: String {
        let stats = publisher.stats
        return "bus: \(stats.totalPublished) messages, \(stats.subscriptions) subscriptions, "
            + "\(stats.totalDroppedForSlowPeers) dropped for slow subscribers (reported by \(stats.reportingSubscribers))"
            + (publisher.authenticationStats.map { ", CURVE: \($0.accepted) accepted, \($0.refused) refused" } ?? "")
    }
}
