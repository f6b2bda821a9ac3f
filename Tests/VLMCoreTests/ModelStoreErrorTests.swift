import Foundation
import Testing
import TestSupport
@testable import VLMCore

/// ModelStore's refusals: offline, missing files, bad ids, access denied; and the settings it reads.
@Suite struct ModelStoreErrorTests {
    static let repo = "test-org/clip-tiny"
    static func store(_ hub: FakeHub?, cache: URL, token: String? = nil, offline: Bool = false) -> ModelStore {
        ModelStoreDownloadTests.store(hub, cache: cache, token: token, offline: offline)
    }

    static func hubError(_ body: () throws -> Any) -> HubError? {
        do { _ = try body() } catch let error as HubError { return error } catch { return nil }
        return nil
    }

    /// A copy of a fixture folder with some files removed (and maybe some edited).
    static func copy(_ fixture: String, removing: [String]) throws -> URL {
        let dir = try makeTemporaryDirectory("fixture-copy").appendingPathComponent("repo")
        try FileManager.default.copyItem(at: Fixtures.url("models/\(fixture)"), to: dir)
        for file in removing { try FileManager.default.removeItem(at: dir.appendingPathComponent(file)) }
        return dir
    }

    @Test func offlineNamesTheModelAndTheCachePath() throws {
        let cache = try makeTemporaryDirectory("hf-cache")
        let error = Self.hubError { try Self.store(nil, cache: cache, offline: true).resolve(Self.repo) }
        #expect(error?.kind == .offline)
        #expect(error?.message.contains(Self.repo) == true)
        #expect(error?.message.contains(cache.appendingPathComponent("models--test-org--clip-tiny").path) == true)
        #expect(error?.message.contains("HF_HUB_OFFLINE") == true)
        #expect(Self.hubError { try Self.store(nil, cache: cache, offline: true).pull(HubModelID(repo: Self.repo)) }?.kind == .offline)
    }

    @Test func missingConfigIsAClearError() throws {
        let hub = try FakeHub(repos: [Self.repo: try Self.copy("clip-tiny-new", removing: ["config.json"])])
        let error = Self.hubError { try Self.store(hub, cache: try makeTemporaryDirectory("hf-cache")).resolve(Self.repo) }
        #expect(error?.kind == .notFound)
        #expect(error?.message.contains("config.json") == true)
        #expect(error?.message.contains("404") == true)
        #expect(error?.message.contains("\(hub.endpoint.absoluteString)/\(Self.repo)/resolve/main/config.json") == true)
    }

    @Test func missingShardNamesTheShard() throws {
        let folder = try Self.copy("clip-tiny-sharded", removing: ["model-00003-of-00004.safetensors"])
        let hub = try FakeHub(repos: [Self.repo: folder])
        let error = Self.hubError { try Self.store(hub, cache: try makeTemporaryDirectory("hf-cache")).resolve(Self.repo) }
        #expect(error?.kind == .notFound)
        #expect(error?.message.contains("model-00003-of-00004.safetensors") == true)
    }

    @Test func noWeightsAndNoTokenizerAreRefused() throws {
        let noWeights = try FakeHub(repos: [Self.repo: try Self.copy("clip-tiny-new", removing: ["model.safetensors"])])
        let weightsError = Self.hubError { try Self.store(noWeights, cache: try makeTemporaryDirectory("hf-cache")).resolve(Self.repo) }
        #expect(weightsError?.kind == .notFound)
        #expect(weightsError?.message.contains("no weights") == true)

        let noTokenizer = try FakeHub(repos: [Self.repo: try Self.copy("clip-tiny-new", removing: ["tokenizer.json"])])
        let tokenizerError = Self.hubError { try Self.store(noTokenizer, cache: try makeTemporaryDirectory("hf-cache")).resolve(Self.repo) }
        #expect(tokenizerError?.kind == .incompleteModel)
        #expect(tokenizerError?.message.contains("tokenizer") == true)
    }

    @Test func unknownRepositoryRevisionAndGatedAccess() throws {
        let hub = try FakeHub(repos: [Self.repo: Fixtures.url("models/clip-tiny-new")])
        let cache = try makeTemporaryDirectory("hf-cache")
        let unknown = Self.hubError { try Self.store(hub, cache: cache).resolve("nobody/nothing") }
        #expect(unknown?.kind == .unauthorized)  // the hub answers 401 for repositories it will not show
        #expect(unknown?.message.contains("nobody/nothing") == true)
        let revision = Self.hubError { try Self.store(hub, cache: cache).resolve("\(Self.repo)@v9") }
        #expect(revision?.kind == .notFound)
        #expect(revision?.message.contains("revision v9") == true)

        let gated = try FakeHub(repos: [Self.repo: Fixtures.url("models/clip-tiny-new")], token: "right")
        let denied = Self.hubError { try Self.store(gated, cache: cache).resolve(Self.repo) }
        #expect(denied?.kind == .unauthorized)
        #expect(denied?.message.contains("HF_TOKEN") == true)
        let wrong = Self.hubError { try Self.store(gated, cache: cache, token: "wrong").resolve(Self.repo) }
        #expect(wrong?.message.contains("HF_TOKEN was sent and refused") == true)
    }

    @Test func noServerIsANetworkError() throws {
        let cache = try makeTemporaryDirectory("hf-cache")
        let settings = HubSettings(cacheDirectory: cache, endpoint: URL(string: "http://127.0.0.1:1")!)
        let store = ModelStore(settings: settings, progress: nil)
        store.notice = nil
        let error = Self.hubError { try store.resolve(Self.repo) }
        #expect(error?.kind == .network)
        #expect(error?.message.contains("127.0.0.1:1") == true)
    }

    @Test func localFoldersAndInvalidIDs() throws {
        let cache = try makeTemporaryDirectory("hf-cache")
        let store = Self.store(nil, cache: cache)
        let local = try store.resolve(Fixtures.url("models/clip-tiny-old").path)
        #expect(local.source == .localFolder && local.id == nil)
        #expect(Self.hubError { try store.resolve("not a model") }?.kind == .invalidModelID)
        #expect(Self.hubError { try store.resolve(Fixtures.url("models/clip-tiny-new/config.json").path) }?.kind == .invalidModelID)
        let empty = try makeTemporaryDirectory("empty-model")
        let incomplete = Self.hubError { try store.resolve(empty.path) }
        #expect(incomplete?.kind == .incompleteModel && incomplete?.message.contains("config.json") == true)
        // A local folder needs config + weights only (benchmark folders have no tokenizer).
        let bare = try Self.copy("clip-tiny-new", removing: ["tokenizer.json", "tokenizer_config.json", "processor_config.json"])
        #expect(try store.resolve(bare.path).source == .localFolder)
        try FileManager.default.removeItem(at: bare.appendingPathComponent("model.safetensors"))
        #expect(Self.hubError { try store.resolve(bare.path) }?.message.contains("no weights") == true)
    }

    @Test func hubIDParsing() {
        let id = HubModelID(parsing: "google/owlvit-base-patch32@refs/pr/1")
        #expect(id?.repo == "google/owlvit-base-patch32" && id?.revision == "refs/pr/1")
        #expect(HubModelID(parsing: "openai/clip-vit-base-patch32")?.revision == "main")
        #expect(HubModelID(parsing: "openai/clip-vit-base-patch32")?.cacheFolderName == "models--openai--clip-vit-base-patch32")
        for bad in ["clip", "a/b/c", "a--b/c", "a/.b", "../x", "a/b@", "a/b@x y", "/abs/path", "a/b@../../x"] {
            #expect(HubModelID(parsing: bad) == nil, "\(bad)")
        }
        let url = HubDownloader(settings: HubSettings(cacheDirectory: URL(fileURLWithPath: "/tmp"),
                                                      endpoint: URL(string: "https://hub.example")!),
                                cache: HubCache(root: URL(fileURLWithPath: "/tmp")), progress: nil)
            .resolveURL(id!, revision: "refs/pr/1", file: "sub dir/config.json")
        #expect(url.absoluteString == "https://hub.example/google/owlvit-base-patch32/resolve/refs%2Fpr%2F1/sub%20dir/config.json")
    }

    @Test func settingsFollowHuggingFaceHubEnvironment() {
        let base = ["HOME": "/home/u"]
        #expect(HubSettings(environment: base).cacheDirectory.path == "/home/u/.cache/huggingface/hub")
        #expect(HubSettings(environment: base.merging(["XDG_CACHE_HOME": "/x"]) { $1 }).cacheDirectory.path == "/x/huggingface/hub")
        #expect(HubSettings(environment: base.merging(["HF_HOME": "~/hf", "XDG_CACHE_HOME": "/x"]) { $1 }).cacheDirectory.path == "/home/u/hf/hub")
        #expect(HubSettings(environment: base.merging(["HF_HUB_CACHE": "/c", "HF_HOME": "/h"]) { $1 }).cacheDirectory.path == "/c")
        #expect(HubSettings(environment: base).endpoint.absoluteString == "https://huggingface.co")
        #expect(HubSettings(environment: ["HF_ENDPOINT": "http://127.0.0.1:8080/"]).endpoint.absoluteString == "http://127.0.0.1:8080")
        #expect(HubSettings(environment: ["HF_HUB_OFFLINE": "1"]).offline)
        #expect(HubSettings(environment: ["HF_HUB_OFFLINE": "TRUE"]).offline)
        #expect(!HubSettings(environment: ["HF_HUB_OFFLINE": "0"]).offline)
        #expect(HubSettings(environment: ["HF_TOKEN": "hf_x"]).token == "hf_x")
        #expect(HubSettings(environment: ["HF_TOKEN": ""]).token == nil)
    }

    @Test func unsafeShardNamesAreRefused() throws {
        let dir = try makeTemporaryDirectory("index")
        let index = dir.appendingPathComponent("model.safetensors.index.json")
        try Data(#"{"weight_map": {"a": "../../../etc/passwd"}}"#.utf8).write(to: index)
        #expect(throws: HubError.self) { try ModelFiles.shards(inIndex: index) }
        #expect(HubDownloader.normalize(etag: "W/\"abc123\"") == "abc123")
        #expect(HubDownloader.normalize(etag: "\"../x\"") == nil)
    }
}
