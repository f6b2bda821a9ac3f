import Foundation
import Testing
import TestSupport

/// `vlmnode models pull|list|info` against a loopback fake hub and a temporary HF cache.
@Suite struct ModelsCommandTests {
    static let repo = "test-org/clip-tiny"

    static func json(_ text: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
    }

    /// transformers' own count, from the index metadata it wrote next to the shards.
    static func transformersParameterCount() throws -> Int {
        let index = try json(String(contentsOf: Fixtures.url("models/clip-tiny-sharded/model.safetensors.index.json"), encoding: .utf8))
        return (index["metadata"] as? [String: Any])?["total_parameters"] as? Int ?? -1
    }

    @Test func pullListAndInfo() throws {
        let hub = try FakeHub(repos: [Self.repo: Fixtures.url("models/clip-tiny-sharded")])
        let cache = try makeTemporaryDirectory("hf-cache")
        let env = ["HF_HUB_CACHE": cache.path, "HF_ENDPOINT": hub.endpoint.absoluteString, "HF_HUB_OFFLINE": "0"]

        let pull = try VLMNodeBinary.run(["models", "pull", Self.repo], environment: env)
        #expect(pull.status == 0, "\(pull.stderr)")
        let folder = pull.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(folder == cache.path + "/models--test-org--clip-tiny/snapshots/" + hub.commit(Self.repo))
        #expect(FileManager.default.fileExists(atPath: folder + "/model-00004-of-00004.safetensors"))

        let list = try VLMNodeBinary.run(["models", "list"], environment: env)
        #expect(list.status == 0)
        #expect(list.stdout.contains(Self.repo))
        #expect(list.stdout.contains("main=" + hub.commit(Self.repo).prefix(10)))

        let listJSON = try Self.json(VLMNodeBinary.run(["models", "list", "--json"], environment: env).stdout)
        let model = (listJSON["models"] as? [[String: Any]])?.first
        #expect(model?["id"] as? String == Self.repo)
        let blobBytes = try FileManager.default.contentsOfDirectory(atPath: Fixtures.url("models/clip-tiny-sharded").path)
            .map { try FileManager.default.attributesOfItem(atPath: Fixtures.url("models/clip-tiny-sharded/\($0)").path)[.size] as? Int ?? 0 }
            .reduce(0, +)
        #expect(model?["size"] as? Int == blobBytes)

        // Offline: info comes from the cache alone.
        let info = try VLMNodeBinary.run(["models", "info", Self.repo, "--json"], environment: env.merging(["HF_HUB_OFFLINE": "1"]) { $1 })
        #expect(info.status == 0, "\(info.stderr)")
        let described = try Self.json(info.stdout)
        #expect(described["architecture"] as? String == "CLIPModel")
        // What the model registry loads it as.
        let loadsAs = described["model"] as? [String: Any]
        #expect(loadsAs?["name"] as? String == "CLIP" && loadsAs?["loader"] as? String == "CLIPModel" && described["supported"] as? Bool == true)
        #expect((loadsAs?["tasks"] as? [String])?.contains("classify") == true)
        #expect(described["source"] as? String == "cache")
        #expect(described["commit"] as? String == hub.commit(Self.repo))
        #expect(described["parameters"] as? Int == (try Self.transformersParameterCount()))
        #expect((described["dtypes"] as? [String: Int])?["F32"] != nil)
    }

    @Test func infoOnFoldersInEveryLayout() throws {
        let expected = try Self.transformersParameterCount()
        for (name, dtype) in [("clip-tiny-old", "F32"), ("clip-tiny-bin", "F32"), ("clip-tiny-fp16", "F16")] {
            let result = try VLMNodeBinary.run(["models", "info", Fixtures.url("models/\(name)").path, "--json"])
            #expect(result.status == 0, "\(name): \(result.stderr)")
            let info = try Self.json(result.stdout)
            #expect(info["parameters"] as? Int == expected, "\(name)")
            #expect((info["dtypes"] as? [String: Int])?.keys.sorted() == [dtype], "\(name)")
        }
        let text = try VLMNodeBinary.run(["models", "info", Fixtures.url("models/owlvit-tiny-old").path])
        #expect(text.stdout.contains("OwlViTForObjectDetection"))
        #expect(text.stdout.contains("special_tokens_map.json"))
    }

    @Test func failuresAreOneLineOnStderr() throws {
        let cache = try makeTemporaryDirectory("hf-cache")
        let offline = try VLMNodeBinary.run(["models", "pull", "google/owlvit-base-patch32"],
                                            environment: ["HF_HUB_CACHE": cache.path, "HF_HUB_OFFLINE": "1"])
        #expect(offline.status != 0)
        #expect(offline.stderr.contains("google/owlvit-base-patch32") && offline.stderr.contains(cache.path))
        #expect(offline.stderr.split(separator: "\n").count == 1, "\(offline.stderr)")

        let bad = try VLMNodeBinary.run(["models", "info", "no such thing"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("not a hub id"))

        let empty = try VLMNodeBinary.run(["models", "list"], environment: ["HF_HUB_CACHE": cache.path])
        #expect(empty.status == 0 && empty.stdout.contains("No models"))
    }
}
