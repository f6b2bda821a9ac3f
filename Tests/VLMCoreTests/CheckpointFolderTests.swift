import Foundation
import Testing
import TestSupport
@testable import VLMCore

@Suite struct CheckpointFolderTests {
    @Test(arguments: [
        ("st-f32", Checkpoint.Format.safetensors, ["model.safetensors"]),
        ("bin", .pytorchBin, ["pytorch_model.bin"]),
        ("sharded-st", .shardedSafetensors,
         ["model.safetensors.index.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]),
        ("sharded-bin", .shardedPytorchBin,
         ["pytorch_model.bin.index.json", "pytorch_model-00001-of-00002.bin", "pytorch_model-00002-of-00002.bin"]),
    ])
    func opensEachLayout(folder: String, format: Checkpoint.Format, files: [String]) throws {
        let checkpoint = try Checkpoint.open(folder: CheckpointFixture.path(folder))
        #expect(checkpoint.format == format)
        #expect(checkpoint.files == files)
        try CheckpointFixture.expectBase(checkpoint, .f32)
    }

    @Test func shardedTensorsComeFromTheirShard() throws {
        let checkpoint = try Checkpoint.open(folder: CheckpointFixture.path("sharded-st"))
        #expect(checkpoint.tensorNames == ["embed.weight", "empty", "layer.0.bias", "position_ids", "scalar"])
        let sharded = try #require(checkpoint.store as? ShardedCheckpoint)
        let second = try SafetensorsFile(path: CheckpointFixture.path("sharded-st/model-00002-of-00002.safetensors"))
        #expect(Set(second.tensorNames) == ["layer.0.bias", "position_ids", "empty"])
        #expect(sharded.shardFiles.count == 2)
    }

    @Test func prefersSafetensorsLikeTransformers() throws {
        let dir = try makeTemporaryDirectory("vlmnode-ckpt")
        let fm = FileManager.default
        try fm.copyItem(atPath: CheckpointFixture.path("bin/pytorch_model.bin"), toPath: dir.path + "/pytorch_model.bin")
        #expect(try Checkpoint.open(folder: dir.path).format == .pytorchBin)
        for file in ["model.safetensors.index.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"] {
            try fm.copyItem(atPath: CheckpointFixture.path("sharded-st/" + file), toPath: dir.path + "/" + file)
        }
        #expect(try Checkpoint.open(folder: dir.path).format == .shardedSafetensors)
        try fm.copyItem(atPath: CheckpointFixture.path("st-f16/model.safetensors"), toPath: dir.path + "/model.safetensors")
        let checkpoint = try Checkpoint.open(folder: dir.path)
        #expect(checkpoint.format == .safetensors)
        #expect(checkpoint.info(named: "embed.weight")?.dtype == .f16)
    }

    @Test func namesWhatAFolderWithoutWeightsContains() throws {
        let dir = try makeTemporaryDirectory("vlmnode-ckpt")
        CheckpointFixture.expectError(.missing, [dir.path, "it is empty"]) { _ = try Checkpoint.open(folder: dir.path) }
        try Data("{}".utf8).write(to: dir.appendingPathComponent("config.json"))
        try Data().write(to: dir.appendingPathComponent("tf_model.h5"))
        CheckpointFixture.expectError(.missing, ["looked for model.safetensors", "contains: config.json, tf_model.h5"]) {
            _ = try Checkpoint.open(folder: dir.path)
        }
        CheckpointFixture.expectError(.missing, ["no such model folder"]) { _ = try Checkpoint.open(folder: dir.path + "/nope") }
    }

    @Test func refusesLyingIndexes() throws {
        let dir = try makeTemporaryDirectory("vlmnode-ckpt")
        let shard = "model-00001-of-00002.safetensors"
        try FileManager.default.copyItem(atPath: CheckpointFixture.path("sharded-st/" + shard), toPath: dir.path + "/" + shard)
        let index = dir.path + "/model.safetensors.index.json"
        func write(_ json: String) throws { try Data(json.utf8).write(to: URL(fileURLWithPath: index)) }

        try write(#"{"weight_map": {"embed.weight": "../sharded-st/\#(shard)"}}"#)
        CheckpointFixture.expectError(.malformed, [index, "not a plain file name"]) { _ = try Checkpoint.open(folder: dir.path) }
        try write(#"{"weight_map": {"layer.0.bias": "\#(shard)"}}"#)
        CheckpointFixture.expectError(.missing, ["'layer.0.bias'", shard, "does not contain it"]) { _ = try Checkpoint.open(folder: dir.path) }
        try write(#"{"weight_map": {"scalar": "\#(shard)", "scalar": "\#(shard)"}}"#)
        CheckpointFixture.expectError(.malformed, ["duplicate key \"scalar\""]) { _ = try Checkpoint.open(folder: dir.path) }
        try write(#"{"weight_map": {"scalar": "absent.safetensors"}}"#)
        CheckpointFixture.expectError(.io, ["absent.safetensors", "open failed"]) { _ = try Checkpoint.open(folder: dir.path) }
        try write(#"{"metadata": {}}"#)
        CheckpointFixture.expectError(.malformed, ["no \"weight_map\""]) { _ = try Checkpoint.open(folder: dir.path) }
    }

    @Test func summarisesWithoutReadingTensors() throws {
        let summary = try Checkpoint.open(folder: CheckpointFixture.path("st-f32")).summary()
        #expect(summary.tensorCount == 5)
        #expect(summary.parameterCount == 24 + 5 + 1 + 0 + 7)
        #expect(summary.tensorsPerDType == [.f32: 4, .i64: 1])
        #expect(summary.totalBytes == 30 * 4 + 7 * 8)
        #expect(summary.description.contains("5 tensors, 37 parameters, F32 ×4, I64 ×1, 176 bytes"))
        let bin = try Checkpoint.open(folder: CheckpointFixture.path("bin")).summary()
        #expect(bin.tensorsPerDType == [.f32: 11, .f16: 1, .bf16: 1, .i64: 1])
    }

    @Test func floatConversionChecksSizes() throws {
        let file = try SafetensorsFile(path: CheckpointFixture.path("st-f32/model.safetensors"))
        let tensor = try #require(try file.storedTensor(named: "layer.0.bias"))
        var out = [Float](repeating: 0, count: 4)
        CheckpointFixture.expectError(.malformed, ["destination holds 4"]) {
            try out.withUnsafeMutableBufferPointer { try tensor.copyFloats(into: $0) }
        }
        let lying = StoredTensor(dtype: .f32, shape: [3], bytes: tensor.bytes, owner: file)
        CheckpointFixture.expectError(.malformed, ["has 20 bytes"]) { _ = try lying.floats() }
        #expect(try tensor.int64s() == [0, 0, 0, 1, 1])
    }
}
