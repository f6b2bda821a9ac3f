import Foundation
import Testing
import TestSupport

/// `vlmnode segment` on the tiny CLIPSeg folder against transformers' logits.
@Suite struct SegmentCommandTests {
    static let model = Fixtures.url("models/clipseg-tiny").path
    static let image = Fixtures.url("images/clipseg-64x64.png").path

    @Test func jsonReproducesTransformersLogits() throws {
        let data = try Data(contentsOf: Fixtures.url("reference/clipseg-tiny.json"))
        let reference = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let prompts = try #require((reference["inputs"] as? [String: Any])?["prompts"] as? [String])
        let expected = try #require(((reference["outputs"] as? [String: Any])?["logits"] as? [String: Any])?["data"] as? [Double])

        let result = try VLMNodeBinary.run(["segment", Self.image] + prompts + ["--model", Self.model, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["prompts"] as? [String] == prompts)
        #expect(object["size"] as? [Int] == [64, 64])
        let logits = try #require(object["logits"] as? [[[Double]]])
        #expect(logits.count == 2 && logits.allSatisfy { $0.count == 64 && $0.allSatisfy { $0.count == 64 } })
        let flat = logits.flatMap { $0.flatMap { $0 } }
        #expect(flat.count == expected.count)
        #expect(zip(flat, expected).map { abs($0 - $1) }.max() ?? .infinity < 1e-3)
    }

    @Test func outWritesOneMaskPerPrompt() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("mask.png").path
        let one = try VLMNodeBinary.run(["segment", Self.image, "a red disc", "--model", Self.model, "--out", out])
        #expect(one.status == 0, "\(one.stderr)")
        #expect(FileManager.default.fileExists(atPath: out))
        let two = try VLMNodeBinary.run(["segment", Self.image, "a red disc", "a blue bar", "--model", Self.model, "--out", out])
        #expect(two.status == 0, "\(two.stderr)")
        for name in ["mask-1.png", "mask-2.png"] {
            #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(name).path))
        }
        #expect(one.stdout.contains("\"a red disc\""))
    }

    @Test func badInputIsOneLineOnStderr() throws {
        let missing = try VLMNodeBinary.run(["segment", "/nonexistent.png", "cup", "--model", Self.model])
        #expect(missing.status != 0 && missing.stderr.contains("/nonexistent.png"))
        let noPrompt = try VLMNodeBinary.run(["segment", Self.image, "--model", Self.model])
        #expect(noPrompt.status != 0 && noPrompt.stderr.contains("prompt"))
        let badModel = try VLMNodeBinary.run(["segment", Self.image, "cup", "--model", Fixtures.url("images").path])
        #expect(badModel.status != 0 && !badModel.stderr.isEmpty)
    }
}
