import Foundation
import Testing
import TestSupport
import VLMBus
import VLMRecord

/// `record` and `play` with the CURVE options: a recording made over an authenticated link plays
/// back over one, and a plain subscriber gets nothing from the CURVE player.
@Suite(.serialized) struct CurveRecordPlayCLITests {
    @Test func recordAndPlayOverCurve() throws {
        let dir = try makeTemporaryDirectory("curve-recplay")
        try CurveCLITests.makeKeys(dir)
        let k = { dir.appendingPathComponent($0).path }
        let file = k("curve.mcap")

        // An in-process CURVE publisher with the server key; `record` authenticates as the client.
        let pub = try Publisher(bind: "tcp://127.0.0.1:0", qos: .queue(capacity: 64),
                                security: try BusSecurity.server(identity: k("server.key"), authorizedDirectory: k("auth")))
        let recorder = try VLMNodeBinary.start(["record", "-o", file, "--connect", pub.endpoint, "--topic", "/det", "--quiet",
                                                "--identity", k("client.key"), "--server-key", k("server.pub")],
                                               log: dir.appendingPathComponent("record.log"))
        defer { CurveCLITests.stop(recorder) }
        #expect(pub.waitForSubscribers(1, timeout: 20), "recorder never subscribed")
        Thread.sleep(forTimeInterval: 0.3)
        for seq in UInt64(1)...30 {
            try pub.publish(topic: "/det", header: MessageHeader(type: "test/Event", seq: seq))
            usleep(10_000)
        }
        Thread.sleep(forTimeInterval: 0.5)
        CurveCLITests.stop(recorder)
        let log = (try? String(contentsOf: dir.appendingPathComponent("record.log"), encoding: .utf8)) ?? ""
        #expect(recorder.terminationStatus == 0, "record failed: \(log)")
        let reader = try MCAPReader(path: file)
        #expect(reader.statistics?.messageCount == 30, "\(log)")

        // `play` as a CURVE server: the authorized subscriber gets the messages, a plain one none.
        let port = try CurveCLITests.freePort()
        let endpoint = "tcp://127.0.0.1:\(port)"
        let good = try Subscriber(connect: [endpoint], topics: ["/det"], qos: .queue(capacity: 100),
                                  security: try BusSecurity.client(identity: k("client.key"), serverKey: k("server.pub")))
        let plain = try Subscriber(connect: [endpoint], topics: ["/det"], qos: .queue(capacity: 100))
        let play = try VLMNodeBinary.run(["play", file, "--bind", endpoint, "--delay", "1.5",
                                          "--identity", k("server.key"), "--authorized", k("auth")], timeout: 60)
        #expect(play.status == 0, "\(play.stderr)")
        var received = 0
        while good.receive(timeout: 1) != nil { received += 1 }
        #expect(received == 30)
        #expect(plain.receive(timeout: 0.2) == nil && plain.stats.received == 0)
        #expect(play.stderr.contains("vlmbus: refused a peer from 127.0.0.1 on \(endpoint)"), "\(play.stderr)")
    }
}
