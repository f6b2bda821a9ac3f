import Detection
import Foundation
import VLMBus
import VLMCore
import VLMMessages
import VLMNode

/// The grounding node's state and behaviour: language commands in (the `command` control input),
/// newest frame in (latest wins), `vlm/Grounding` out, stamped with the frame by the runtime.
///
/// The active command (the `command` parameter, replaced by every valid command message) is grounded
/// on the newest frame, frame after frame, so a controller sees its targets tracked; a new command
/// is grounded on the next frame. A command that does not parse is published once as a result with
/// an `"error"` and no targets, and the previous command stays active.
public final class GroundingNode: NodeProcessor {
    public let pipeline: GroundingPipeline
    public let models: String
    private var active: CommandIntent?
    /// Bumped with every accepted command (results say which one they answer).
    public private(set) var commandVersion = 0

    /// `command`, when given, must parse (a `CommandParseError` otherwise).
    public init(pipeline: GroundingPipeline, models: String, command: String?) throws {
        self.pipeline = pipeline
        self.models = models
        if let command {
            active = try CommandParser.parse(command)
            commandVersion = 1
        }
    }

    /// The command being grounded, if any.
    public var activeCommand: String? { active?.command }

    public func started(runtime: NodeRuntime) {
        runtime.log("ground: \(models); " + runtime.portsDescription)
        if let active { runtime.log("command 1: \(active.command)") }
    }

    public func control(_ text: TextMessage, input role: String, runtime: NodeRuntime) throws {
        do {
            active = try CommandParser.parse(text.text)
            commandVersion += 1
            runtime.log("command \(commandVersion): \(text.text)")
        } catch {
            runtime.log("rejected command \"\(text.text)\": \(error)")
            // A result that only says why (no frame behind it).
            do {
                try runtime.publish(GroundingMessage(command: text.text, targets: [], commandVersion: commandVersion,
                                                     error: "\(error)"), on: "grounding")
            } catch {
                runtime.log("could not publish the error for \"\(text.text)\": \(error)")
            }
        }
    }

    public func process(_ message: BusMessage, input role: String, runtime: NodeRuntime) throws {
        // Without a command there is nothing to ground: the frame is dropped (a newer one will come).
        guard let intent = active else { return }
        let frame = try FrameMessage(message: message)
        let start = BusClock.monotonicNs()
        let image = try NodeMessages.rgbImage(frame.info, frame.pixels!)
        let result = try pipeline.ground(intent, in: image)
        var fields = try JSONDecoder().decode([String: JSONValue].self, from: Data(result.jsonString().utf8))
        fields["command_version"] = .int(Int64(commandVersion))
        fields["complete"] = .bool(result.complete)
        fields["inference_ms"] = .double(Double(BusClock.monotonicNs() - start) / 1e6)
        try runtime.publish(try GroundingMessage(fields: fields), on: "grounding", stampedFrom: message)
    }
}
