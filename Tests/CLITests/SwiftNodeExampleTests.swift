import Foundation
import Testing
import TestSupport
import VLMBus
import VLMMessages

private let repository = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()
private let example = repository.appendingPathComponent("Examples/swift-node")

private let pythonHasZMQ: Bool = {
    (try? runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", "import zmq"], timeout: 30))?.status == 0
}()

/// An outside client on pyzmq: records what the detector and label-counter publish; once the first
/// counts arrived it replaces the detector's queries (resent until results use them: a PUB drops
/// until connected) and stops after both old labels disappeared. Prints one JSON object per line:
/// {"role": …, "header": {…}}.
private let client = #"""
import json, sys, time, zmq
det_ep, queries_ep, counts_ep, events_ep, new_query, old_count = sys.argv[1:7]
ctx = zmq.Context()
subs = {}
for role, ep, topic in [("detections", det_ep, "/detections"), ("counts", counts_ep, "/label_counts"),
                        ("events", events_ep, "/label_events")]:
    s = ctx.socket(zmq.SUB); s.connect(ep); s.setsockopt_string(zmq.SUBSCRIBE, topic); subs[role] = s
poller = zmq.Poller()
for s in subs.values(): poller.register(s, zmq.POLLIN)
pub = ctx.socket(zmq.PUB); pub.connect(queries_ep)
counts_seen, switched, gone, last_send = 0, False, 0, 0.0
deadline = time.time() + 120
while time.time() < deadline and gone < int(old_count):
    for s, _ in poller.poll(200):
        role = next(k for k, v in subs.items() if v is s)
        parts = s.recv_multipart()
        h = json.loads(parts[1])
        print(json.dumps({"role": role, "topic": parts[0].decode(), "header": h}), flush=True)
        if role == "counts":
            counts_seen += 1
            switched = switched or [c["label"] for c in h["counts"]] == [new_query]
        if role == "events" and h["edge"] == "disappeared":
            gone += 1
    if counts_seen and not switched and time.time() - last_send > 0.5:
        text = json.dumps({"v": 1, "type": "vlm/Text", "seq": 0, "stamp_ns": time.time_ns(), "text": new_query})
        pub.send_multipart([b"/detections/queries", text.encode()])
        last_send = time.time()
"""#

/// Examples/swift-node: a separate SwiftPM package on vlmnode's library products builds, and its
/// node runs from its launch file beside the built-in source and detect nodes; a real pyzmq client
/// reads its per-label counts and appear/disappear events.
@Suite(.serialized) struct SwiftNodeExampleTests {
    /// Builds the example with one job. The scratch path is under this package's .build (outside
    /// the source tree, like a copy would be), so later runs are incremental; a clean checkout pays
    /// the whole build once (README: about 3 minutes on 2 cores).
    static func buildExample() throws -> URL {
        let scratch = repository.appendingPathComponent(".build/examples/swift-node")
        let build = {
            try runProcess(URL(fileURLWithPath: "/usr/bin/env"),
                           ["swift", "build", "-j", "1", "--package-path", example.path, "--scratch-path", scratch.path],
                           timeout: 1800)
        }
        var r = try build()
        if r.status != 0 && r.stdout.contains("error: cannot find") {
            // SwiftPM's incremental build misses headers added to a C target's umbrella directory
            // (CVLMKernels/include) since the last build; once from a clean scratch settles it.
            try? FileManager.default.removeItem(at: scratch)
            r = try build()
        }
        #expect(r.status == 0, "swift build of Examples/swift-node failed:\n\(r.stdout.suffix(4000))\n\(r.stderr.suffix(4000))")
        return scratch.appendingPathComponent("debug/label-counter")
    }

    @Test(.enabled(if: pythonHasZMQ, "python3 lacks pyzmq (Scripts/setup.sh installs it)"))
    func exampleNodeBuildsAndCountsLabelsInALaunchGraph() throws {
        let counter = try Self.buildExample()
        try #require(FileManager.default.isExecutableFile(atPath: counter.path), "no \(counter.path)")

        let dir = try makeTemporaryDirectory("swift-node")
        let ep = { (name: String) in "ipc://\(dir.path)/\(name).sock" }
        let script = dir.appendingPathComponent("client.py")
        try client.write(to: script, atomically: true, encoding: .utf8)
        let log = dir.appendingPathComponent("launch.log")
        let launcher = try VLMNodeBinary.start(
            ["launch", example.appendingPathComponent("label_counter.launch").path, "--log-dir", dir.appendingPathComponent("logs").path,
             "counter:=\(counter.path)", "model:=\(Fixtures.url("models/owlvit-tiny-old").path)", "threshold:=0",
             "queries:=a red disc, a blue bar", "detections_endpoint:=\(ep("det"))", "queries_endpoint:=\(ep("queries"))",
             "counts_endpoint:=\(ep("counts"))", "events_endpoint:=\(ep("events"))"],
            log: log, environment: ["VLMNODE_RUNTIME_DIR": dir.appendingPathComponent("run").path])
        let running = RunningProcesses([launcher], dir: dir)
        defer { withExtendedLifetime(running) {} }
        let launchLog = { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

        let r = try runProcess(URL(fileURLWithPath: "/usr/bin/env"),
                               ["python3", script.path, ep("det"), ep("queries"), ep("counts"), ep("events"), "a green square", "2"],
                               timeout: 150)
        #expect(r.status == 0, "client: \(r.stderr)")
        var detections: [UInt64: DetectionsMessage] = [:]
        var counts: [(header: MessageHeader, message: LabelCountsMessage)] = []
        var events: [LabelEventMessage] = []
        for line in r.stdout.split(separator: "\n") {
            let object = try Array(line.utf8).withUnsafeBytes { try JSONValue.parseObject($0) }
            let header = try MessageHeader(object: #require(object["header"]?.objectValue))
            switch object["role"]?.stringValue {
            case "detections": detections[header.seq] = try DetectionsMessage(header: header)
            case "counts": counts.append((header, try LabelCountsMessage(header: header)))
            default: events.append(try LabelEventMessage(header: header))
            }
        }
        try #require(!counts.isEmpty, "no vlm/LabelCounts: \(launchLog())")

        // Each count is the number of boxes per label of the vlm/Detections result it names.
        var matched = 0
        for (header, message) in counts {
            #expect(message.total == message.counts.reduce(0) { $0 + $1.count } && message.minScore == 0)
            guard let source = header.sourceSeq, let d = detections[source] else { continue }
            let expected = Dictionary(d.detections.map { ($0.label, 1) }, uniquingKeysWith: +)
            #expect(message.counts.map(\.label) == expected.keys.sorted(), "\(message) from \(d)")
            #expect(message.counts.allSatisfy { expected[$0.label] == $0.count }, "\(message) from \(d)")
            matched += 1
        }
        #expect(matched >= 2, "counts matched to their detections: \(matched) of \(counts.count)")
        #expect(counts.first?.message.counts.map(\.label) == ["a blue bar", "a red disc"])

        // The query change: both old labels disappear and the new one appears, on the same result.
        let byLabel = Dictionary(grouping: events, by: \.label)
        let switchIndex = try #require(counts.firstIndex { $0.message.counts.map(\.label) == ["a green square"] }, "\(counts.map(\.message))")
        try #require(switchIndex > 0, "the first counts already had the new query")
        let before = counts[switchIndex - 1].message, after = counts[switchIndex].message
        for label in ["a red disc", "a blue bar"] {
            let gone = try #require(byLabel[label]?.last, "no event for \(label): \(events)")
            #expect(gone.edge == "disappeared" && gone.count == 0)
            #expect(gone.previousCount == before.counts.first { $0.label == label }?.count, "\(gone) after \(before)")
        }
        let new = try #require(byLabel["a green square"]?.first, "\(events)")
        #expect(new.edge == "appeared" && new.previousCount == 0 && new.count == after.counts.first?.count)
        #expect(launchLog().contains("[label_counter] label-counter: detections /detections"), "\(launchLog())")
    }
}
