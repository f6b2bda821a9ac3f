import Foundation
import Testing
import TestSupport
@testable import VLMCore

/// Short model names: expanded by `ModelStore.hubID`, so `resolve` (every command) accepts them.
@Suite struct ModelAliasTests {
    @Test func expansion() throws {
        #expect(ModelAliases.expand("owlvit") == "google/owlvit-base-patch32")
        #expect(ModelAliases.expand("clip@refs/pr/1") == "openai/clip-vit-base-patch32@refs/pr/1")
        #expect(ModelAliases.expand("clipseg") == "CIDAS/clipseg-rd64-refined")
        #expect(ModelAliases.expand("xclip") == "microsoft/xclip-base-patch32")
        #expect(ModelAliases.expand("owl") == nil && ModelAliases.expand("google/owlvit-base-patch32") == nil)
        #expect(try ModelStore.hubID("xclip@v2") == HubModelID(repo: "microsoft/xclip-base-patch32", revision: "v2"))
        #expect(ModelAliases.shortName(of: "CIDAS/clipseg-rd64-refined") == "clipseg")
        do {
            _ = try ModelStore.hubID("Clip")
            Issue.record("short names are case-sensitive, like hub ids")
        } catch let error as HubError {
            #expect(error.kind == .invalidModelID && error.message.contains("short name (clip, owlvit, xclip, clipseg, vilt)"))
        }
    }

    @Test func resolveDownloadsAndFindsByShortName() throws {
        let hub = try FakeHub(repos: ["openai/clip-vit-base-patch32": Fixtures.url("models/clip-tiny-new")])
        let cache = try makeTemporaryDirectory("hf-cache")
        let first = try ModelStoreDownloadTests.store(hub, cache: cache).resolve("clip")
        #expect(first.source == .download && first.id?.repo == "openai/clip-vit-base-patch32")
        let offline = try ModelStoreDownloadTests.store(nil, cache: cache, offline: true).resolve("clip")
        #expect(offline.source == .cache && offline.folder == first.folder)
        // The full id finds the same snapshot.
        #expect(try ModelStoreDownloadTests.store(nil, cache: cache, offline: true).resolve("openai/clip-vit-base-patch32").folder == first.folder)
    }
}
