import Foundation
import VLMBus
import VLMMessages

extension NodeRuntime.Options {
    /// Shared memory for same-host frame inputs, unless `VLMNODE_SHM=0` (for comparing with inline).
    public static var sharedMemoryDefault: Bool { ProcessInfo.processInfo.environment["VLMNODE_SHM"] != "0" }
}
