import VLMNode

/// `type="view"` in launch files: `vlmnode view` serving the listed topics, with its text output
/// (the page's text field) on `detections/queries` unless the launch file remaps it.
enum ViewNodeType {
    static let spec = NodeTypeSpec(
        name: "view", summary: "live viewer: Foxglove WebSocket server and browser page on one port",
        outputs: [PortSpec("text", topic: "detections/queries", type: MessageType.text)],
        params: [
            ParamSpec("topics", .stringList, required: true, doc: "topics to serve (frames and results)"),
            ParamSpec("port", .int, default: .int(8765), doc: "port of the page and the WebSocket"),
            ParamSpec("host", .string, doc: "address to listen on (loopback unless allow_remote)"),
            ParamSpec("allow_remote", .bool, doc: "allow a non-loopback host"),
            ParamSpec("jpeg_quality", .int, doc: "JPEG quality of frames for the browser (1-100)"),
        ],
        dynamicInputsParam: "topics",
        arguments: { wiring in
            var args = ["view"]
            for input in wiring.inputs.values.sorted(by: { $0.topic < $1.topic }) {
                guard let endpoint = input.endpoint else {
                    throw NodeWiringError("node \(wiring.name): topic \(input.topic) has no publisher in the launch to view")
                }
                args += ["--connect", endpoint, "--topic", input.topic]
            }
            if let text = wiring.outputs["text"], let endpoint = text.endpoint { args += ["--text-bind", endpoint] }
            for key in ["port", "host", "jpeg_quality"] {
                if let value = wiring.params[key] { args += ["--" + key.replacingOccurrences(of: "_", with: "-"), value.description] }
            }
            if wiring.params["allow_remote"]?.boolValue == true { args.append("--allow-remote") }
            return args + securityArguments(wiring)
        })

    /// The wiring's port security as `view`'s node-wide options (key paths, never keys): the
    /// inputs' client half, the text output's server half. One identity serves both.
    static func securityArguments(_ wiring: NodeWiring) -> [String] {
        let client = wiring.inputs.values.sorted(by: { $0.topic < $1.topic }).compactMap(\.security).first { $0.serverKey != nil }
        let server = wiring.outputs["text"]?.security
        var args: [String] = []
        if let identity = client?.identity ?? server?.identity, client?.serverKey != nil || server?.authorized != nil {
            args += ["--identity", identity]
        }
        if let key = client?.serverKey { args += ["--server-key", key] }
        if let dir = server?.authorized { args += ["--authorized", dir] }
        if server?.insecure == true { args.append("--insecure") }
        return args
    }

    /// Declares the type to the launcher (node-runtime's registry API).
    static func register() { NodeTypeRegistry.shared.register(spec) }
}
