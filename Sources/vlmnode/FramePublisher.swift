import Foundation
import VLMMedia

/// Publishes `vlm/Frame` messages (JSON header + raw pixel blob). Placeholder until VLMBus lands.
final class FramePublisher {
    let endpoint: String
    let topic: String
    init(bind: String, topic: String) throws {
        self.endpoint = bind
        self.topic = topic
    }
    func publish(_ frame: consuming VideoFrame) throws {
        _ = frame.takePixels()
    }
    var summary: String { "bus: not yet wired" }
}
