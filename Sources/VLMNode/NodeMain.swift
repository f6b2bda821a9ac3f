import Foundation

/// The entry point of a node process, the same for built-in plugins (`vlmnode node TYPE`) and a
/// third party's executable: wiring from `VLMNODE_WIRING` plus command-line overrides (one
/// resolution path), the plugin's state, SIGINT/SIGTERM as the stop signal, the runtime loop, and
/// a summary line at the end.
public enum NodeMain {
    /// Runs `plugin` until SIGINT/SIGTERM; throws one-line errors (bad wiring, model, endpoint).
    public static func run(_ plugin: any NodePlugin.Type, overrides: NodeOverrides = .init(),
                           options: NodeRuntime.Options = .init(),
                           environment: [String: String] = ProcessInfo.processInfo.environment,
                           log: NodeLog = .stdout, stop: StopSignal = .process) throws {
        let wiring = NodeWiring.resolve(spec: plugin.spec, wiring: try NodeWiring.fromEnvironment(environment),
                                        overrides: overrides)
        // Before loading models: a node without its data input can do nothing.
        for port in plugin.spec.inputs where !port.optional && !port.isControl && wiring.inputs[port.role]?.endpoint == nil {
            let what = port.type == MessageType.frame ? "frame input" : "input '\(port.role)'"
            throw NodeWiringError("no \(what): give --input ENDPOINT (the endpoint vlmnode source printed) or wire '\(port.role)' in a launch file")
        }
        try NodeSockets.checkKeys(wiring)  // a bad key file before a model loads
        let processor = try plugin.make(wiring: wiring, log: log)
        if stop === StopSignal.process { StopSignal.installHandlers() }
        let runtime = try NodeRuntime(spec: plugin.spec, wiring: wiring, options: options, log: log)
        runtime.run(processor, until: stop)
        log(runtime.summary)
    }

    /// `run`, for an executable's top level: an error is one line on stderr and exit status 1.
    public static func main(_ plugin: any NodePlugin.Type, options: NodeRuntime.Options = .init()) -> Never {
        do {
            try run(plugin, options: options)
            exit(0)
        } catch {
            FileHandle.standardError.write(Data("\(plugin.spec.name): \(NodeLog.escape("\(error)"))\n".utf8))
            exit(1)
        }
    }
}
