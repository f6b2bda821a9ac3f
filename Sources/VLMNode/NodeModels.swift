import Foundation
import VLMCore

/// Models named in node params: a hub name or a local folder, resolved one way for every node.
public enum NodeModels {
    /// The folder of `name` (a local folder as is; a hub name through the cache, downloading when
    /// allowed). `role` names the param in the error ("detector model 'x': …").
    public static func folder(_ name: String, role: String = "model") throws -> URL {
        do {
            let store = ModelStore()
            return try store.localFolder(name) ?? store.resolve(name).folder
        } catch {
            throw NodeWiringError("\(role) '\(name)': \(error)")
        }
    }
}
