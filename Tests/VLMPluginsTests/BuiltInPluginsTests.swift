import Foundation
import Testing
import VLMNode
import VLMPlugins

@Suite struct BuiltInPluginsTests {
    @Test func pluginsRegisterTheirNodeTypes() throws {
        let registry = NodeTypeRegistry()
        BuiltInPlugins.registerAll(in: registry)
        #expect(registry.names == ["detect", "ground", "record", "source", "video", "vqa"])
        let detect = try #require(registry.spec(named: "detect"))
        #expect(detect.inputs.map(\.type) == [MessageType.frame, MessageType.text])
        #expect(detect.inputs.map(\.isControl) == [false, true])
        #expect(detect.outputs.map(\.type) == [MessageType.detections])
        #expect(detect.param(named: "queries")?.required == true)
        #expect(detect.param(named: "model")?.defaultValue == .string("google/owlvit-base-patch32"))
        #expect(try detect.arguments(NodeWiring(name: "/d", namespace: "/", type: "detect")) == ["node", "detect"])
        let video = try #require(registry.spec(named: "video"))
        #expect(video.inputs.first?.queueCapacity == 64 && video.outputs.map(\.role) == ["scores", "events"])
        #expect(registry.plugin(named: "ground")?.spec.name == "ground")
        #expect(registry.plugin(named: "source") == nil)
    }
}

@Suite struct NodeTypeDocTests {
    /// docs/launch.md's node-type table is the one the declarations produce: change a port, a param
    /// or a default and this fails until the doc is regenerated (the expected text is in the failure).
    @Test func launchDocTableMatchesTheDeclarations() throws {
        let registry = NodeTypeRegistry()
        BuiltInPlugins.registerAll(in: registry)
        let order = ["source", "detect", "video", "ground", "vqa", "record"]
        let table = NodeTypeTable.markdown(order.compactMap { registry.spec(named: $0) })
        let doc = try String(contentsOf: repositoryRoot.appendingPathComponent("docs/launch.md"), encoding: .utf8)
        let expected = "\(NodeTypeTable.begin)\n\(table)\n\(NodeTypeTable.end)"
        #expect(doc.contains(expected), "docs/launch.md should contain:\n\(expected)")
    }
}

/// The repository root (this file is Tests/VLMPluginsTests/…).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
