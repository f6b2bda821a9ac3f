import Detection
import Grounding
import VideoText
import VQA
import VLMNode

/// The plugins vlmnode ships, joined in one place: VLMNode names none of them, the executable (and
/// tests that validate launch files) register them here.
public enum BuiltInPlugins {
    public static let all: [any NodePlugin.Type] = [
        DetectNodeType.self, VideoNodeType.self, GroundNodeType.self, VQANodePlugin.self,
    ]

    /// Registers every built-in plugin's node type (idempotent).
    public static func registerAll(in registry: NodeTypeRegistry = .shared) {
        for plugin in all { registry.register(plugin: plugin) }
    }
}
