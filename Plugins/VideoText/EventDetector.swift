/// Turns a stream of per-window scores into events with hysteresis, so one jump is one event:
/// a prompt becomes active when its score rises to `threshold` or above and only becomes inactive
/// again when it falls below `threshold - hysteresis`.
public struct EventDetector: Sendable {
    public enum Edge: String, Sendable, Codable { case start, end }
    public struct Event: Equatable, Sendable {
        public var prompt: Int
        public var edge: Edge
        public var score: Float
    }

    public let threshold: Float
    public let hysteresis: Float
    public private(set) var active: [Bool]

    public init(prompts: Int, threshold: Float, hysteresis: Float) {
        precondition(hysteresis >= 0, "hysteresis must not be negative")
        (self.threshold, self.hysteresis, self.active) = (threshold, hysteresis, Array(repeating: false, count: prompts))
    }

    /// Feeds one window's scores (one per prompt); returns the edges it caused.
    public mutating func update(_ scores: [Float]) -> [Event] {
        precondition(scores.count == active.count, "\(scores.count) scores for \(active.count) prompts")
        var events: [Event] = []
        for (i, score) in scores.enumerated() {
            if !active[i], score >= threshold {
                active[i] = true
                events.append(Event(prompt: i, edge: .start, score: score))
            } else if active[i], score < threshold - hysteresis {
                active[i] = false
                events.append(Event(prompt: i, edge: .end, score: score))
            }
        }
        return events
    }

    /// Prompts changed: forget who was active.
    public mutating func reset(prompts: Int) { active = Array(repeating: false, count: prompts) }
}
