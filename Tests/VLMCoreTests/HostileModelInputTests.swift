import Foundation
import Testing
import TestSupport
@testable import VLMCore

/// The inputs of issue 15's attack probe aimed at VLMCore (findings 1, 4, 9, 17): each is refused
/// with one line naming what is wrong, in bounded time and memory, and nothing crashes.
struct HostileModelInputTests {
    static let clipBin = Fixtures.url("models/clip-tiny-bin")

    // MARK: Finding 1: _rebuild_tensor_v2 sizes and strides

    /// (size, stride) of `logit_scale` (a 1-element storage): wrap the byte count to 4, overflow
    /// Int, iterate 2^62 elements, or allocate 400 MB from a 9 KB pickle.
    static let hostileShapes: [([Int], [Int])] = [
        ([(1 << 62) + 1], [0]), ([Int.max], [0]), ([1 << 31, (1 << 31) + 1], [0, 0]), ([100_000_000], [0]),
        ([(1 << 62) + 1], [1]), ([1 << 32, 1 << 32], [1, 1]), ([3, Int.max / 2], [Int.max / 2, 1]),
    ]

    @Test(arguments: hostileShapes)
    func hostileTensorSizesAreRefusedBeforeAnyAllocation(size: [Int], stride: [Int]) throws {
        let bin = try Data(contentsOf: Self.clipBin.appendingPathComponent("pytorch_model.bin"))
        let dir = try makeTemporaryDirectory("vlmnode-hostile-pickle")
        let path = dir.appendingPathComponent("pytorch_model.bin").path
        try HostileCheckpoint.patchScalar(bin, size: size, stride: stride).write(to: URL(fileURLWithPath: path))
        let started = Date()
        do {
            let file = try PyTorchBinFile(path: path)
            _ = try file.storedTensor(named: "logit_scale")?.floats()
            Issue.record("size \(size) stride \(stride) was accepted")
        } catch let error as CheckpointError {
            #expect(error.kind == .malformed)
            #expect(error.message.contains("logit_scale") && error.message.contains(path), "\(error)")
            #expect(!error.message.contains("\n"))
        }
        #expect(Date().timeIntervalSince(started) < 10, "gross bound: the hang took > 20 s before the fix")
    }

    /// A stride-0 view that fits the file is still read (torch writes expanded tensors this way).
    @Test func smallRepeatedViewsStillLoad() throws {
        let bin = try Data(contentsOf: Self.clipBin.appendingPathComponent("pytorch_model.bin"))
        let dir = try makeTemporaryDirectory("vlmnode-expanded")
        let path = dir.appendingPathComponent("pytorch_model.bin").path
        try HostileCheckpoint.patchScalar(bin, size: [3, 2], stride: [0, 0]).write(to: URL(fileURLWithPath: path))
        let file = try PyTorchBinFile(path: path)
        let values = try #require(try file.storedTensor(named: "logit_scale")).floats()
        #expect(values.count == 6 && Set(values).count == 1)
    }

    @Test func zip64LocatorInATinyFileIsRefused() throws {
        // EOCD with count 0xFFFF preceded by a zip64 locator pointing anywhere: 42 bytes in all.
        var bytes = [UInt8](repeating: 0, count: 20)
        bytes[0 ... 3] = [0x50, 0x4B, 0x06, 0x07]
        bytes += [0x50, 0x4B, 0x05, 0x06] + [UInt8](repeating: 0, count: 6) + [0xFF, 0xFF] + [UInt8](repeating: 0, count: 10)
        let dir = try makeTemporaryDirectory("vlmnode-zip64")
        let path = dir.appendingPathComponent("tiny.bin").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(throws: CheckpointError.self) { _ = try PyTorchBinFile(path: path) }
    }

    /// Fuzzing (FuzzSafetensors, first seed): int64s() of an F16 tensor holding inf/NaN trapped
    /// converting them; now an error naming the element.
    @Test func nonFiniteFloatsAreNotIntegers() throws {
        let file = try SafetensorsFile(path: Fixtures.url("checkpoints/st-f16/model.safetensors").path)
        let special = try #require(try file.storedTensor(named: "special"))
        do {
            _ = try special.int64s()
            Issue.record("inf/NaN converted to Int64")
        } catch let error as CheckpointError {
            #expect(error.kind == .malformed && error.message.contains("not an integer"), "\(error)")
        }
        #expect(try #require(try file.storedTensor(named: "embed.weight")).int64s().count == 24)
    }

    // MARK: Finding 4: config.json and processor configs

    /// Writes `folder`'s config.json with `edit` applied to its JSON object.
    static func editedFolder(_ model: String, file: String = "config.json", _ edit: (inout [String: Any]) -> Void) throws -> URL {
        let source = Fixtures.url("models/\(model)")
        let dir = try makeTemporaryDirectory("vlmnode-hostile-config")
        for name in try FileManager.default.contentsOfDirectory(atPath: source.path) {
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: dir.appendingPathComponent(name))
        }
        let url = dir.appendingPathComponent(file)
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        edit(&object)
        try FileManager.default.removeItem(at: url)
        try JSONSerialization.data(withJSONObject: object).write(to: url)
        return dir
    }

    static func setting(_ tower: String, _ key: String, _ value: Any) -> (inout [String: Any]) -> Void {
        { object in
            var sub = object[tower] as? [String: Any] ?? [:]
            sub[key] = value
            object[tower] = sub
        }
    }

    /// (tower, key, value, words the error must contain).
    static let hostileConfigs: [(String, String, Double, String)] = [
        ("vision_config", "num_attention_heads", -4, "vision_config.num_attention_heads = -4 must be positive"),
        ("vision_config", "num_attention_heads", 0, "vision_config.num_attention_heads = 0 must be positive"),
        ("vision_config", "num_attention_heads", 5, "does not divide vision_config.hidden_size"),
        ("vision_config", "patch_size", 0, "vision_config.patch_size = 0 must be positive"),
        ("vision_config", "patch_size", 7, "does not divide vision_config.image_size"),
        ("vision_config", "num_hidden_layers", 1e9, "vision_config.num_hidden_layers = 1000000000 exceeds the limit of 256"),
        ("vision_config", "image_size", 1e6, "vision_config.image_size = 1000000 exceeds"),
        ("text_config", "vocab_size", -1, "text_config.vocab_size = -1"),
        ("text_config", "intermediate_size", 0, "text_config.intermediate_size = 0"),
        ("text_config", "max_position_embeddings", 1e12, "text_config.max_position_embeddings"),
        ("text_config", "layer_norm_eps", -1e-5, "text_config.layer_norm_eps = -1e-05 must be a finite number greater than 0"),
        ("vision_config", "layer_norm_eps", 0, "vision_config.layer_norm_eps = 0.0 must be a finite number greater than 0"),
    ]

    @Test(arguments: hostileConfigs)
    func hostileConfigIsRefusedForEveryModel(tower: String, key: String, value: Double, words: String) throws {
        let json: Any = value == value.rounded() && key != "layer_norm_eps" ? Int(value) : value
        let loads: [(String, (URL) throws -> Void)] = [
            ("clip-tiny-new", { _ = try CLIPConfiguration.load($0) }),
            ("owlvit-tiny-new", { _ = try OwlViTConfiguration.load($0) }),
            ("xclip-tiny-safetensors", { _ = try XCLIPConfiguration.load($0) }),
            ("clipseg-tiny", { _ = try CLIPSegConfiguration.load($0) }),
        ]
        for (model, load) in loads {
            let folder = try Self.editedFolder(model, Self.setting(tower, key, json))
            do {
                try load(folder)
                Issue.record("\(model): \(tower).\(key) = \(value) was accepted")
            } catch let error as InputError {
                #expect(error.description.contains(words) && error.description.contains("config.json"), "\(model): \(error)")
                #expect(!error.description.contains("\n"))
            }
        }
    }

    @Test func unmodifiedFixturesStillValidate() throws {
        _ = try CLIPConfiguration.load(Fixtures.url("models/clip-tiny-new"))
        _ = try OwlViTConfiguration.load(Fixtures.url("models/owlvit-tiny-new"))
        _ = try XCLIPConfiguration.load(Fixtures.url("models/xclip-tiny-safetensors"))
        _ = try CLIPSegConfiguration.load(Fixtures.url("models/clipseg-tiny"))
        // Published defaults (ViT-B/32, OWL-ViT B/32, X-CLIP B/32, CLIPSeg rd64) pass too.
        try CLIPConfiguration().validate(file: "defaults")
        try OwlViTConfiguration().validate(file: "defaults")
        try XCLIPConfiguration().validate(file: "defaults")
        try CLIPSegConfiguration.rd64Refined.validate(file: "defaults")
    }

    @Test func limitsCanBeRaised() throws {
        var config = CLIPConfiguration()
        config.visionConfig.numHiddenLayers = 300
        #expect(throws: InputError.self) { try config.validate(file: "c") }
        var limits = ModelLimits()
        limits.layers = 512
        try config.visionConfig.validate(ConfigChecker(file: "c", limits: limits))
    }

    @Test(arguments: [
        ("crop_size", 100_000 as Any, "\"crop_size\" = 100000 exceeds the limit of 8192 pixels"),
        ("size", 100_000 as Any, "\"size\" = 100000 exceeds"),
        ("size", ["shortest_edge": 1 << 40] as Any, "\"size.shortest_edge\" = 1099511627776 exceeds"),
        ("size", ["shortest_edge": 1e300] as Any, "\"size.shortest_edge\" = 1e+300 must be a positive integer"),
        ("crop_size", ["height": 10, "width": 1e300] as Any, "crop_size.width"),
        ("rescale_factor", Double.infinity as Any, "rescale_factor"),
    ])
    func hostileProcessorSizesAreRefused(key: String, value: Any, words: String) throws {
        var object: [String: Any] = ["image_processor_type": "CLIPImageProcessor"]
        object[key] = value
        do {
            _ = try ImageProcessorConfig.parse(object: object, file: "preprocessor_config.json")
            Issue.record("\(key) = \(value) was accepted")
        } catch let error as ImageProcessorConfigError {
            #expect(error.description.contains(words), "\(error)")
        }
    }

    // MARK: Finding 9: BPE work bounded by the input

    @Test func heapMergesEqualTheRankScan() throws {
        let tokenizer = TokenizerBehaviourTests.clip
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzéü0123456789".utf8)
        for length in [1, 2, 3, 17, 64, 300, 1000] {
            for _ in 0 ..< 20 {
                let word = (0 ..< length).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
                #expect(tokenizer.bpe.mergeWithHeap(word) == tokenizer.bpe.merge(word), "\(String(decoding: word, as: UTF8.self))")
            }
        }
        let repeated = Array(String(repeating: "a", count: 999).utf8)
        #expect(tokenizer.bpe.mergeWithHeap(repeated) == tokenizer.bpe.merge(repeated))
    }

    @Test func hugeQueriesCostLittle() {
        let tokenizer = TokenizerBehaviourTests.clip
        let oneWord = String(repeating: "a", count: 100_000)
        let words = Array(repeating: "abcdefghij", count: 10_000).joined(separator: " ")
        for text in [oneWord, words] {
            let started = Date()
            let row = tokenizer([text]).inputIds[0]
            #expect(row.count == 77 && row.last == 49407)
            // The untruncated count (the detector's truncation warning) stays exact and cheap.
            let all = tokenizer.tokenize(text)
            #expect(Array(all.prefix(75)) == Array(row[1 ... 75]))
            #expect(all.count > 75)
            #expect(Date().timeIntervalSince(started) < 5, "gross bound: 39 s before the fix")
        }
        #expect(tokenizer.tokenize(oneWord, limit: 3).count == 3)
    }

    // MARK: Finding 17: NaN weights and unusable eps

    @Test func nanWeightsAreRefusedNotScored() throws {
        let folder = try Self.editedFolder("clip-tiny-new") { _ in }
        try NaNPoison.safetensors(folder.appendingPathComponent("model.safetensors"), tensor: "vision_model.post_layernorm.weight")
        let model = try CLIPModel(folder: folder)
        let pixels = Tensor(zeros: [1, 3, 32, 32])
        #expect(throws: NonFiniteOutputError.self) { _ = try model.imageFeatures(pixels) }
        // The text tower is untouched and still answers.
        _ = try model.textFeatures([[0, 1, 2]])

        let scale = try Self.editedFolder("clip-tiny-new") { _ in }
        try NaNPoison.safetensors(scale.appendingPathComponent("model.safetensors"), tensor: "logit_scale")
        #expect(throws: NonFiniteOutputError.self) { _ = try CLIPModel(folder: scale) }
    }

    @Test func finiteScanFindsAnyNonFiniteElement() {
        for n in [1, 7, 8, 9, 1000] {
            let t = Tensor(zeros: [n])
            #expect(t.isAllFinite)
            for bad in [Float.nan, .infinity, -.infinity] {
                t.pointer[n - 1] = bad
                #expect(!t.isAllFinite)
                t.pointer[n - 1] = 0
            }
        }
    }
}
