import Foundation
import Testing
@testable import VLMBus

private func tempDir(_ label: String) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString.prefix(8))").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

private func mode(_ path: String) -> mode_t {
    var st = stat()
    return stat(path, &st) == 0 ? st.st_mode & 0o777 : 0
}

@Test func keyFilesAreZcertFormatWithModesAndRefuseOverwrite() throws {
    let dir = try tempDir("curve-keys")
    let cert = try CurveCertificate.generate()
    let paths = try cert.write(name: "robot", directory: dir, force: false)
    #expect(paths.secret == dir + "/robot.key" && paths.public == dir + "/robot.pub")
    #expect(mode(paths.secret) == 0o600)
    let secretText = try String(contentsOfFile: paths.secret, encoding: .utf8)
    #expect(secretText.contains("\nmetadata\ncurve\n    public-key = \"\(cert.publicKey)\"\n    secret-key = \"\(cert.secretKey!)\"\n"))
    let publicText = try String(contentsOfFile: paths.public, encoding: .utf8)
    #expect(publicText.contains("    public-key = \"\(cert.publicKey)\"") && !publicText.contains("secret-key"))
    #expect(try CurveCertificate.load(paths.secret, requireSecret: true) == cert)
    #expect(try CurveCertificate.load(paths.public, requireSecret: false).secretKey == nil)
    // NAME.pub where a secret key is needed, and overwriting without force, are refused by name.
    #expect(throws: CurveKeyError("\(paths.public) has no secret-key (give the NAME.key file, not NAME.pub)")) {
        try CurveCertificate.load(paths.public, requireSecret: true)
    }
    #expect(throws: CurveKeyError("\(paths.secret) exists; not overwriting it (use --force to replace the key pair)")) {
        try CurveCertificate.generate().write(name: "robot", directory: dir, force: false)
    }
    #expect(try CurveCertificate.load(paths.secret, requireSecret: true) == cert)  // untouched
    let replacement = try CurveCertificate.generate()
    try replacement.write(name: "robot", directory: dir, force: true)
    #expect(try CurveCertificate.load(paths.secret, requireSecret: true) == replacement)
    #expect(mode(paths.secret) == 0o600)
}

@Test(arguments: [0o640, 0o604, 0o644, 0o660])
func secretKeyReadableByOthersIsRefused(permissions: Int) throws {
    let dir = try tempDir("curve-perm")
    let paths = try CurveCertificate.generate().write(name: "k", directory: dir, force: false)
    chmod(paths.secret, mode_t(permissions))
    do {
        _ = try CurveCertificate.load(paths.secret, requireSecret: true)
        Issue.record("loaded a secret key of mode \(String(permissions, radix: 8))")
    } catch let error as CurveKeyError {
        #expect(error.description.contains("accessible by group or others (mode \(String(permissions, radix: 8)))"))
        #expect(error.description.hasSuffix("run chmod 600 \(paths.secret)"))
    }
    chmod(paths.secret, 0o400)
    #expect(throws: Never.self) { try CurveCertificate.load(paths.secret, requireSecret: true) }
}

@Test func malformedKeyFilesAndEmptyAuthorizedDirectoriesAreNamed() throws {
    let dir = try tempDir("curve-bad")
    let bad = dir + "/bad.pub"
    try "metadata\ncurve\n    public-key = \"tooshort\"\n".write(toFile: bad, atomically: true, encoding: .utf8)
    #expect(throws: CurveKeyError("\(bad): public key is not 40 Z85 characters")) {
        try CurveCertificate.load(bad, requireSecret: false)
    }
    let empty = try tempDir("curve-empty")
    #expect(throws: CurveKeyError("authorized-keys directory \(empty) holds no NAME.pub file")) {
        try CurveCertificate.loadAuthorized(directory: empty)
    }
    #expect(throws: CurveKeyError.self) { try CurveCertificate.loadAuthorized(directory: dir) }  // names bad.pub
}

/// A CURVE publisher on loopback tcp and the keys around it.
private struct CurveFixture {
    let server = try! CurveCertificate.generate()
    let client = try! CurveCertificate.generate()
    let stranger = try! CurveCertificate.generate()
    var serverSecurity: BusSecurity { .curveServer(identity: server, authorized: [client.publicKey]) }
    func clientSecurity(_ identity: CurveCertificate) -> BusSecurity {
        .curveClient(identity: identity, serverKey: server.publicKey)
    }
}

@Test func authorizedCurveSubscriberReceivesFrames() throws {
    let keys = CurveFixture()
    let pub = try Publisher(bind: "tcp://127.0.0.1:0", qos: .queue(capacity: 100), security: keys.serverSecurity)
    let sub = try Subscriber(connect: [pub.endpoint], topics: ["/camera/image"], qos: .queue(capacity: 100),
                             security: keys.clientSecurity(keys.client))
    #expect(pub.waitForSubscribers(1, timeout: 10))
    for seq in UInt64(0)..<10 {
        let (info, blob) = try makeFrameBlob(width: 64, height: 48, seq: seq)
        try pub.publishFrame(topic: "/camera/image", seq: seq, stampNs: BusClock.nowNs(), frame: info, pixels: blob)
    }
    for seq in UInt64(0)..<10 {
        let m = try #require(sub.receive(timeout: 5))
        #expect(m.header.seq == seq && m.frame == FrameInfo(width: 64, height: 48, encoding: .rgb8))
        #expect(m.blobs[0].withUnsafeBytes { $0.allSatisfy { $0 == UInt8(seq) } })
    }
    let auth = try #require(pub.authenticationStats)
    #expect(auth.accepted == 1 && auth.refused == 0)
}

@Test func unknownKeyWrongServerKeyAndPlainSubscribersGetNothingAndAreCounted() throws {
    let keys = CurveFixture()
    let pub = try Publisher(bind: "tcp://127.0.0.1:0", qos: .queue(capacity: 100), security: keys.serverSecurity)
    let good = try Subscriber(connect: [pub.endpoint], topics: [""], qos: .queue(capacity: 1000),
                              security: keys.clientSecurity(keys.client))
    let unknown = try Subscriber(connect: [pub.endpoint], topics: [""], qos: .queue(capacity: 1000),
                                 security: keys.clientSecurity(keys.stranger))
    let plain = try Subscriber(connect: [pub.endpoint], topics: [""], qos: .queue(capacity: 1000))
    let impostorServer = try CurveCertificate.generate()
    let misdirected = try Subscriber(connect: [pub.endpoint], topics: [""], qos: .queue(capacity: 1000),
                                     security: .curveClient(identity: keys.client, serverKey: impostorServer.publicKey))
    var seq: UInt64 = 0
    let first = try awaitFirstMessage(good, publish: {
        seq += 1
        try pub.publish(topic: "/events", header: MessageHeader(type: "test/Event", seq: seq))
    }, timeout: 10)
    #expect(first != nil)
    // Keep publishing for a while: every other subscriber has had time to (fail to) connect.
    let until = Date(timeIntervalSinceNow: 1.0)
    while Date() < until {
        seq += 1
        try pub.publish(topic: "/events", header: MessageHeader(type: "test/Event", seq: seq))
        usleep(10_000)
    }
    #expect(good.receive(timeout: 2) != nil)
    for (name, sub) in [("unknown key", unknown), ("plain", plain), ("wrong server key", misdirected)] {
        #expect(sub.receive(timeout: 0.2) == nil, "\(name) subscriber received a message")
        #expect(sub.stats.received == 0, "\(name)")
    }
    let auth = try #require(pub.authenticationStats)
    #expect(auth.accepted == 1)
    #expect(auth.refusedKeys >= 1 && auth.distinctRefusedKeys == 1, "\(auth)")
    // The plain peer (mechanism mismatch) and the one holding the wrong server key fail the handshake.
    #expect(auth.failedHandshakes >= 2, "\(auth)")
}

@Test func curveServerMayBindBeyondLoopbackAndPlainMayNot() throws {
    let keys = CurveFixture()
    #expect(throws: Endpoint.BindRefusal.self) { _ = try Publisher(bind: "tcp://0.0.0.0:0") }
    // Bound on every interface for a moment; the test connects through loopback only.
    let pub = try Publisher(bind: "tcp://0.0.0.0:0", security: keys.serverSecurity)
    let port = try #require(pub.endpoint.split(separator: ":").last)
    let sub = try Subscriber(connect: ["tcp://127.0.0.1:\(port)"], topics: [""], security: keys.clientSecurity(keys.client))
    var seq: UInt64 = 0
    let m = try awaitFirstMessage(sub, publish: {
        seq += 1
        try pub.publish(topic: "/x", header: MessageHeader(type: "t", seq: seq))
    }, timeout: 10)
    #expect(m != nil)
}

@Test func curveOptionsOnTheWrongSideAndASharedZAPContextAreRefused() throws {
    let keys = CurveFixture()
    #expect(throws: CurveKeyError.self) {
        _ = try Publisher(bind: "tcp://127.0.0.1:0", security: keys.clientSecurity(keys.client))
    }
    #expect(throws: CurveKeyError.self) {
        _ = try Subscriber(connect: ["tcp://127.0.0.1:1"], topics: [""], security: keys.serverSecurity)
    }
    let ctx = try ZMQContext()
    let first = try Publisher(bind: "tcp://127.0.0.1:0", context: ctx, security: keys.serverSecurity)
    #expect(first.authenticationStats != nil)
    #expect(throws: CurveKeyError.self) {
        _ = try Publisher(bind: "tcp://127.0.0.1:0", context: ctx, security: keys.serverSecurity)
    }
}
