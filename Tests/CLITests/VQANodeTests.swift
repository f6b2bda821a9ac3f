import Foundation
import Testing
import TestSupport
import VLMBus

/// The VQA node (`type="vqa"`, ViLT on the NodeRuntime): from Launch/vqa.launch with the Python
/// example as the controller, a standing question's event fires once when the scene changes; by
/// hand, a one-off question on the questions input is answered on the next frame.
@Suite(.serialized) struct VQANodeTests {
    static let model = Fixtures.url("models/vilt-tiny-bin").path
    static let root = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()
    static let question = "is the door open?"
    /// Red for 2 s, then white: the tiny random model's top answer differs between the two (checked below).
    static let scene = "lavfi:color=c=red:s=64x48:r=10:d=2[a];color=c=white:s=64x48:r=10[b];[a][b]concat=n=2:v=1:a=0"

    /// The model's own top answer on one frame of a solid colour (the same lavfi decode path as the node's).
    static func topAnswer(colour: String) throws -> String {
        let r = try VLMNodeBinary.run(["ask", "--model", model, "--json", "--frames", "1", "lavfi:color=c=\(colour):s=64x48:r=10", question])
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        return try #require((object?["answers"] as? [[String: Any]])?.first?["answer"] as? String, "\(r.stderr)")
    }

    static func waitFor(_ file: URL, timeout: Double, _ done: (String) -> Bool) -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var text = ""
        while Date() < deadline {
            text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
            if done(text) { break }
            Thread.sleep(forTimeInterval: 0.2)
        }
        return text
    }

    @Test func launchFileEventFiresOnceWhenTheSceneChanges() throws {
        let red = try Self.topAnswer(colour: "red"), white = try Self.topAnswer(colour: "white")
        try #require(red != white, "the fixture model answers \(red) on both scenes: pick another question or colours")
        let dir = try makeTemporaryDirectory("vqa-launch")
        let logs = dir.appendingPathComponent("logs")
        let launcher = try VLMNodeBinary.start(["launch", Self.root.appendingPathComponent("Launch/vqa.launch").path,
                                                "camera:=\(Self.scene)", "model:=\(Self.model)", "questions:=\(Self.question)",
                                                "every:=1", "fps:=10", "size:=64x48", "--log-dir", logs.path],
                                               log: dir.appendingPathComponent("launch.log"))
        let running = RunningProcesses([launcher], dir: dir)
        defer { withExtendedLifetime(running) {} }
        let controller = logs.appendingPathComponent("controller.log")
        var text = Self.waitFor(controller, timeout: 90) { $0.contains("EVENT") }
        // Keep watching the white scene: no second event.
        Thread.sleep(forTimeInterval: 3)
        text = (try? String(contentsOf: controller, encoding: .utf8)) ?? text
        let events = text.split(separator: "\n").filter { $0.hasPrefix("EVENT") }
        #expect(events.count == 1, "\(text.suffix(2000))")
        #expect(events.first?.hasPrefix("EVENT \(Self.question): \(red) → \(white)") == true, "\(events)")
        // Answers reached the Python client with their source frame and latency.
        let answers = text.split(separator: "\n").filter { $0.hasPrefix("answers seq=") }
        #expect(answers.count > 3 && answers.allSatisfy { $0.contains("latency=") && $0.contains("\(Self.question)=") && !$0.contains("seq=None") })
        #expect(answers.contains { $0.contains("=\(red) (") } && answers.contains { $0.contains("=\(white) (") })
    }

    @Test func oneOffQuestionsAreAnsweredOnTheNextFrame() throws {
        let dir = try makeTemporaryDirectory("vqa-node")
        let cam = "ipc://\(dir.path)/cam.sock", out = "ipc://\(dir.path)/vqa.sock", ask = "ipc://\(dir.path)/ask.sock"
        let control = try Publisher(bind: ask, qos: .queue(capacity: 10))
        let source = try VLMNodeBinary.start(["source", "lavfi:testsrc=size=96x64:rate=5", "--bind", cam], log: dir.appendingPathComponent("source.log"))
        let node = try VLMNodeBinary.start(["node", "vqa", "--input", cam, "--model", Self.model, "--question", "how many discs?",
                                            "--every", "3", "--top-k", "2", "--bind", out, "--questions-endpoint", ask],
                                           log: dir.appendingPathComponent("node.log"))
        let running = RunningProcesses([node, source], dir: dir)
        defer { withExtendedLifetime(running) {} }
        let answers = try Subscriber(connect: out, topic: "/vqa/answers", qos: .queue(capacity: 100))
        let first = try #require(answers.receive(timeout: 60), "no vlm/Answers")
        #expect(first.header.type == "vlm/Answers" && first.header.sourceSeq != nil && first.header.sourceStampNs != nil)
        #expect(first.header.fields["latency_ms"] != nil)
        // A malformed control message and an empty question are skipped; the node keeps answering.
        try control.publish(topic: "/vqa/questions", header: MessageHeader(type: "vlm/Text", seq: 0, fields: ["text": .string("  ")]))
        try control.publish(topic: "/vqa/questions", header: MessageHeader(type: "vlm/Text", seq: 1, fields: ["text": .string("is it red?\nwhat colour?")]))
        var oneOff: [JSONValue]?
        for _ in 0 ..< 40 {
            guard let m = answers.receive(timeout: 10) else { break }
            let qs = m.header.fields["questions"]?.arrayValue ?? []
            if qs.contains(where: { $0.objectValue?["standing"] == .bool(false) }) { oneOff = qs; break }
        }
        let qs = try #require(oneOff, "the one-off questions were never answered")
        let asked = qs.compactMap { $0.objectValue?["question"]?.stringValue }
        #expect(asked.suffix(2) == ["is it red?", "what colour?"])
        #expect(qs.allSatisfy { ($0.objectValue?["answers"]?.arrayValue?.count ?? 0) == 2 })
        // Answered once: later messages carry the standing question only.
        var again = false
        for _ in 0 ..< 3 {
            guard let m = answers.receive(timeout: 10) else { break }
            again = again || (m.header.fields["questions"]?.arrayValue ?? []).contains { $0.objectValue?["standing"] == .bool(false) }
        }
        #expect(!again)
    }
}
