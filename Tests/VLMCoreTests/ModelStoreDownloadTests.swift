import Foundation
import Testing
import TestSupport
@testable import VLMCore

/// ModelStore against a loopback fake hub: the cache layout huggingface_hub writes, cache hits
/// without network, resumed partial downloads, the token.
@Suite struct ModelStoreDownloadTests {
    static let repo = "test-org/clip-tiny"

    static func store(_ hub: FakeHub?, cache: URL, token: String? = nil, offline: Bool = false) -> ModelStore {
        let settings = HubSettings(cacheDirectory: cache, endpoint: hub?.endpoint ?? URL(string: "http://127.0.0.1:9")!,
                                   token: token, offline: offline)
        let store = ModelStore(settings: settings, progress: nil)
        store.notice = nil
        return store
    }

    static func fixtureFiles(_ folder: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
    }

    @Test func downloadWritesTheHuggingFaceCacheLayout() throws {
        let fixture = Fixtures.url("models/clip-tiny-sharded")
        let hub = try FakeHub(repos: [Self.repo: fixture])
        let cache = try makeTemporaryDirectory("hf-cache")
        let model = try Self.store(hub, cache: cache).resolve(Self.repo)

        let commit = hub.commit(Self.repo)
        let repoFolder = cache.appendingPathComponent("models--test-org--clip-tiny")
        #expect(model.source == .download)
        #expect(model.commit == commit)
        #expect(model.folder.path == repoFolder.appendingPathComponent("snapshots/\(commit)").path)
        let ref = try String(contentsOf: repoFolder.appendingPathComponent("refs/main"), encoding: .utf8)
        #expect(ref == commit)

        let fm = FileManager.default
        for file in try Self.fixtureFiles(fixture) {
            let link = model.folder.appendingPathComponent(file)
            let etag = hub.etag(Self.repo, file)
            // A relative symlink into blobs/, named by etag (sha256 for weight files), with the same bytes.
            #expect(try fm.destinationOfSymbolicLink(atPath: link.path) == "../../blobs/\(etag)", "\(file)")
            #expect(try Data(contentsOf: link) == Data(contentsOf: fixture.appendingPathComponent(file)), "\(file)")
            #expect(fm.fileExists(atPath: repoFolder.appendingPathComponent("blobs/\(etag)").path))
        }
        #expect(hub.etag(Self.repo, "model-00001-of-00004.safetensors").count == 64)
        let blobs = try fm.contentsOfDirectory(atPath: repoFolder.appendingPathComponent("blobs").path)
        #expect(!blobs.contains { $0.hasSuffix(".incomplete") })
        // Files the hub does not have are remembered, as huggingface_hub does.
        #expect(fm.fileExists(atPath: repoFolder.appendingPathComponent(".no_exist/\(commit)/model.safetensors").path))
        #expect(fm.fileExists(atPath: repoFolder.appendingPathComponent(".no_exist/\(commit)/vocab.json").path))
        // Weights came from the CDN location of the 302, not from the resolve URL.
        let gets = hub.requests().filter { $0["method"] as? String == "GET" }.compactMap { $0["path"] as? String }
        #expect(gets.filter { $0.hasPrefix("/cdn/") }.count == 4)
        #expect(!gets.contains { $0.hasSuffix(".safetensors") })
    }

    @Test func secondResolveUsesTheCacheWithoutNetwork() throws {
        let hub = try FakeHub(repos: [Self.repo: Fixtures.url("models/clip-tiny-new")])
        let cache = try makeTemporaryDirectory("hf-cache")
        let first = try Self.store(hub, cache: cache).resolve(Self.repo)
        let served = hub.requests().count
        #expect(served > 0)

        let second = try Self.store(hub, cache: cache).resolve(Self.repo)
        #expect(second.source == .cache)
        #expect(second.folder == first.folder)
        #expect(hub.requests().count == served, "a complete cached snapshot must not touch the network")

        hub.stop()
        let offline = try Self.store(nil, cache: cache, offline: true).resolve(Self.repo)
        #expect(offline.folder == first.folder)
        let pinned = try Self.store(nil, cache: cache).resolve("\(Self.repo)@\(first.commit!)")
        #expect(pinned.folder == first.folder && pinned.source == .cache)
    }

    @Test func resumesAPartialDownloadWithRange() throws {
        let fixture = Fixtures.url("models/clip-tiny-new")
        let hub = try FakeHub(repos: [Self.repo: fixture])
        let cache = try makeTemporaryDirectory("hf-cache")
        let weights = try Data(contentsOf: fixture.appendingPathComponent("model.safetensors"))
        let etag = hub.etag(Self.repo, "model.safetensors")
        let blobs = cache.appendingPathComponent("models--test-org--clip-tiny/blobs")
        try FileManager.default.createDirectory(at: blobs, withIntermediateDirectories: true)
        let kept = 300_000
        try weights.prefix(kept).write(to: blobs.appendingPathComponent("\(etag).incomplete"))

        let model = try Self.store(hub, cache: cache).resolve(Self.repo)
        #expect(try Data(contentsOf: model.folder.appendingPathComponent("model.safetensors")) == weights)
        #expect(!FileManager.default.fileExists(atPath: blobs.appendingPathComponent("\(etag).incomplete").path))
        let fetches = hub.requests().filter { ($0["path"] as? String) == "/cdn/\(etag)" && $0["method"] as? String == "GET" }
        #expect(fetches.count == 1)
        #expect(fetches.first?["range"] as? String == "bytes=\(kept)-")
        #expect(fetches.first?["status"] as? Int == 206)
        #expect(fetches.first?["bytes"] as? Int == weights.count - kept)
    }

    @Test func anInterruptedDownloadFailsClearlyAndResumesNextTime() throws {
        let fixture = Fixtures.url("models/clip-tiny-new")
        let hub = try FakeHub(repos: [Self.repo: fixture], cutAfter: 200_000)
        let cache = try makeTemporaryDirectory("hf-cache")
        let etag = hub.etag(Self.repo, "model.safetensors")
        let partial = cache.appendingPathComponent("models--test-org--clip-tiny/blobs/\(etag).incomplete")
        var failure: HubError?
        do { _ = try Self.store(hub, cache: cache).resolve(Self.repo) } catch let error as HubError { failure = error }
        #expect(failure?.kind == .network || failure?.kind == .badResponse, "\(String(describing: failure))")
        #expect(failure?.message.contains("model.safetensors") == true || failure?.message.contains(etag) == true)
        let kept = (try? FileManager.default.attributesOfItem(atPath: partial.path)[.size] as? Int) ?? -1
        #expect(kept == 200_000, "the bytes received are kept for the next attempt")

        let model = try Self.store(hub, cache: cache).resolve(Self.repo)
        #expect(try Data(contentsOf: model.folder.appendingPathComponent("model.safetensors"))
                == Data(contentsOf: fixture.appendingPathComponent("model.safetensors")))
        let resumed = hub.requests().last { ($0["path"] as? String) == "/cdn/\(etag)" }
        #expect(resumed?["range"] as? String == "bytes=200000-")
    }

    @Test func aPartialFileLongerThanTheBlobStartsOver() throws {
        let fixture = Fixtures.url("models/clip-tiny-new")
        let hub = try FakeHub(repos: [Self.repo: fixture])
        let cache = try makeTemporaryDirectory("hf-cache")
        let etag = hub.etag(Self.repo, "model.safetensors")
        let blobs = cache.appendingPathComponent("models--test-org--clip-tiny/blobs")
        try FileManager.default.createDirectory(at: blobs, withIntermediateDirectories: true)
        try Data(repeating: 7, count: 2_000_000).write(to: blobs.appendingPathComponent("\(etag).incomplete"))

        let model = try Self.store(hub, cache: cache).resolve(Self.repo)
        let weights = try Data(contentsOf: fixture.appendingPathComponent("model.safetensors"))
        #expect(try Data(contentsOf: model.folder.appendingPathComponent("model.safetensors")) == weights)
    }

    @Test func tokenGoesToTheHubButNotToTheCDN() throws {
        let hub = try FakeHub(repos: [Self.repo: Fixtures.url("models/clip-tiny-new")], token: "hf_test_token")
        let cache = try makeTemporaryDirectory("hf-cache")
        _ = try Self.store(hub, cache: cache, token: "hf_test_token").resolve(Self.repo)
        let requests = hub.requests()
        let resolves = requests.filter { ($0["path"] as? String)?.hasPrefix("/test-org/") == true }
        let cdn = requests.filter { ($0["path"] as? String)?.hasPrefix("/cdn/") == true }
        #expect(!resolves.isEmpty && !cdn.isEmpty)
        #expect(resolves.allSatisfy { $0["authorization"] as? String == "Bearer hf_test_token" })
        #expect(cdn.allSatisfy { $0["authorization"] == nil || $0["authorization"] is NSNull })
    }

    @Test func pullFindsANewCommitAndReusesUnchangedBlobs() throws {
        let cache = try makeTemporaryDirectory("hf-cache")
        let old = try FakeHub(repos: [Self.repo: Fixtures.url("models/clip-tiny-new")])
        let first = try Self.store(old, cache: cache).resolve(Self.repo)
        old.stop()
        // The "same repository" after a push: fp16 weights, same tokenizer and processor files.
        let new = try FakeHub(repos: [Self.repo: Fixtures.url("models/clip-tiny-fp16")])
        let pulled = try Self.store(new, cache: cache).pull(HubModelID(repo: Self.repo))
        #expect(pulled.commit == new.commit(Self.repo) && pulled.commit != first.commit)
        let ref = try String(contentsOf: cache.appendingPathComponent("models--test-org--clip-tiny/refs/main"), encoding: .utf8)
        #expect(ref == new.commit(Self.repo))
        let gets = new.requests().filter { $0["method"] as? String == "GET" }.compactMap { $0["path"] as? String }
        #expect(!gets.contains { $0.hasSuffix("tokenizer.json") }, "an unchanged blob is linked, not downloaded again")
        #expect(gets.contains { $0.hasPrefix("/cdn/") })
        #expect(Self.store(nil, cache: cache).cachedModels().first?.snapshots.count == 2)
    }
}
