import Foundation
import Testing
import CZMQ
@testable import VLMBus
import VLMMessages
@testable import VLMNode

/// Key pairs in a fresh directory (`NAME.key` + `NAME.pub`), and authorized-keys directories.
struct KeyDir {
    let path: String

    init(_ names: [String]) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("node-keys-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for name in names { _ = try CurveCertificate.generate().write(name: name, directory: path, force: false) }
    }

    func key(_ name: String) -> String { path + "/\(name).key" }
    func pub(_ name: String) -> String { path + "/\(name).pub" }

    /// A directory holding the public keys of `names`.
    func authorized(_ label: String, _ names: [String]) throws -> String {
        let dir = path + "/authorized-\(label)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for name in names { try FileManager.default.copyItem(atPath: pub(name), toPath: dir + "/\(name).pub") }
        return dir
    }
}

@Suite(.serialized) struct NodeSecurityTests {
    @Test func wiringSecurityRoundTripsAsPathsAndIsLeftOutWhenAbsent() throws {
        let json = """
        {"version": 1, "name": "/n", "namespace": "/", "type": "echo", "params": {},
         "inputs": {"image": {"topic": "/camera/image", "type": "vlm/Frame", "endpoint": "tcp://10.0.0.2:7000", "bind": false,
                              "security": {"identity": "/k/ws.key", "server_key": "/k/robot.pub"}}},
         "outputs": {"out": {"topic": "/out", "type": "vlm/Detections", "endpoint": "tcp://0.0.0.0:7001", "bind": true,
                             "security": {"identity": "/k/ws.key", "authorized": "/k/auth"}},
                     "plain": {"topic": "/p", "type": "any", "endpoint": null, "bind": true}}}
        """
        let w = try NodeWiring.decode(json: json)
        #expect(w.inputs["image"]?.security == PortSecurity(identity: "/k/ws.key", serverKey: "/k/robot.pub"))
        #expect(w.outputs["out"]?.security == PortSecurity(identity: "/k/ws.key", authorized: "/k/auth"))
        #expect(w.outputs["plain"]?.security == nil)
        let text = try w.jsonString()
        #expect(text.contains(#""security":{"identity":"/k/ws.key","server_key":"/k/robot.pub"}"#))
        #expect(!text.contains(#""bind":true,"security":null"#) && text.components(separatedBy: "\"security\"").count == 3)
        #expect(try NodeWiring.decode(json: text) == w)
    }

    @Test func commandLineSecurityIsAppliedByDirectionOverTheWiring() {
        let launched = NodeWiring(name: "/n", namespace: "/", type: "echo",
                                  inputs: ["image": TopicBinding(topic: "/camera/image", type: "vlm/Frame", endpoint: "tcp://h:1", bind: false,
                                                                 security: PortSecurity(identity: "/a.key", serverKey: "/launcher.pub"))])
        var o = NodeOverrides()
        o.security = PortSecurity(identity: "/cli.key", serverKey: "/cli.pub", insecure: true)
        let w = NodeWiring.resolve(spec: RuntimeRig.spec, wiring: launched, overrides: o)
        #expect(w.inputs["image"]?.security == PortSecurity(identity: "/cli.key", serverKey: "/cli.pub"))
        // The output binds: no --authorized, so no CURVE (and the client identity is not taken);
        // --insecure applies to it.
        #expect(w.outputs["out"]?.security == PortSecurity(insecure: true))
        // An input that binds takes the server half.
        o.security = PortSecurity(identity: "/cli.key", authorized: "/auth")
        o.inputs["image"] = PortOverride(endpoint: "tcp://127.0.0.1:0", bind: true)
        let bound = NodeWiring.resolve(spec: RuntimeRig.spec, wiring: nil, overrides: o)
        #expect(bound.inputs["image"]?.security == PortSecurity(identity: "/cli.key", authorized: "/auth"))
        #expect(bound.outputs["out"]?.security == PortSecurity(identity: "/cli.key", authorized: "/auth"))
        #expect(bound.inputs["labels"]?.security == nil)  // not wired, connects: takes nothing of a server's options
    }

    @Test func curveInputsAndOutputsOverLoopbackAndStrangersGetNothing() throws {
        let keys = try KeyDir(["camera", "node", "viewer", "stranger"])
        let frames = try Publisher(bind: "tcp://127.0.0.1:0", qos: .queue(capacity: 100),
                                   security: .server(identity: keys.key("camera"), authorizedDirectory: keys.authorized("camera", ["node"])))
        // The launcher's JSON, as an exec node would read it.
        let json = """
        {"version": 1, "name": "/echo", "namespace": "/", "type": "echo", "params": {},
         "inputs": {"image": {"topic": "/camera/image", "type": "vlm/Frame", "endpoint": "\(frames.endpoint)", "bind": false,
                              "security": {"identity": "\(keys.key("node"))", "server_key": "\(keys.pub("camera"))"}}},
         "outputs": {"out": {"topic": "/echo/out", "type": "vlm/Detections", "endpoint": "tcp://127.0.0.1:0", "bind": true,
                             "security": {"identity": "\(keys.key("node"))", "authorized": "\(try keys.authorized("node", ["viewer"]))"}}}}
        """
        let wiring = NodeWiring.resolve(spec: RuntimeRig.spec, wiring: try NodeWiring.decode(json: json))
        let logs = LogLines()
        let runtime = try NodeRuntime(spec: RuntimeRig.spec, wiring: wiring, log: logs.log)
        let out = try #require(runtime.outputEndpoint("out"))
        let viewer = try Subscriber(connect: [out], topics: ["/echo/out"], qos: .queue(capacity: 100),
                                    security: .client(identity: keys.key("viewer"), serverKey: keys.pub("node")))
        let stranger = try Subscriber(connect: [out], topics: [""], qos: .queue(capacity: 100),
                                      security: .client(identity: keys.key("stranger"), serverKey: keys.pub("node")))
        let plain = try Subscriber(connect: [out], topics: [""], qos: .queue(capacity: 100))
        #expect(frames.waitForSubscribers(1, timeout: 10))
        #expect(runtime.publisher("out")!.waitForSubscribers(1, timeout: 10))

        let echo = EchoProcessor(labels: ["cup"])
        let stop = StopSignal()
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread { runtime.run(echo, until: stop); done.signal() }
        var got: [MessageHeader] = []
        let info = FrameInfo(width: 4, height: 2, encoding: .rgb8)
        for seq in UInt64(0) ..< 5 {
            try frames.publish(topic: "/camera/image", header: MessageHeader(type: FrameInfo.messageType, seq: seq, stampNs: BusClock.nowNs(), fields: info.fields),
                               blobs: [try Blob([UInt8](repeating: 7, count: info.byteCount))])
            if let m = viewer.receive(timeout: 5) { got.append(m.header) }
        }
        // Keep the strangers trying for a while longer.
        Thread.sleep(forTimeInterval: 0.5)
        stop.raise()
        #expect(done.wait(timeout: .now() + 5) == .success)
        #expect(got.map(\.sourceSeq) == [0, 1, 2, 3, 4])
        #expect(stranger.receive(timeout: 0.2) == nil && stranger.stats.received == 0)
        #expect(plain.receive(timeout: 0.2) == nil && plain.stats.received == 0)
        let auth = try #require(runtime.publisher("out")?.authenticationStats)
        #expect(auth.accepted == 1 && auth.distinctRefusedKeys == 1 && auth.refusedKeys >= 1, "\(auth)")
        #expect(auth.failedHandshakes >= 1, "\(auth)")  // the plain subscriber
        #expect(frames.authenticationStats?.accepted == 1)
    }

    @Test func boundCurveInputAdmitsOnlyAuthorizedPublishers() throws {
        let keys = try KeyDir(["camera", "node", "stranger"])
        var o = NodeOverrides()
        o.inputs["image"] = PortOverride(endpoint: "tcp://127.0.0.1:0", bind: true)
        o.security = PortSecurity(identity: keys.key("node"), authorized: try keys.authorized("node", ["camera"]))
        let wiring = NodeWiring.resolve(spec: RuntimeRig.spec, wiring: nil, overrides: o)
        let runtime = try NodeRuntime(spec: RuntimeRig.spec, wiring: wiring, log: LogLines().log)
        let input = try #require(runtime.inputEndpoint("image"))
        let camera = try ConnectingPublisher(input, security: .client(identity: keys.key("camera"), serverKey: keys.pub("node")))
        let stranger = try ConnectingPublisher(input, security: .client(identity: keys.key("stranger"), serverKey: keys.pub("node")))
        let plain = try ConnectingPublisher(input, security: .none)
        let deadline = Date(timeIntervalSinceNow: 10)
        var seq: UInt64 = 0
        while runtime.stats("image").received < 5 && Date() < deadline {
            for p in [stranger, plain] { try p.sendFrame(seq: 1_000 + seq) }  // never delivered: seq >= 1000
            try camera.sendFrame(seq: seq)
            seq += 1
            Thread.sleep(forTimeInterval: 0.05)
        }
        let sub = try #require(runtime.subscriber("image"))
        var seen: [UInt64] = []
        while let m = sub.receive(timeout: 0.3) { seen.append(m.header.seq) }
        #expect(runtime.stats("image").received >= 5)
        #expect(!seen.isEmpty && seen.allSatisfy { $0 < 1_000 }, "\(seen)")
        let auth = try #require(sub.authenticationStats)
        #expect(auth.accepted >= 1 && auth.distinctRefusedKeys == 1 && auth.failedHandshakes >= 1, "\(auth)")
    }

    @Test func badSecurityObjectsAndKeyFilesAreOneLineNamingNodeAndPort() throws {
        let keys = try KeyDir(["node"])
        func open(_ security: PortSecurity, bind: Bool = true, endpoint: String = "tcp://127.0.0.1:0") throws {
            var w = NodeWiring.resolve(spec: RuntimeRig.spec, wiring: nil)
            w.outputs["out"]?.endpoint = endpoint
            w.outputs["out"]?.security = security
            _ = try NodeRuntime(spec: RuntimeRig.spec, wiring: NodeWiring.resolve(spec: RuntimeRig.spec, wiring: w, overrides: {
                var o = NodeOverrides(); o.inputs["image"] = PortOverride(endpoint: "tcp://127.0.0.1:9"); return o
            }()), log: LogLines().log)
        }
        func message(_ body: () throws -> Void) -> String {
            do { try body(); return "" } catch { return "\(error)" }
        }
        #expect(message { try open(PortSecurity(identity: keys.key("node"))) }
            == "node /echo: output 'out': security: \"identity\" and \"authorized\" go together (a CURVE server needs both)")
        #expect(message { try open(PortSecurity(identity: keys.key("node"), serverKey: keys.pub("node"))) }.contains("\"server_key\" is for a port that connects"))
        #expect(message { try open(PortSecurity(identity: keys.pub("node"), authorized: keys.path)) }
            == "node /echo: output 'out': \(keys.pub("node")) has no secret-key (give the NAME.key file, not NAME.pub)")
        #expect(message { try open(PortSecurity(identity: keys.key("node"), authorized: keys.path), endpoint: "ipc:///tmp/x-\(UUID().uuidString.prefix(6))") }
            .contains("CURVE applies to tcp:// endpoints"))
        // Beyond loopback: refused without CURVE, allowed with insecure (one warning line).
        #expect(message { try open(PortSecurity(), endpoint: "tcp://0.0.0.0:0") }.contains("is not a loopback address"))
        let logs = LogLines()
        var w = NodeWiring.resolve(spec: RuntimeRig.spec, wiring: nil)
        w.outputs["out"]?.endpoint = "tcp://0.0.0.0:0"
        w.outputs["out"]?.security = PortSecurity(insecure: true)
        w.inputs["image"]?.endpoint = "tcp://127.0.0.1:9"
        _ = try NodeRuntime(spec: RuntimeRig.spec, wiring: w, log: logs.log)
        #expect(logs.all.filter { $0.contains("insecure") }.count == 1)
    }
}

/// A PUB socket that connects to a bound subscriber, like an outside program feeding a node input.
final class ConnectingPublisher {
    private let socket: ZMQSocket

    init(_ endpoint: String, security: BusSecurity) throws {
        socket = try ZMQSocket(.shared, type: ZMQ_PUB)
        try socket.set(ZMQ_LINGER, 0, name: "ZMQ_LINGER")
        try security.configureClient(socket)
        try socket.connect(endpoint)
    }

    func sendFrame(seq: UInt64) throws {
        let info = FrameInfo(width: 4, height: 2, encoding: .rgb8)
        let parts = try Envelope.encode(topic: "/camera/image",
                                        header: MessageHeader(type: FrameInfo.messageType, seq: seq, stampNs: BusClock.nowNs(), fields: info.fields),
                                        blobs: [try Blob([UInt8](repeating: 1, count: info.byteCount))])
        for (i, part) in parts.enumerated() { _ = try socket.send(part, more: i + 1 < parts.count, dontWait: true) }
    }
}
