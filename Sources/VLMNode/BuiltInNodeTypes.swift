import Foundation

/// The node types that are commands of vlmnode itself rather than plugins: `source` and `record` are
/// started through their own command-line options, so they also run without a launcher (and still
/// get the wiring in the environment). Plugin node types (`detect`, `video`, `ground`, …) are
/// declared by their plugins and registered (`NodeTypeRegistry.register(plugin:)`).
public enum BuiltInNodeTypes {
    public static let all: [NodeTypeSpec] = [source, record]

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
        usage: "vlmnode source INPUT --topic T --bind E [--fps …]",
        arguments: { wiring in
            guard let input = wiring.params["input"]?.stringValue else {
                throw NodeWiringError("node \(wiring.name): parameter 'input' is required")
            }
            var args = ["source", input]
            if let image = wiring.outputs["image"] {
                args += ["--topic", image.topic]
                if let endpoint = image.endpoint { args += ["--bind", endpoint] }
                // A port's CURVE keys (paths) become the command's security options (docs/multi-host.md).
                if let identity = image.security?.identity, let authorized = image.security?.authorized {
                    args += ["--identity", identity, "--authorized", authorized]
                }
            }
            for key in ["fps", "size", "encoding", "start", "frames", "threads"] {
                if let value = wiring.params[key] { args += ["--\(key)", value.description] }
            }
            for option in wiring.params["input_options"]?.stringListValue ?? [] { args += ["--input-option", option] }
            if wiring.params["loop"]?.boolValue == true { args.append("--loop") }
            if let realtime = wiring.params["realtime"]?.boolValue { args.append(realtime ? "--realtime" : "--no-realtime") }
            return args
        })

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
        usage: "vlmnode record -o OUTPUT TOPIC… (resolved names)",
        arguments: { wiring in
            guard let output = wiring.params["output"]?.stringValue else {
                throw NodeWiringError("node \(wiring.name): parameter 'output' is required")
            }
            return ["record", "-o", output] + wiring.inputs.values.map(\.topic).sorted()
        })
}
