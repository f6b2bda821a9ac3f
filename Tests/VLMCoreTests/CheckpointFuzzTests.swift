import Foundation
import Testing
import TestSupport
@testable import VLMCore

/// Damaged files must be refused with an error, never crash: VLMCore is built with -Ounchecked,
/// so a missed bounds check would corrupt memory instead of trapping. Seeded, so deterministic.
@Suite struct CheckpointFuzzTests {
    /// SplitMix64: small, deterministic, good enough to pick bytes.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    static func mutate(_ original: [UInt8], _ random: inout Random) -> [UInt8] {
        var bytes = original
        switch random.below(4) {
        case 0: bytes.removeLast(1 + random.below(bytes.count))                       // truncate
        case 1: bytes[random.below(bytes.count)] = UInt8(truncatingIfNeeded: random.next()) // one byte
        case 2: for _ in 0 ..< 1 + random.below(8) { bytes[random.below(bytes.count)] ^= 1 << UInt8(random.below(8)) }
        default: // a small integer value somewhere (lengths and offsets are where parsers go wrong)
            let at = random.below(bytes.count - 1)
            let value = [0, 1, 0x7F, 0x80, 0xFF][random.below(5)]
            bytes[at] = UInt8(value)
        }
        return bytes
    }

    /// VLMNODE_FUZZ_ROUNDS scales the rounds up for a longer local run.
    static func rounds(_ base: Int) -> Int {
        base * max(1, Int(ProcessInfo.processInfo.environment["VLMNODE_FUZZ_ROUNDS"] ?? "") ?? 1)
    }

    /// Opens and fully reads `store`; any thrown CheckpointError is an acceptable outcome.
    static func readAll(_ open: () throws -> TensorStore) -> Bool {
        do {
            let store = try open()
            for name in store.tensorNames { _ = try store.storedTensor(named: name)?.floats() }
            return true
        } catch is CheckpointError {
            return false
        } catch {
            Issue.record("unexpected error type \(error)")
            return false
        }
    }

    @Test(arguments: ["st-f16/model.safetensors", "bin/pytorch_model.bin", "bin-zip64/pytorch_model.bin"])
    func damagedFilesAreRefusedNotCrashed(fixture: String) throws {
        let original = Array(try Data(contentsOf: URL(fileURLWithPath: CheckpointFixture.path(fixture))))
        let dir = try makeTemporaryDirectory("vlmnode-fuzz")
        var random = Random(state: 42)
        var refused = 0
        let rounds = Self.rounds(300)
        for round in 0 ..< rounds {
            let path = dir.path + "/\(round % 8)"
            try Data(Self.mutate(original, &random)).write(to: URL(fileURLWithPath: path))
            let ok = Self.readAll { () -> TensorStore in
                fixture.hasSuffix(".bin") ? try PyTorchBinFile(path: path) as TensorStore : try SafetensorsFile(path: path)
            }
            if !ok { refused += 1 }
        }
        // Most damage is caught; some (a flipped bit in tensor data) is legitimately invisible.
        #expect(refused > rounds / 4)
    }

    @Test func damagedPicklesAreRefusedNotCrashed() throws {
        let file = try MappedFile(path: CheckpointFixture.path("bin/pytorch_model.bin"))
        let zip = try ZipArchive(file: file)
        let original = Array(try zip.data(try #require(zip.entries["pytorch_model/data.pkl"])))
        var random = Random(state: 7)
        for _ in 0 ..< Self.rounds(3000) {
            let bytes = Self.mutate(original, &random)
            do {
                _ = try bytes.withUnsafeBytes { try RestrictedUnpickler.load($0, source: "fuzz") }
            } catch let error as CheckpointError {
                #expect(error.kind == .malformed || error.kind == .unsafe)
            }
        }
    }
}
