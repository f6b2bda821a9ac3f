import Foundation
import VLMBus
import VLMMessages

extension NodeRuntime.Options {
    /// Shared memory for same-host frame inputs, unless `VLMNODE_SHM=0` (for comparing with inline).
    public static var sharedMemoryDefault: Bool { ProcessInfo.processInfo.environment["VLMNODE_SHM"] != "0" }
}

extension NodeRuntime {
    /// The subscriber of one input. A frame input that connects to a publisher on this host
    /// (`ipc://`, loopback `tcp://`) negotiates shared memory: a vlmnode publisher then hands over
    /// each frame as a reference to a slot of its ring and `process` reads the pixels in place; a
    /// plain ZeroMQ publisher, or one whose segment cannot be mapped here, keeps sending inline.
    /// A latest-wins input pins at most one slot (the frame it is processing).
    static func openInput(_ port: PortSpec, _ binding: TopicBinding, endpoint: String, sharedMemory: Bool) throws -> Subscriber {
        if binding.bind { return try Subscriber(bind: endpoint, topics: [binding.topic], qos: port.qos) }
        if sharedMemory && port.type == MessageType.frame && Endpoint.isSameHost(endpoint) {
            return try Subscriber(connect: endpoint, negotiatingSharedMemoryFor: [binding.topic], qos: port.qos)
        }
        return try Subscriber(connect: [endpoint], topics: [binding.topic], qos: port.qos)
    }
}
