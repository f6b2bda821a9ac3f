import Foundation

/// The node types vlmnode ships. Plugin nodes (`detect`, `video`, `ground`) are started as
/// `vlmnode node <type>` and read everything from `VLMNODE_WIRING`; `source` and `record` are started
/// through their own command-line options, so they also run without a launcher (and still get the
/// wiring in the environment).
public enum BuiltInNodeTypes {
    public static let all: [NodeTypeSpec] = [source, detect, video, ground, record]

    /// `vlmnode source INPUT --topic T --bind E …`: FFmpeg frames onto the bus.
    public static let source = NodeTypeSpec(
        name: "source", summary: "decode a file, camera or stream and publish frames",
        outputs: [PortSpec("image", topic: "camera/image", type: MessageType.frame)],
        params: [
            ParamSpec("input", .string, required: true, doc: "file, URL, /dev/videoN or lavfi:GRAPH"),
            ParamSpec("fps", .number, doc: "resample to this rate"),
            ParamSpec("size", .string, doc: "WxH"),
            ParamSpec("encoding", .string, doc: "rgb8, bgr8 or gray8"),
            ParamSpec("loop", .bool, doc: "loop a file"),
            ParamSpec("realtime", .bool, doc: "pace files at their native rate"),
            ParamSpec("start", .number, doc: "start offset in seconds"),
            ParamSpec("frames", .int, doc: "stop after N frames"),
            ParamSpec("threads", .int, doc: "FFmpeg decoder threads (0: one per core)"),
            ParamSpec("input_options", .stringList, doc: "KEY=VALUE options for the demuxer/device/protocol"),
        ],
        arguments: { wiring in
            guard let input = wiring.params["input"]?.stringValue else {
                throw NodeWiringError("node \(wiring.name): parameter 'input' is required")
            }
            var args = ["source", input]
            if let image = wiring.outputs["image"] {
                args += ["--topic", image.topic]
                if let endpoint = image.endpoint { args += ["--bind", endpoint] }
            }
            for key in ["fps", "size", "encoding", "start", "frames", "threads"] {
                if let value = wiring.params[key] { args += ["--\(key)", value.description] }
            }
            for option in wiring.params["input_options"]?.stringListValue ?? [] { args += ["--input-option", option] }
            if wiring.params["loop"]?.boolValue == true { args.append("--loop") }
            if let realtime = wiring.params["realtime"]?.boolValue { args.append(realtime ? "--realtime" : "--no-realtime") }
            return args
        })

    /// OWL-ViT open-vocabulary detector (issue 4).
    public static let detect = NodeTypeSpec(
        name: "detect", summary: "open-vocabulary detection (OWL-ViT) on the newest frame",
        inputs: [
            PortSpec("image", topic: "camera/image", type: MessageType.frame),
            PortSpec("queries", topic: "detections/queries", type: MessageType.text, optional: true),
        ],
        outputs: [PortSpec("detections", topic: "detections", type: MessageType.detections)],
        params: [
            ParamSpec("queries", .stringList, required: true, doc: "what to look for"),
            ParamSpec("model", .string, doc: "hub name or folder"),
            ParamSpec("threshold", .number),
            ParamSpec("nms", .number, doc: "IoU for class-aware NMS; 0 turns it off"),
            ParamSpec("top_k", .int),
            ParamSpec("precision", .string, doc: "fp32 (default), bf16 or int8 image-tower layers (docs/precision.md)"),
        ],
        arguments: { _ in ["node", "detect"] })

    /// X-CLIP video-text scoring over a rolling window (issue 5).
    public static let video = NodeTypeSpec(
        name: "video", summary: "X-CLIP scores and events over a rolling window of frames",
        inputs: [
            PortSpec("image", topic: "camera/image", type: MessageType.frame),
            PortSpec("prompts", topic: "video/prompts", type: MessageType.text, optional: true),
        ],
        outputs: [
            PortSpec("scores", topic: "video/scores", type: MessageType.videoScores),
            PortSpec("events", topic: "video/events", type: MessageType.videoEvent),
        ],
        params: [
            ParamSpec("prompts", .stringList, required: true),
            ParamSpec("model", .string),
            ParamSpec("window", .number, doc: "seconds"),
            ParamSpec("stride", .number, doc: "seconds"),
            ParamSpec("threshold", .number, doc: "event threshold (probability; the logit with one prompt)"),
            ParamSpec("hysteresis", .number, doc: "an event ends below threshold - hysteresis"),
            ParamSpec("sample_stride", .number, doc: "seconds between frames kept for the window"),
            ParamSpec("precision", .string, doc: "fp32 (default), bf16 or int8 image-tower layers (docs/precision.md)"),
        ],
        arguments: { _ in ["node", "video"] })

    /// Language-command grounding (issue 7).
    public static let ground = NodeTypeSpec(
        name: "ground", summary: "ground language commands in the newest frame",
        inputs: [
            PortSpec("image", topic: "camera/image", type: MessageType.frame),
            PortSpec("command", topic: "ground/command", type: MessageType.text, optional: true),
        ],
        outputs: [PortSpec("grounding", topic: "grounding", type: MessageType.grounding)],
        params: [
            ParamSpec("command", .string, doc: "a fixed command, grounded on every frame"),
            ParamSpec("detector", .string),
            ParamSpec("segmenter", .string),
            ParamSpec("threshold", .number),
            ParamSpec("precision", .string, doc: "fp32 (default), bf16 or int8 image-tower layers (docs/precision.md)"),
        ],
        arguments: { _ in ["node", "ground"] })

    /// MCAP recorder: subscribes to every topic listed in `topics`; started as
    /// `vlmnode record -o FILE TOPIC…` with resolved topic names, whose endpoints it finds in
    /// `VLMNODE_WIRING` (inputs keyed by the topic as written) or the launch's graph file.
    public static let record = NodeTypeSpec(
        name: "record", summary: "record topics to an MCAP file",
        params: [
            ParamSpec("topics", .stringList, required: true, doc: "topic names to record"),
            ParamSpec("output", .string, required: true, doc: "MCAP file path"),
        ],
        dynamicInputsParam: "topics",
        arguments: { wiring in
            guard let output = wiring.params["output"]?.stringValue else {
                throw NodeWiringError("node \(wiring.name): parameter 'output' is required")
            }
            return ["record", "-o", output] + wiring.inputs.values.map(\.topic).sorted()
        })
}
