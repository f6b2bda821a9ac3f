import Foundation
import Testing
import TestSupport
import VLMBus
import VLMNode
import VLMRecord

/// `vlmnode record --all` and `--topic NAME` without an endpoint: topics come from the running
/// launch's graph file (GraphRegistry), as `vlmnode launch` writes it.
@Suite(.serialized) struct RecordAllCLITests {
    /// A graph file for a launch "whose launcher" is this test process (so it counts as running).
    static func registerLaunch(runtime: URL, endpoint: String) throws {
        try FileManager.default.createDirectory(at: runtime, withIntermediateDirectories: true)
        let graph = LaunchGraphFile(
            launchID: "rec-test", file: "test.launch", launcherPID: getpid(), startedAt: Date().timeIntervalSince1970,
            runtimeDirectory: runtime.path, logDirectory: runtime.path, nodes: [],
            topics: [
                .init(name: "/cam", type: "vlm/Frame", endpoint: endpoint, publisher: "camera", subscribers: []),
                .init(name: "/det", type: "vlm/Detections", endpoint: endpoint, publisher: "camera", subscribers: []),
                // An input fed from outside: the node binds it and nobody publishes; --all must skip it.
                .init(name: "/queries", type: "vlm/Text", endpoint: "ipc://\(runtime.path)/q.sock", publisher: nil,
                      subscribers: ["detector"]),
            ])
        let url = GraphRegistry.graphFileURL(launchID: graph.launchID, in: runtime)
        try GraphRegistry.write(graph, to: url)
        GraphRegistry.makeCurrent(url, in: runtime)
    }

    func record(_ args: [String], runtime: URL, publisher pub: Publisher, frames: Int) throws -> (Int32, [String: Int], Int) {
        let recorder = Process()
        recorder.executableURL = VLMNodeBinary.url
        recorder.arguments = ["record"] + args + ["--duration", "3", "--quiet"]
        recorder.environment = ProcessInfo.processInfo.environment.merging(["VLMNODE_RUNTIME_DIR": runtime.path]) { $1 }
        recorder.standardInput = FileHandle.nullDevice
        recorder.standardOutput = FileHandle.nullDevice
        try recorder.run()
        #expect(pub.waitForSubscribers(1, timeout: 20))
        Thread.sleep(forTimeInterval: 0.2)
        let sent = try RecordPlayCLITests.publish(pub, count: frames, fps: 30, width: 64, height: 48)
        recorder.waitUntilExit()
        var perTopic: [String: Int] = [:]
        let reader = try MCAPReader(path: args[1])
        let it = try reader.messages()
        // Recorded wire messages only (not the derived annotation channels of Foxglove-native files).
        while let m = try it.nextMessage() {
            if m.channel.metadata[RecordedChannel.derivedKey] == nil { perTopic[m.channel.topic, default: 0] += 1 }
        }
        return (recorder.terminationStatus, perTopic, sent.count)
    }

    @Test func allRecordsEveryPublishedTopicOfTheRunningLaunch() throws {
        let dir = try makeTemporaryDirectory("vlmrec-all")
        let runtime = dir.appendingPathComponent("runtime")
        let pub = try Publisher(bind: "ipc://\(dir.path)/pub.sock", qos: .queue(capacity: 64))
        try Self.registerLaunch(runtime: runtime, endpoint: pub.endpoint)
        let (status, perTopic, sent) = try record(["-o", dir.appendingPathComponent("all.mcap").path, "--all"],
                                                  runtime: runtime, publisher: pub, frames: 6)
        #expect(status == 0)
        #expect(perTopic == ["/cam": 6, "/det": 2])
        #expect(perTopic.values.reduce(0, +) == sent)
    }

    @Test func aTopicNameAloneIsFoundInTheRunningLaunch() throws {
        let dir = try makeTemporaryDirectory("vlmrec-name")
        let runtime = dir.appendingPathComponent("runtime")
        let pub = try Publisher(bind: "ipc://\(dir.path)/pub.sock", qos: .queue(capacity: 64))
        try Self.registerLaunch(runtime: runtime, endpoint: pub.endpoint)
        let (status, perTopic, _) = try record(["-o", dir.appendingPathComponent("cam.mcap").path, "--topic", "/cam"],
                                               runtime: runtime, publisher: pub, frames: 4)
        #expect(status == 0)
        #expect(perTopic == ["/cam": 4])
    }

    @Test func withoutARunningLaunchAllAndBareTopicsSaySo() throws {
        let empty = try makeTemporaryDirectory("vlmrec-none")
        let env = ["VLMNODE_RUNTIME_DIR": empty.path]
        let all = try VLMNodeBinary.run(["record", "-o", empty.appendingPathComponent("a.mcap").path, "--all"], environment: env)
        #expect(all.status != 0 && all.stderr.contains("lists no running launch"), "\(all.stderr)")
        let named = try VLMNodeBinary.run(["record", "-o", empty.appendingPathComponent("b.mcap").path, "--topic", "/cam"], environment: env)
        #expect(named.status != 0 && named.stderr.contains("no running launch"), "\(named.stderr)")
        let mixed = try VLMNodeBinary.run(["record", "-o", "x.mcap", "--all", "--topic", "/cam"], environment: env)
        #expect(mixed.status != 0 && mixed.stderr.contains("drop --connect and --topic"), "\(mixed.stderr)")
    }
}
