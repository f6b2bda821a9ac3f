import Foundation
import Testing
import TestSupport

/// `vlmnode models pull --for LAUNCHFILE` and short model names, against the loopback fake hub
/// serving the tiny fixtures under the default models' hub ids.
@Suite struct ModelsPullForTests {
    static let repos = [
        "google/owlvit-base-patch32": "owlvit-tiny-new",
        "CIDAS/clipseg-rd64-refined": "clipseg-tiny",
        "microsoft/xclip-base-patch32": "xclip-tiny-safetensors",
        "openai/clip-vit-base-patch32": "clip-tiny-new",
    ]

    static func hub() throws -> FakeHub {
        try FakeHub(repos: repos.mapValues { Fixtures.url("models/\($0)") })
    }

    /// The repositories the hub was asked about (`/org/name/resolve/…`).
    static func requestedRepos(_ hub: FakeHub) -> Set<String> {
        Set(hub.requests().compactMap { request -> String? in
            guard let path = request["path"] as? String, let range = path.range(of: "/resolve/") else { return nil }
            return String(path[path.index(after: path.startIndex)..<range.lowerBound])
        })
    }

    static func cachedRepos(_ cache: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: cache.path).filter { $0.hasPrefix("models--") }.sorted()
    }

    @Test func pullForTheShippedPickPlaceFetchesExactlyItsModels() throws {
        let hub = try Self.hub()
        let cache = try makeTemporaryDirectory("hf-cache")
        let env = ["HF_HUB_CACHE": cache.path, "HF_ENDPOINT": hub.endpoint.absoluteString, "HF_HUB_OFFLINE": "0",
                   "VLMNODE_LAUNCH_PATH": ""]
        let pull = try VLMNodeBinary.run(["models", "pull", "--for", "pick_place.launch"], environment: env)
        #expect(pull.status == 0, "\(pull.stderr)")
        #expect(try Self.cachedRepos(cache) == ["models--CIDAS--clipseg-rd64-refined", "models--google--owlvit-base-patch32"])
        #expect(Self.requestedRepos(hub) == ["CIDAS/clipseg-rd64-refined", "google/owlvit-base-patch32"])
        #expect(pull.stdout.split(separator: "\n") == [
            "\(cache.path)/models--google--owlvit-base-patch32/snapshots/\(hub.commit("google/owlvit-base-patch32"))",
            "\(cache.path)/models--CIDAS--clipseg-rd64-refined/snapshots/\(hub.commit("CIDAS/clipseg-rd64-refined"))",
        ])
        #expect(pull.stderr.contains("node /perception/grounding loads detector = google/owlvit-base-patch32"))

        // Now offline, the launch's models resolve from the cache alone.
        let info = try VLMNodeBinary.run(["models", "info", "clipseg"], environment: env.merging(["HF_HUB_OFFLINE": "1"]) { $1 })
        #expect(info.status == 0, "\(info.stderr)")
        #expect(info.stdout.contains("CLIPSegForImageSegmentation"))
    }

    @Test func shortNamesOverridesAndDefaultsInALaunchFile() throws {
        let hub = try Self.hub()
        let cache = try makeTemporaryDirectory("hf-cache")
        let dir = try makeTemporaryDirectory("pull-for")
        // Two nodes name the same model two ways; video uses its type's default unless overridden.
        try """
            <launch>
              <arg name="video_model" default="microsoft/xclip-base-patch32"/>
              <node name="cam" type="source"><param name="input" value="lavfi:testsrc"/></node>
              <node name="det" type="detect"><param name="queries" value="cup"/><param name="model" value="owlvit"/></node>
              <node name="det2" type="detect" ns="other"><remap from="camera/image" to="/camera/image"/><param name="queries" value="bowl"/></node>
              <node name="vid" type="video"><param name="prompts" value="a, b"/><param name="model" value="$(arg video_model)"/></node>
            </launch>
            """.write(to: dir.appendingPathComponent("watch.launch"), atomically: true, encoding: .utf8)
        let env = ["HF_HUB_CACHE": cache.path, "HF_ENDPOINT": hub.endpoint.absoluteString, "HF_HUB_OFFLINE": "0",
                   "VLMNODE_LAUNCH_PATH": dir.path]
        let pull = try VLMNodeBinary.run(["models", "pull", "--for", "watch", "video_model:=clip"], environment: env)
        #expect(pull.status == 0, "\(pull.stderr)")
        #expect(try Self.cachedRepos(cache) == ["models--google--owlvit-base-patch32", "models--openai--clip-vit-base-patch32"])
        #expect(Self.requestedRepos(hub) == ["google/owlvit-base-patch32", "openai/clip-vit-base-patch32"])
        #expect(pull.stdout.split(separator: "\n").count == 2)

        // A launch file without models fetches nothing and says so.
        try "<launch><node name=\"n\" type=\"exec\" args=\"true\"/></launch>\n"
            .write(to: dir.appendingPathComponent("none.launch"), atomically: true, encoding: .utf8)
        let none = try VLMNodeBinary.run(["models", "pull", "--for", "none"], environment: env)
        #expect(none.status == 0 && none.stdout.isEmpty && none.stderr.contains("no node of this launch file loads a model"))
        let bad = try VLMNodeBinary.run(["models", "pull", "--for", "absent"], environment: env)
        #expect(bad.status == 1 && bad.stderr.contains("absent: no such launch file"))
    }

    @Test func shortNamesWhereverAModelIs() throws {
        let hub = try Self.hub()
        let cache = try makeTemporaryDirectory("hf-cache")
        let env = ["HF_HUB_CACHE": cache.path, "HF_ENDPOINT": hub.endpoint.absoluteString, "HF_HUB_OFFLINE": "0"]
        let pull = try VLMNodeBinary.run(["models", "pull", "xclip", "clip@main"], environment: env)
        #expect(pull.status == 0, "\(pull.stderr)")
        #expect(try Self.cachedRepos(cache) == ["models--microsoft--xclip-base-patch32", "models--openai--clip-vit-base-patch32"])
        // classify resolves `--model clip` through the store like every command.
        let classify = try VLMNodeBinary.run(["classify", Fixtures.url("images/clip-32x32.png").path, "a cat", "a dog",
                                              "--model", "clip", "--json"], environment: env.merging(["HF_HUB_OFFLINE": "1"]) { $1 })
        #expect(classify.status == 0, "\(classify.stderr)")
        #expect(classify.stdout.contains("a dog"))
        let unknown = try VLMNodeBinary.run(["models", "pull", "owl"], environment: env)
        #expect(unknown.status == 1)
        #expect(unknown.stderr == "vlmnode: owl: no such model folder, and not a hub id (org/name[@revision]) or a short name (clip, owlvit, xclip, clipseg, vilt)\n")
    }
}
