import Foundation
import Testing
import TestSupport
import VLMNode

@Suite struct NodeTypeRegistryTests {
    /// VLMNode itself knows only `source` and `record`; the plugins' types are registered by their
    /// plugins (VLMPluginsTests checks `detect`, `video` and `ground`).
    @Test func builtInTypesDeclareTheirPorts() throws {
        #expect(NodeTypeRegistry().names == ["record", "source"])
        let source = try #require(NodeTypeRegistry.shared.spec(named: "source"))
        #expect(source.outputs.map(\.type) == [MessageType.frame])
        #expect(source.param(named: "input")?.required == true)
        #expect(NodeTypeRegistry.shared.spec(named: NodeTypeRegistry.execType) == nil)
        #expect(MessageType.compatible(published: MessageType.frame, expected: MessageType.any))
        #expect(!MessageType.compatible(published: MessageType.frame, expected: MessageType.detections))
    }

    @Test func pluginsRegisterByName() throws {
        // A registry of its own: the shared one is what every launch test validates against.
        let registry = NodeTypeRegistry()
        registry.register(NodeTypeSpec(name: "test_echo", summary: "echo",
                                               inputs: [PortSpec("in", topic: "in", type: MessageType.text)],
                                               arguments: { w in ["node", "test_echo", w.name] }))
        let spec = try #require(registry.spec(named: "test_echo"))
        #expect(NodeTypeRegistry.shared.spec(named: "test_echo") == nil)
        #expect(try spec.arguments(NodeWiring(name: "/e", namespace: "/", type: "test_echo")) == ["node", "test_echo", "/e"])
    }

    @Test func sourceCommandNeedsInput() throws {
        #expect(throws: NodeWiringError.self) {
            try BuiltInNodeTypes.source.arguments(NodeWiring(name: "/cam", namespace: "/", type: "source"))
        }
    }
}

@Suite struct NodeWiringTests {
    @Test func typedAccessorsNameTheNodeAndParam() throws {
        let w = NodeWiring(name: "/det", namespace: "/", type: "detect",
                           params: ["queries": .string("a, b"), "threshold": .int(1), "model": .bool(true)],
                           inputs: ["image": TopicBinding(topic: "/camera/image", type: MessageType.frame, endpoint: "ipc:///x", bind: false),
                                    "queries": TopicBinding(topic: "/q", type: MessageType.text, endpoint: nil, bind: true)])
        #expect(try w.stringList("queries") == ["a", "b"])
        #expect(try w.double("threshold") == 1)
        #expect(try w.string("absent") == nil)
        #expect(try w.input("image").endpoint == "ipc:///x")
        #expect(throws: NodeWiringError.self) { try w.string("model") }
        #expect(throws: NodeWiringError.self) { try w.input("queries") }
        do {
            _ = try w.output("detections")
            Issue.record("expected an error")
        } catch {
            #expect("\(error)" == "node /det: output 'detections' is not wired (outputs: )")
        }
        do {
            _ = try w.int("model")
            Issue.record("expected an error")
        } catch {
            #expect("\(error)" == "node /det: param 'model' must be an integer, got bool \"true\"")
        }
    }
}

@Suite struct GraphRegistryTests {
    func graph(_ id: String, pid: Int32, started: Double, topic: String) -> LaunchGraphFile {
        LaunchGraphFile(launchID: id, file: "x.launch", launcherPID: pid, startedAt: started, runtimeDirectory: "/nowhere/\(id)",
                        logDirectory: "/l", nodes: [],
                        topics: [.init(name: topic, type: "vlm/Frame", endpoint: "ipc:///\(id).sock", publisher: "/cam", subscribers: [])])
    }

    @Test func absentValuesAreWrittenAsNull() throws {
        let topic = LaunchGraphFile.Topic(name: "/q", type: "vlm/Text", endpoint: "ipc:///q", publisher: nil, subscribers: ["/d"])
        let json = String(decoding: try JSONEncoder().encode(topic), as: UTF8.self)
        #expect(json.contains("\"publisher\":null"))
        let binding = TopicBinding(topic: "/q", type: "vlm/Text", endpoint: nil, bind: true)
        #expect(String(decoding: try JSONEncoder().encode(binding), as: UTF8.self).contains("\"endpoint\":null"))
        #expect(try JSONDecoder().decode(TopicBinding.self, from: JSONEncoder().encode(binding)) == binding)
    }

    @Test func directoryFollowsTheEnvironment() {
        #expect(GraphRegistry.directory(environment: ["VLMNODE_RUNTIME_DIR": "/a", "XDG_RUNTIME_DIR": "/b"]).path == "/a")
        #expect(GraphRegistry.directory(environment: ["XDG_RUNTIME_DIR": "/run/user/7"]).path == "/run/user/7/vlmnode")
        #expect(GraphRegistry.directory(environment: [:]).path == "/tmp/vlmnode-\(getuid())")
    }

    @Test func lookupPrefersTheCurrentLiveLaunch() throws {
        let dir = try makeTemporaryDirectory("registry")
        let env = ["VLMNODE_RUNTIME_DIR": dir.path]
        let me = getpid()
        // A dead launcher (pid far above pid_max) must be ignored even though it is newest.
        try GraphRegistry.write(graph("dead", pid: 999_999_999, started: 300, topic: "/camera/image"),
                                to: GraphRegistry.graphFileURL(launchID: "dead", in: dir))
        try GraphRegistry.write(graph("old", pid: me, started: 100, topic: "/camera/image"),
                                to: GraphRegistry.graphFileURL(launchID: "old", in: dir))
        try GraphRegistry.write(graph("new", pid: me, started: 200, topic: "/camera/image"),
                                to: GraphRegistry.graphFileURL(launchID: "new", in: dir))
        #expect(GraphRegistry.running(environment: env).map(\.launchID) == ["new", "old"])
        #expect(GraphRegistry.lookup(topic: "/camera/image", environment: env)?.endpoint == "ipc:///new.sock")
        GraphRegistry.makeCurrent(GraphRegistry.graphFileURL(launchID: "old", in: dir), in: dir)
        #expect(GraphRegistry.current(environment: env)?.launchID == "old")
        #expect(GraphRegistry.lookup(topic: "/camera/image", environment: env)?.endpoint == "ipc:///old.sock")
        #expect(GraphRegistry.lookup(topic: "/nope", environment: env) == nil)
        #expect(try GraphRegistry.resolve(topic: "/camera/image", environment: env).endpoint == "ipc:///old.sock")
        do {
            _ = try GraphRegistry.resolve(topic: "/nope", environment: env)
            Issue.record("expected an error")
        } catch {
            #expect("\(error)" == "topic /nope is not in the running launches (topics: /camera/image)")
        }
        do {
            _ = try GraphRegistry.resolve(topic: "/nope", environment: ["VLMNODE_RUNTIME_DIR": dir.path + "/empty"])
            Issue.record("expected an error")
        } catch {
            #expect("\(error)" == "topic /nope: no running launch (no graph file in \(dir.path)/empty); give --connect ENDPOINT")
        }
        #expect(GraphRegistry.removeStale(environment: env) == ["dead"])
        #expect(GraphRegistry.running(environment: env).count == 2)
    }
}
