import Foundation
import Testing
import TestSupport
@testable import VLMCore

/// Truncation, padding, pad tokens and errors, on the full vocabulary.
struct TokenizerBehaviourTests {
    static let clip = try! CLIPTokenizer(folder: TokenizerParityTests.folder(case: "clip", files: ["vocab.json", "merges.txt"]))
    static let owl = try! CLIPTokenizer(folder: TokenizerParityTests.folder(case: "owlvit", files: ["tokenizer.json"]))

    @Test func specialTokensAndMaxLengthComeFromTheFiles() {
        #expect(Self.clip.bosTokenId == 49406 && Self.clip.eosTokenId == 49407)
        #expect(Self.clip.padTokenId == 49407 && Self.clip.modelMaxLength == 77)
        #expect(Self.owl.padTokenId == 0 && Self.owl.modelMaxLength == 16)
    }

    @Test func truncationKeepsEosLast() {
        let text = Array(repeating: "word", count: 200).joined(separator: " ")
        let row = Self.clip([text]).inputIds[0]
        #expect(row.count == 77 && row.first == 49406 && row.last == 49407)
        let owlRow = Self.owl([text]).inputIds[0]
        #expect(owlRow.count == 16 && owlRow.last == 49407 && !owlRow.dropLast().contains(0))
        let untruncated = Self.clip([text], padding: .none, truncation: false).inputIds[0]
        #expect(untruncated.count == 202)
    }

    @Test func paddingUsesThePadTokenAndMask() {
        let batch = Self.owl(["a photo of a cat", "dog"], padding: .maxLength)
        #expect(batch.inputIds[1].count == 16)
        #expect(batch.inputIds[1][3...].allSatisfy { $0 == 0 })
        #expect(batch.attentionMask[1] == [1, 1, 1] + [Int32](repeating: 0, count: 13))
        let longest = Self.clip(["a photo of a cat", "dog"], padding: .longest)
        #expect(longest.inputIds.map(\.count) == [7, 7])
        #expect(longest.inputIds[1][3...].allSatisfy { $0 == 49407 })
        #expect(Self.clip([""]).attentionMask[0].reduce(0, +) == 2)
    }

    @Test func exclamationMarkIsThePadTokenForOWLViT() {
        // transformers adds the pad token "!" as a special token, so it is split out as id 0.
        #expect(Self.owl.encode("hello!") == [49406, 3306, 0, 49407])
        #expect(Self.clip.encode("hello!") == [49406, 3306, 256, 49407])
    }

    @Test func missingVocabularyNamesFolderAndFiles() throws {
        let dir = try makeTemporaryDirectory("tokenizer-empty")
        #expect(throws: TokenizerError.missingFiles(folder: dir.path, lookedFor: ["tokenizer.json", "vocab.json + merges.txt"])) {
            try CLIPTokenizer(folder: dir)
        }
        let message = "\(TokenizerError.missingFiles(folder: dir.path, lookedFor: ["tokenizer.json", "vocab.json + merges.txt"]))"
        #expect(message.contains(dir.path) && message.contains("merges.txt"))
    }

    @Test func brokenFilesAreReportedNotCrashed() throws {
        let dir = try makeTemporaryDirectory("tokenizer-bad")
        try "{\"a\": 1}".write(to: dir.appendingPathComponent("vocab.json"), atomically: true, encoding: .utf8)
        try "#version: 0.2\na b c\n".write(to: dir.appendingPathComponent("merges.txt"), atomically: true, encoding: .utf8)
        #expect(throws: TokenizerError.self) { try CLIPTokenizer(folder: dir) }
        try "not json".write(to: dir.appendingPathComponent("tokenizer.json"), atomically: true, encoding: .utf8)
        do {
            _ = try CLIPTokenizer(folder: dir)
            Issue.record("expected an error")
        } catch let error as TokenizerError {
            #expect("\(error)".contains("tokenizer.json"))
        }
    }

    @Test func unicodeClassesAgreeWithSwiftOnCommonScripts() {
        // Sanity of the generated tables (their source is `tokenizers`): spot checks.
        #expect(CLIPTextSplitter.kind(0x65E5) == 1)  // 日
        #expect(CLIPTextSplitter.kind(0x0663) == 2)  // Arabic-Indic 3
        #expect(CLIPTextSplitter.kind(0x3000) == 3)  // ideographic space
        #expect(CLIPTextSplitter.kind(0x1F600) == 0) // emoji
        #expect(CLIPTextSplitter.kind(0x0301) == 0)  // combining acute
    }
}
