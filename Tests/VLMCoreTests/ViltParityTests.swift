import Foundation
import Testing
import TestSupport
@testable import VLMCore

/// ViLT VQA, BertTokenizer and ViltImageProcessor on Tests/Fixtures/models/vilt-tiny-{bin,safetensors}
/// against transformers (Tests/Fixtures/reference/vilt-tiny.json, from Scripts/fixtures/fixtures_vilt.py).
@Suite struct ViltParityTests {
    static let reference: [String: Any] = {
        guard let data = try? Data(contentsOf: Fixtures.url("reference/vilt-tiny.json")),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        return json
    }()
    static let layouts = ["vilt-tiny-bin", "vilt-tiny-safetensors"]
    static var questions: [String] { reference["questions"] as? [String] ?? [] }
    static func section(_ layout: String) -> [String: Any] { reference[layout] as? [String: Any] ?? [:] }
    static func folder(_ layout: String) -> URL { Fixtures.url("models/\(layout)") }

    /// A fixture image from its raw rgb24 twin (`images/vilt-WxH.png` -> `.rgb`).
    static func image(_ relative: String) throws -> RGBImage {
        let name = (relative as NSString).deletingPathExtension
        let size = name.split(separator: "-").last!.split(separator: "x").map { Int($0)! }
        let bytes = try Data(contentsOf: Fixtures.url(name + ".rgb"))
        return RGBImage(width: size[0], height: size[1], pixels: [UInt8](bytes))
    }

    @Test(arguments: layouts) func tokenIdsMatchExactly(layout: String) throws {
        let tokenizer = try BertTokenizer(folder: Self.folder(layout))
        let expected = try #require(Self.section(layout)["tokens"] as? [[Int]])
        #expect(expected.count == Self.questions.count && tokenizer.modelMaxLength == 40)
        for (question, ids) in zip(Self.questions, expected) {
            #expect(tokenizer.encode(question).map(Int.init) == ids, "\(question.debugDescription)")
        }
    }

    @Test func casedTokenizerFromConfig() throws {
        // The same vocab.txt with do_lower_case false (hence no accent stripping either).
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vilt-cased-\(getpid())")
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.copyItem(at: Self.folder("vilt-tiny-bin").appendingPathComponent("vocab.txt"),
                                         to: dir.appendingPathComponent("vocab.txt"))
        try Data(#"{"do_lower_case": false, "model_max_length": 40}"#.utf8).write(to: dir.appendingPathComponent("tokenizer_config.json"))
        let tokenizer = try BertTokenizer(folder: dir)
        let expected = try #require(Self.reference["cased_tokens"] as? [[Int]])
        for (question, ids) in zip(Self.questions, expected) {
            #expect(tokenizer.encode(question).map(Int.init) == ids, "\(question.debugDescription)")
        }
    }

    @Test func hostileQuestionsAreCutEarly() throws {
        let tokenizer = try BertTokenizer(folder: Self.folder("vilt-tiny-bin"))
        // 4 MB of words and 1 MB of punctuation: truncated to 40 ids without reading it all.
        let huge = String(repeating: "what is the door ", count: 250_000)
        let start = Date()
        #expect(tokenizer.encode(huge).count == 40)
        #expect(tokenizer.encode(String(repeating: "!", count: 1 << 20)).count == 40)
        // A run of 1 M letters: transformers gives one [UNK]; read in 64 Ki pieces here (the documented
        // inexactness), still [UNK]s only and at most 40 ids.
        let run = tokenizer.encode(String(repeating: "a", count: 1 << 20))
        #expect(run.count <= 40 && run.dropFirst().dropLast().allSatisfy { $0 == tokenizer.unkTokenId })
        #expect(tokenizer.encode(String(repeating: "a", count: 60_000)) == [tokenizer.clsTokenId, tokenizer.unkTokenId, tokenizer.sepTokenId])
        #expect(Date().timeIntervalSince(start) < 20, "gross bound only: the machine is shared")
        // Without a length limit every token comes back.
        #expect(tokenizer.tokenize("is the door open", limit: nil).count == 4)
    }

    @Test(arguments: layouts) func pixelValuesAndMaskMatch(layout: String) throws {
        let processor = try ViltImageProcessor(folder: Self.folder(layout))
        let groups = try #require(Self.section(layout)["pixels"] as? [[String: Any]])
        #expect(!groups.isEmpty)
        for group in groups {
            let names = try #require(group["images"] as? [String])
            let batch = try processor(try names.map(Self.image))
            let shape = try #require(group["shape"] as? [Int])
            #expect(batch.pixels.shape == shape, "\(names)")
            guard batch.pixels.shape == shape else { continue }
            // Every value bit-equal to the one its uint8 level gives (-1: padding, value 0).
            let levels = try #require(group["levels"] as? [Int])
            let expected = levels.map { $0 < 0 ? Float(0) : (Float(Double($0) * (1.0 / 255.0)) - 0.5) / 0.5 }
            let mismatches = zip(batch.pixels.values, expected).filter { $0 != $1 }.count
            #expect(mismatches == 0, "\(names): \(mismatches) pixel values differ")
            let head = try TinyCLIPReference.tensor(group["pixel_values_head"]).values
            #expect(maxAbsDiff(Array(batch.pixels.values.prefix(head.count)), head) < 1e-6)
            let masks = try #require(group["pixel_mask"] as? [[[Int]]])
            #expect(batch.masks.map { $0.map(Int.init) } == masks.map { $0.flatMap { $0 } }, "\(names)")
        }
    }

    @Test(arguments: layouts) func logitsAndScoresMatch(layout: String) throws {
        let folder = Self.folder(layout)
        let model = try ViltForQuestionAnswering(folder: folder)
        let tokenizer = try BertTokenizer(folder: folder)
        let processor = try ViltImageProcessor(folder: folder)
        let ref = try #require(Self.section(layout)["model"] as? [String: Any])
        let names = try #require(ref["images"] as? [String]), questions = try #require(ref["questions"] as? [String])
        let ids = try #require(ref["input_ids"] as? [[Int]]), attention = try #require(ref["attention_mask"] as? [[Int]])
        let logits = try TinyCLIPReference.tensor(ref["logits"]), scores = try TinyCLIPReference.tensor(ref["scores"])
        #expect(model.labels == Self.reference["labels"] as? [String])
        let labels = model.labels.count
        // The reference ran one padded batch: pixels padded to the largest image, text to the longest question.
        let batch = try processor(try names.map(Self.image))
        #expect(batch.pixels.shape == [names.count, 3] + Array((ref["pixel_mask_shape"] as? [Int] ?? []).dropFirst()))
        for i in names.indices {
            let unpadded = zip(ids[i], attention[i]).filter { $0.1 == 1 }.map(\.0)
            #expect(tokenizer.encode(questions[i]).map(Int.init) == unpadded)
            let (pixels, mask) = batch.item(i)
            let answer = try #require(try model([unpadded], pixels: pixels, pixelMask: mask).first)
            let expectedLogits = Array(logits.values[(i * labels) ..< ((i + 1) * labels)])
            let expectedScores = Array(scores.values[(i * labels) ..< ((i + 1) * labels)])
            #expect(maxAbsDiff(answer.logits, expectedLogits) < 1e-3, "\(names[i]): \(answer.logits) vs \(expectedLogits)")
            #expect(maxAbsDiff(answer.scores, expectedScores) < 1e-4)
            // The image alone (no batch padding) gives the same answers: the mask only hides padding.
            let alone = try processor([try Self.image(names[i])])
            let single = try #require(try model([unpadded], pixels: alone.pixels, pixelMask: nil).first)
            #expect(maxAbsDiff(single.logits, expectedLogits) < 1e-3)
        }
        // Several questions about one image in one batch (text padded, masked) agree with one at a time.
        let image = try model.imageTokens(batch.item(0).pixels, pixelMask: batch.item(0).mask)
        let unpadded = zip(ids, attention).map { zip($0, $1).filter { $0.1 == 1 }.map(\.0) }
        let together = try model.answer(unpadded, image: image)
        let first = try model.answer([unpadded[0]], image: image)[0]
        #expect(maxAbsDiff(together[0].logits, first.logits) < 1e-4)
        #expect(together.count == unpadded.count)
    }

    @Test func configurationValidatedAndOtherArchitecturesRefused() throws {
        let d = ViltConfiguration()
        #expect(d.hiddenSize == 768 && d.layerNormEps == 1e-12 && d.maxPositionEmbeddings == 40 && d.imageSize == 384 && d.patchSize == 32)
        let c = try ViltConfiguration.load(Self.folder("vilt-tiny-bin"))
        #expect(c.hiddenSize == 32 && c.patchSize == 16 && c.maxImageLength == -1 && c.labels.count == 7 && c.hiddenAct == .gelu)
        #expect(try ViltConfiguration.load(Self.folder("vilt-tiny-safetensors")).maxImageLength == 200)
        #expect { try ViltForQuestionAnswering(folder: Fixtures.url("models/clip-tiny-new")) } throws: { error in
            "\(error)".contains("CLIPModel") && "\(error)".contains("not ViLT")
        }
        var bad = c
        bad.numAttentionHeads = 5
        #expect { try bad.validate() } throws: { "\($0)".contains("not divisible by num_attention_heads 5") }
        bad = c
        bad.id2label[9] = "x"
        #expect { try bad.validate() } throws: { "\($0)".contains("id2label has id 9") }
        bad = c
        bad.architectures = ["ViltForMaskedLM"]
        #expect { try ViltForQuestionAnswering(bad, weights: .random()) } throws: { "\($0)".contains("not ViltForQuestionAnswering") }
    }

    @Test func processorSizesFollowTransformers() throws {
        var p = ViltImageProcessor()
        // dandelin/vilt-b32-finetuned-vqa: shortest 384, long side capped at 639, floored to 32.
        #expect(p.outputSize(height: 480, width: 640) == (384, 512))
        #expect(p.outputSize(height: 100, width: 1000) == (64, 608))
        // 640 > int(1333 / 800 * 384) = 639: even a 384x640 input is scaled down, to 383.4x639, then floored.
        #expect(p.outputSize(height: 384, width: 640) == (352, 608))
        p.sizeDivisor = 1
        #expect(p.outputSize(height: 3, width: 5) == (383, 639))
        #expect(p.outputSize(height: 5, width: 3) == (639, 383))
        #expect { try ViltImageProcessor()([RGBImage(width: 2000, height: 1, pixels: [UInt8](repeating: 0, count: 6000))]) } throws: {
            "\($0)".contains("too thin")
        }
        // Hostile configs are refused by key before any allocation.
        #expect { try ViltImageProcessor(object: ["size": 100_000], file: "p.json") } throws: { "\($0)".contains("\"size\" must be an integer in 1...4096") }
        #expect { try ViltImageProcessor(object: ["size_divisor": 0], file: "p.json") } throws: { "\($0)".contains("size_divisor") }
        #expect { try ViltImageProcessor(object: ["image_processor_type": "CLIPImageProcessor"], file: "p.json") } throws: { "\($0)".contains("not ViltImageProcessor") }
    }
}
