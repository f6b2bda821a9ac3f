import VLMBus
import VLMMessages

/// A node's behaviour: its state plus what it does with each input. The `NodeRuntime` owns the
/// sockets and the loop and calls these on its one thread.
public protocol NodeProcessor: AnyObject {
    /// A message on a data input (for a `vlm/Frame` input: already a valid frame, stamp checked).
    /// Publish results with `runtime.publish(_:on:stampedFrom:)`. A thrown error skips the message
    /// (logged and counted); the node keeps running.
    func process(_ message: BusMessage, input role: String, runtime: NodeRuntime) throws

    /// A text message on a control input, applied before the next data message. A thrown error is
    /// logged as `ignored ROLE "TEXT": ERROR` and the previous state stays.
    func control(_ text: TextMessage, input role: String, runtime: NodeRuntime) throws

    /// Called once the sockets are open, before the first message: log the node's banner.
    func started(runtime: NodeRuntime)
}

extension NodeProcessor {
    public func control(_ text: TextMessage, input role: String, runtime: NodeRuntime) throws {
        throw NodeWiringError("input '\(role)' takes no control messages")
    }

    public func started(runtime: NodeRuntime) { runtime.logBanner() }
}

/// A node type a plugin declares once: its spec (ports, params with types, defaults and docs) and
/// how to build its state from resolved wiring. Registered by name in a `NodeTypeRegistry`; the
/// launcher validates against the spec and `vlmnode node TYPE` runs it.
public protocol NodePlugin {
    static var spec: NodeTypeSpec { get }
    /// Builds the node's state (loads models) from wiring that `NodeWiring.resolve` produced, so
    /// every declared parameter default is present. Throws one-line errors naming what is wrong.
    static func make(wiring: NodeWiring, log: NodeLog) throws -> any NodeProcessor
}
