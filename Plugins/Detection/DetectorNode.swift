import Foundation
import VLMBus
import VLMNode
import VLMCore

/// The detector node: newest frame in (latest wins), OWL-ViT, `vlm/Detections` out.
///
/// Frames come through a `.latest` subscriber, so while a frame is being processed newer ones
/// overwrite each other and the next result is always computed from the newest frame that has
/// arrived (never a backlog); the overwritten and lost frames are counted in every result.
/// Query sets come from a parameter and can be replaced at runtime by a `vlm/Text` message on the
/// queries topic; the change is applied before the next frame is processed.
public final class DetectorNode {
    public struct Configuration: Sendable {
        /// Where the frames are published, and their topic.
        public var framesEndpoint: String
        public var framesTopic: String
        /// Where results are published (bound here), and their topic.
        public var outputEndpoint: String
        public var outputTopic: String
        /// Optional queries input (`vlm/Text`); `bindQueries` binds it so outside programs connect.
        public var queriesEndpoint: String?
        public var queriesTopic: String
        public var bindQueries: Bool
        public var options: DetectionOptions
        /// Process at most this many frames per second (spare CPU for the rest of the robot);
        /// frames arriving in between are overwritten by newer ones and counted. Nil: as fast as possible.
        public var maxRate: Double?

        public init(framesEndpoint: String, framesTopic: String = "/camera/image",
                    outputEndpoint: String = Endpoint.defaultPublisher, outputTopic: String = "/detections",
                    queriesEndpoint: String? = nil, queriesTopic: String = "/detections/queries", bindQueries: Bool = false,
                    options: DetectionOptions = .init(), maxRate: Double? = nil) {
            self.framesEndpoint = framesEndpoint
            self.framesTopic = framesTopic
            self.outputEndpoint = outputEndpoint
            self.outputTopic = outputTopic
            self.queriesEndpoint = queriesEndpoint
            self.queriesTopic = queriesTopic
            self.bindQueries = bindQueries
            self.options = options
            self.maxRate = maxRate
        }
    }

    public let detector: OwlViTDetector
    public let configuration: Configuration
    public let publisher: Publisher
    private let frames: Subscriber
    private let queries: Subscriber?
    private var seq: UInt64 = 0
    /// Results published so far.
    public private(set) var processed = 0
    /// One line per event worth logging (query changes, skipped frames, bad query messages).
    public var log: (String) -> Void = { print($0); fflush(stdout) }

    public init(detector: OwlViTDetector, configuration c: Configuration) throws {
        self.detector = detector
        configuration = c
        publisher = try Publisher(bind: c.outputEndpoint, qos: .queue(capacity: 100))
        frames = try Subscriber(connect: [c.framesEndpoint], topics: [c.framesTopic], qos: .latest)
        if let q = c.queriesEndpoint {
            queries = c.bindQueries ? try Subscriber(bind: q, topics: [c.queriesTopic], qos: .queue(capacity: 16))
                                    : try Subscriber(connect: [q], topics: [c.queriesTopic], qos: .queue(capacity: 16))
        } else {
            queries = nil
        }
    }

    /// The endpoint the queries input listens on (resolved when bound), if any.
    public var queriesEndpoint: String? { queries?.endpoints.first }

    /// Processes frames until `shouldStop` returns true (checked at least every 100 ms).
    public func run(shouldStop: () -> Bool) {
        var nextStart = BusClock.monotonicNs()
        while !shouldStop() {
            if let rate = configuration.maxRate, rate > 0 {
                let wait = nextStart - BusClock.monotonicNs()
                if wait > 0 { Thread.sleep(forTimeInterval: min(Double(wait) / 1e9, 0.1)); continue }
            }
            applyPendingQueries()
            guard let message = frames.receive(timeout: 0.1) else { continue }
            guard message.topic == configuration.framesTopic else { continue }
            if let rate = configuration.maxRate, rate > 0 { nextStart = BusClock.monotonicNs() + Int64(1e9 / rate) }
            do {
                try process(message)
            } catch {
                log("skipped frame \(message.header.seq): \(error)")
            }
        }
    }

    /// Applies every query message that arrived (the last valid one wins).
    func applyPendingQueries() {
        guard let queries else { return }
        while let message = queries.receive(timeout: 0) {
            guard message.topic == configuration.queriesTopic else { continue }
            guard let text = NodeMessages.text(of: message) else {
                log("ignored a message on \(message.topic): no \"text\" field and no UTF-8 blob")
                continue
            }
            do {
                let set = try detector.setQueries(Self.splitQueries(text))
                for warning in set.warnings { log("warning: \(warning)") }
                log("queries version \(set.version): \(set.labels.joined(separator: ", "))")
            } catch {
                log("ignored queries \"\(text)\": \(error)")
            }
        }
    }

    func process(_ message: BusMessage) throws {
        guard let info = message.frame else { throw InputError("not a vlm/Frame (type \(message.header.type))") }
        guard let blob = message.blobs.first, blob.count >= info.byteCount,
              info.step >= info.width * (info.pixelEncoding?.bytesPerPixel ?? 1) else {
            throw InputError("frame pixels do not match \(info.width)x\(info.height) step \(info.step)")
        }
        let start = BusClock.monotonicNs()
        let image = try NodeMessages.rgbImage(info, blob)
        let (found, set) = try detector.detect(image, options: configuration.options)
        let inferenceMs = Double(BusClock.monotonicNs() - start) / 1e6
        let counters = frames.stats.topics[configuration.framesTopic] ?? TopicCounters()
        let now = BusClock.nowNs()
        var fields: [String: JSONValue] = [
            "latency_ms": .double(Double(now - message.header.stampNs) / 1e6),
            "inference_ms": .double(inferenceMs),
            "queries_version": .int(Int64(set.version)),
            "queries": .array(set.labels.map { .string($0) }),
            "frames_received": .int(Int64(counters.received)),
            "frames_dropped": .int(Int64(counters.dropped)),
            "frames_overwritten": .int(Int64(counters.overwritten)),
            "image_size": .array([.int(Int64(image.width)), .int(Int64(image.height))]),
        ]
        fields["detections"] = .array(found.map { d in
            .object(["label": .string(d.label), "label_index": .int(Int64(d.labelIndex)), "score": .double(Double(d.score)),
                     "box": .array(d.box.map { .double(Double($0)) })])
        })
        let header = MessageHeader(type: "vlm/Detections", seq: seq, stampNs: now, sourceSeq: message.header.seq,
                                   sourceStampNs: message.header.stampNs, fields: fields)
        try publisher.publish(topic: configuration.outputTopic, header: header)
        seq += 1
        processed += 1
    }

    /// Receive-side counters of the frames input (received, gaps, overwritten).
    public var frameStats: TopicCounters { frames.stats.topics[configuration.framesTopic] ?? TopicCounters() }

    /// "red cup, blue bowl" -> ["red cup", "blue bowl"] (empty items dropped).
    public static func splitQueries(_ text: String) -> [String] {
        NodeMessages.commaList(text)
    }
}
