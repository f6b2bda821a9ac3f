import Foundation
import Testing
import TestSupport
@testable import VLMCore

/// Parity with transformers 5's CLIPTokenizer on the full CLIP vocabulary; the reference ids come
/// from Scripts/fixtures/make_tokenizer_fixtures.py.
struct TokenizerParityTests {
    /// The reference file, parsed once for every test.
    struct Reference: @unchecked Sendable {
        let strings: [String]
        let cases: [String: [String: Any]]

        static let shared: Reference = {
            let url = Fixtures.url("tokenizer/reference.json")
            let root = try! JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
            return Reference(strings: root["strings"] as! [String], cases: root["cases"] as! [String: [String: Any]])
        }()

        func rows(_ caseName: String, _ path: String, _ length: String, _ key: String) -> [[Int32]] {
            let byLength = cases[caseName]![path] as! [String: [String: Any]]
            return (byLength[length]![key] as! [[NSNumber]]).map { $0.map(\.int32Value) }
        }
    }

    /// A model folder as users have it: the shared vocabulary files plus one case's config files.
    static func folder(case name: String, files: [String]) throws -> URL {
        let dir = try makeTemporaryDirectory("tokenizer-\(name)")
        let fm = FileManager.default
        for file in files {
            try fm.createSymbolicLink(at: dir.appendingPathComponent(file),
                                      withDestinationURL: Fixtures.url("tokenizer/clip/\(file)"))
        }
        let configs = Fixtures.url("tokenizer/configs/\(name)")
        for file in try fm.contentsOfDirectory(atPath: configs.path) {
            try fm.copyItem(at: configs.appendingPathComponent(file), to: dir.appendingPathComponent(file))
        }
        return dir
    }

    static let layouts: [(path: String, files: [String])] = [
        ("bpe", ["vocab.json", "merges.txt"]), ("json", ["tokenizer.json"]),
    ]

    @Test(arguments: ["clip", "owlvit", "plain"])
    func paddedIdsMatchTransformersOnEveryString(caseName: String) throws {
        let ref = Reference.shared
        for layout in Self.layouts {
            let tokenizer = try CLIPTokenizer(folder: Self.folder(case: caseName, files: layout.files))
            for length in ["77", "16"] {
                let got = tokenizer(ref.strings, padding: .maxLength, truncation: true, maxLength: Int(length)!)
                let ids = ref.rows(caseName, layout.path, length, "input_ids")
                let mask = ref.rows(caseName, layout.path, length, "attention_mask")
                var mismatches = 0
                for i in ref.strings.indices where got.inputIds[i] != ids[i] || got.attentionMask[i] != mask[i] {
                    mismatches += 1
                    if mismatches <= 5 {
                        Issue.record("\(caseName)/\(layout.path)/\(length) \(ref.strings[i].debugDescription): got \(got.inputIds[i]) want \(ids[i])")
                    }
                }
                #expect(mismatches == 0, "\(mismatches) of \(ref.strings.count) strings differ")
                #expect(got.inputIds.allSatisfy { $0.count == Int(length)! })
            }
        }
    }

    @Test(arguments: ["clip", "owlvit", "plain"])
    func unpaddedAndLongestMatchTransformers(caseName: String) throws {
        let ref = Reference.shared
        let tokenizer = try CLIPTokenizer(folder: Self.folder(case: caseName, files: ["vocab.json", "merges.txt"]))
        let unpadded = (ref.cases[caseName]!["unpadded"] as! [[NSNumber]]).map { $0.map(\.int32Value) }
        for (i, text) in ref.strings.enumerated() {
            #expect(tokenizer.encode(text) == unpadded[i], "\(text.debugDescription)")
        }
        let longest = ref.cases[caseName]!["longest_batch"] as! [String: Any]
        let count = (longest["count"] as! NSNumber).intValue
        let batch = tokenizer(Array(ref.strings.prefix(count)), padding: .longest, truncation: false)
        #expect(batch.inputIds == (longest["input_ids"] as! [[NSNumber]]).map { $0.map(\.int32Value) })
        #expect(batch.attentionMask == (longest["attention_mask"] as! [[NSNumber]]).map { $0.map(\.int32Value) })
    }

    @Test func legacyStringMergesInTokenizerJSON() throws {
        let ref = Reference.shared
        let tokenizer = try CLIPTokenizer(folder: Fixtures.url("tokenizer/tiny"))
        let got = tokenizer(ref.strings, padding: .maxLength, maxLength: 77)
        #expect(got.inputIds == ref.rows("tiny", "json", "77", "input_ids"))
        #expect(got.attentionMask == ref.rows("tiny", "json", "77", "attention_mask"))
    }
}
