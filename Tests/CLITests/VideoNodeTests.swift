import Foundation
import Testing
import TestSupport
import VLMBus

/// `vlmnode source` (lavfi, 10 fps) -> `vlmnode node video` (tiny X-CLIP) -> subscribers here:
/// scores per window over a rolling window, events from the hysteresis detector, a prompt change
/// at runtime; and the same node started from a launch file through VLMNODE_WIRING.
@Suite(.serialized) struct VideoNodeTests {
    static let model = Fixtures.url("models/xclip-tiny-bin").path

    static func next(_ sub: Subscriber, _ type: String, timeout: Double = 20) throws -> MessageHeader {
        let message = try #require(sub.receive(timeout: timeout), "no \(type) within \(timeout) s")
        #expect(message.header.type == type)
        return message.header
    }

    static func doubles(_ h: MessageHeader, _ key: String) -> [Double] {
        h.fields[key]?.arrayValue?.compactMap { v -> Double? in
            if case .double(let d) = v { return d }
            if case .int(let i) = v { return Double(i) }
            return nil
        } ?? []
    }

    @Test func windowsEventsAndARuntimePromptChange() throws {
        let dir = try makeTemporaryDirectory("video-node")
        let cam = "ipc://\(dir.path)/cam.sock", out = "ipc://\(dir.path)/scores.sock", prompts = "ipc://\(dir.path)/p.sock"
        // The controller binds; the node connects to it (the launch case: a publisher in the graph).
        let control = try Publisher(bind: prompts, qos: .queue(capacity: 10))
        let source = try VLMNodeBinary.start(["source", "lavfi:testsrc=size=96x64:rate=10", "--bind", cam], log: dir.appendingPathComponent("source.log"))
        // Threshold 0: every prompt starts an event on the first window, exactly once (hysteresis).
        let node = try VLMNodeBinary.start(["node", "video", "--input", cam, "--prompts", "a red disc, a blue bar", "--model", Self.model,
                                   "--bind", out, "--window", "1", "--stride", "0.5", "--threshold", "0",
                                   "--prompts-endpoint", prompts],
                                  log: dir.appendingPathComponent("node.log"))
        let running = RunningProcesses([node, source], dir: dir)
        defer { withExtendedLifetime(running) {} }
        let scores = try Subscriber(connect: out, topic: "/video/scores", qos: .queue(capacity: 100))
        let events = try Subscriber(connect: out, topic: "/video/events", qos: .queue(capacity: 100))

        var windows: [MessageHeader] = []
        for _ in 0 ..< 3 { windows.append(try Self.next(scores, "vlm/VideoScores")) }
        for w in windows {
            let probs = Self.doubles(w, "probs")
            #expect(probs.count == 2 && abs(probs.reduce(0, +) - 1) < 1e-5)
            #expect(Self.doubles(w, "logits").count == 2)
            let seqs = Self.doubles(w, "frame_seqs").map { Int($0) }
            #expect(seqs.count == 4 && seqs == seqs.sorted())
            let start = w.fields["window_start_ns"], end = w.fields["window_end_ns"]
            if case .int(let s)? = start, case .int(let e)? = end { #expect(e - s == 1_000_000_000) } else { Issue.record("window bounds missing") }
            #expect(w.sourceStampNs != nil && w.sourceSeq != nil)
        }
        // Consecutive windows are a stride (0.5 s at 10 fps: 5 frames) apart in source frames.
        let lastSeqs = windows.map { UInt64(Self.doubles($0, "frame_seqs").last ?? 0) }
        #expect(zip(lastSeqs, lastSeqs.dropFirst()).allSatisfy { $1 > $0 && $1 - $0 <= 6 })

        let started = try (0 ..< 2).map { _ in try Self.next(events, "vlm/VideoEvent") }
        #expect(Set(started.compactMap { $0.fields["prompt"]?.stringValue }) == ["a red disc", "a blue bar"])
        #expect(started.allSatisfy { $0.fields["edge"]?.stringValue == "start" })
        #expect(events.receive(timeout: 0.3) == nil, "threshold 0 with hysteresis: no further edge")

        try control.publish(topic: "/video/prompts", header: MessageHeader(type: "vlm/Text", seq: 0, fields: ["text": .string("a person waving")]))
        var changed: MessageHeader?
        for _ in 0 ..< 20 {
            let h = try Self.next(scores, "vlm/VideoScores")
            if h.fields["prompts"]?.arrayValue?.count == 1 { changed = h; break }
        }
        let single = try #require(changed, "the prompt change never reached the scores")
        #expect(single.fields["score_kind"]?.stringValue == "logit")
        if case .int(let v)? = single.fields["prompts_version"] { #expect(v == 2) } else { Issue.record("no prompts_version") }
        let restarted = try Self.next(events, "vlm/VideoEvent")
        #expect(restarted.fields["prompt"]?.stringValue == "a person waving" && restarted.fields["edge"]?.stringValue == "start")
    }

    @Test func startsFromALaunchFile() throws {
        let dir = try makeTemporaryDirectory("video-launch")
        let launch = dir.appendingPathComponent("video.launch")
        try """
        <launch>
          <node name="camera" type="source"><param name="input" value="lavfi:testsrc=size=96x64:rate=10"/></node>
          <group ns="watch">
            <node name="xclip" type="video">
              <remap from="camera/image" to="/camera/image"/>
              <param name="prompts" value="a red disc, a blue bar" type="string"/>
              <param name="model" value="\(Self.model)"/>
              <param name="window" value="1.0"/>
              <param name="stride" value="0.5"/>
              <output name="scores" endpoint="ipc://\(dir.path)/scores.sock"/>
            </node>
          </group>
        </launch>
        """.write(to: launch, atomically: true, encoding: .utf8)
        let launcher = try VLMNodeBinary.start(["launch", launch.path, "--log-dir", dir.appendingPathComponent("logs").path],
                                      log: dir.appendingPathComponent("launch.log"))
        let running = RunningProcesses([launcher], dir: dir)
        defer { withExtendedLifetime(running) {} }
        let scores = try Subscriber(connect: "ipc://\(dir.path)/scores.sock", topic: "/watch/video/scores", qos: .queue(capacity: 100))
        let h = try Self.next(scores, "vlm/VideoScores", timeout: 30)
        #expect(h.fields["prompts"]?.arrayValue?.compactMap(\.stringValue) == ["a red disc", "a blue bar"])
        #expect(Self.doubles(h, "probs").count == 2)
    }
}
