import Detection
import Foundation
import VLMBus
import VLMNode
import VLMCore

/// The grounding node: language commands in (`vlm/Text`), newest frame in (latest wins),
/// `vlm/Grounding` out with the frame's seq/stamp as `source_seq`/`source_stamp_ns`.
///
/// The active command (the `command` parameter, replaced by every valid command message) is grounded
/// on the newest frame, frame after frame, so a controller sees its targets tracked; a new command
/// is grounded on the next frame. A command that does not parse is published once as a result with
/// an `"error"` and no targets, and the previous command stays active.
public final class GroundingNode {
    public struct Configuration: Sendable {
        public var framesEndpoint: String
        public var framesTopic: String
        public var outputEndpoint: String
        public var outputTopic: String
        /// Optional commands input (`vlm/Text`); `bindCommands` binds it so outside programs connect.
        public var commandsEndpoint: String?
        public var commandsTopic: String
        public var bindCommands: Bool
        /// Grounded from the start, until a command message replaces it.
        public var command: String?
        /// Process at most this many frames per second; nil: as fast as possible.
        public var maxRate: Double?

        public init(framesEndpoint: String, framesTopic: String = "/camera/image",
                    outputEndpoint: String = Endpoint.defaultPublisher, outputTopic: String = "/grounding",
                    commandsEndpoint: String? = nil, commandsTopic: String = "/ground/command", bindCommands: Bool = false,
                    command: String? = nil, maxRate: Double? = nil) {
            self.framesEndpoint = framesEndpoint
            self.framesTopic = framesTopic
            self.outputEndpoint = outputEndpoint
            self.outputTopic = outputTopic
            self.commandsEndpoint = commandsEndpoint
            self.commandsTopic = commandsTopic
            self.bindCommands = bindCommands
            self.command = command
            self.maxRate = maxRate
        }
    }

    public let pipeline: GroundingPipeline
    public let configuration: Configuration
    public let publisher: Publisher
    private let frames: Subscriber
    private let commands: Subscriber?
    private var active: CommandIntent?
    /// Bumped with every accepted command (results say which one they answer).
    public private(set) var commandVersion = 0
    private var seq: UInt64 = 0
    public private(set) var processed = 0
    public var log: (String) -> Void = { print($0); fflush(stdout) }

    public init(pipeline: GroundingPipeline, configuration c: Configuration) throws {
        self.pipeline = pipeline
        configuration = c
        if let text = c.command {
            active = try CommandParser.parse(text)
            commandVersion = 1
        }
        publisher = try Publisher(bind: c.outputEndpoint, qos: .queue(capacity: 100))
        frames = try Subscriber(connect: [c.framesEndpoint], topics: [c.framesTopic], qos: .latest)
        if let e = c.commandsEndpoint {
            commands = c.bindCommands ? try Subscriber(bind: e, topics: [c.commandsTopic], qos: .queue(capacity: 16))
                                      : try Subscriber(connect: [e], topics: [c.commandsTopic], qos: .queue(capacity: 16))
        } else {
            commands = nil
        }
    }

    /// The endpoint the commands input listens on (resolved when bound), if any.
    public var commandsEndpoint: String? { commands?.endpoints.first }
    /// The command being grounded, if any.
    public var activeCommand: String? { active?.command }

    /// Processes frames until `shouldStop` returns true (checked at least every 100 ms).
    public func run(shouldStop: () -> Bool) {
        var nextStart = BusClock.monotonicNs()
        while !shouldStop() {
            applyPendingCommands()
            if let rate = configuration.maxRate, rate > 0 {
                let wait = nextStart - BusClock.monotonicNs()
                if wait > 0 { Thread.sleep(forTimeInterval: min(Double(wait) / 1e9, 0.1)); continue }
            }
            guard let message = frames.receive(timeout: 0.1), message.topic == configuration.framesTopic else { continue }
            // Without a command there is nothing to ground: the frame is dropped (a newer one will come).
            guard let intent = active else { continue }
            if let rate = configuration.maxRate, rate > 0 { nextStart = BusClock.monotonicNs() + Int64(1e9 / rate) }
            do {
                try process(message, intent: intent)
            } catch {
                log("skipped frame \(message.header.seq): \(error)")
            }
        }
    }

    /// Takes every command message that arrived; the last valid one becomes active.
    func applyPendingCommands() {
        guard let commands else { return }
        while let message = commands.receive(timeout: 0) {
            guard message.topic == configuration.commandsTopic else { continue }
            guard let text = NodeMessages.text(of: message) else {
                log("ignored a message on \(message.topic): no \"text\" field and no UTF-8 blob")
                continue
            }
            do {
                active = try CommandParser.parse(text)
                commandVersion += 1
                log("command \(commandVersion): \(text)")
            } catch {
                log("rejected command \"\(text)\": \(error)")
                publishError(command: text, message: "\(error)")
            }
        }
    }

    func process(_ message: BusMessage, intent: CommandIntent) throws {
        guard let info = message.frame else { throw InputError("not a vlm/Frame (type \(message.header.type))") }
        guard let blob = message.blobs.first, blob.count >= info.byteCount else {
            throw InputError("frame pixels do not match \(info.width)x\(info.height) step \(info.step)")
        }
        let start = BusClock.monotonicNs()
        let image = try NodeMessages.rgbImage(info, blob)
        let result = try pipeline.ground(intent, in: image)
        var fields = try JSONDecoder().decode([String: JSONValue].self, from: Data(result.jsonString().utf8))
        let counters = frames.stats.topics[configuration.framesTopic] ?? TopicCounters()
        let now = BusClock.nowNs()
        fields["command_version"] = .int(Int64(commandVersion))
        fields["complete"] = .bool(result.complete)
        fields["inference_ms"] = .double(Double(BusClock.monotonicNs() - start) / 1e6)
        fields["latency_ms"] = .double(Double(now - message.header.stampNs) / 1e6)
        fields["frames_received"] = .int(Int64(counters.received))
        fields["frames_dropped"] = .int(Int64(counters.dropped))
        fields["frames_overwritten"] = .int(Int64(counters.overwritten))
        let header = MessageHeader(type: "vlm/Grounding", seq: seq, stampNs: now, sourceSeq: message.header.seq,
                                   sourceStampNs: message.header.stampNs, fields: fields)
        try publisher.publish(topic: configuration.outputTopic, header: header)
        seq += 1
        processed += 1
    }

    /// A result that only says why a command was refused (no frame behind it).
    func publishError(command: String, message: String) {
        let header = MessageHeader(type: "vlm/Grounding", seq: seq, stampNs: BusClock.nowNs(),
                                   fields: ["command": .string(command), "error": .string(message), "targets": .array([]),
                                            "command_version": .int(Int64(commandVersion))])
        do {
            try publisher.publish(topic: configuration.outputTopic, header: header)
            seq += 1
        } catch {
            log("could not publish the error for \"\(command)\": \(error)")
        }
    }

    /// Receive-side counters of the frames input.
    public var frameStats: TopicCounters { frames.stats.topics[configuration.framesTopic] ?? TopicCounters() }
}
