import Foundation
import Testing
import TestSupport

@Suite struct BenchLoadCommandTests {
    @Test func printsFiguresForAFixtureFolder() throws {
        let folder = Fixtures.url("checkpoints/sharded-bin").path
        let result = try VLMNodeBinary.run(["bench", "load", folder, "--repeats", "2"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("load average:"))
        #expect(result.stdout.contains("pytorch_model.bin (sharded)"))
        #expect(result.stdout.contains("5 tensors, 37 parameters, F32 ×4, I64 ×1, 176 bytes"))
        #expect(result.stdout.contains("over 2 runs"))
        #expect(result.stdout.contains("fp32 copy of all 5 tensors (37 values)"))
    }

    @Test func failsWithOneLineNamingTheFolder() throws {
        let folder = Fixtures.url("checkpoints/malicious").path
        let result = try VLMNodeBinary.run(["bench", "load", folder])
        #expect(result.status != 0)
        #expect(result.stderr.contains(folder) && result.stderr.contains("no weights found"))
        let bin = Fixtures.url("checkpoints/bad-safetensors").path
        let dir = try makeTemporaryDirectory("vlmnode-bench")
        try FileManager.default.copyItem(atPath: bin + "/duplicate-names.safetensors", toPath: dir.path + "/model.safetensors")
        let bad = try VLMNodeBinary.run(["bench", "load", dir.path])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("duplicate key \"a\""))
    }
}
