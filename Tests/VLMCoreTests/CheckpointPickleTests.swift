import Foundation
import Testing
import TestSupport
@testable import VLMCore

@Suite struct CheckpointPickleTests {
    /// Everything torch.save wrote for bin_state() in the generator, recomputed.
    @Test(arguments: ["bin", "bin-zip64"])
    func readsEveryTensorExactly(folder: String) throws {
        let file = try PyTorchBinFile(path: CheckpointFixture.path(folder + "/pytorch_model.bin"))
        try CheckpointFixture.expectBase(file, .f32)
        try CheckpointFixture.expect(file, "linear.weight", .f32, [2, 3], (0 ..< 6).map { Float($0) * 0.5 - 1 })
        try CheckpointFixture.expect(file, "linear.bias", .f32, [2], [0, 0.75])
        try CheckpointFixture.expect(file, "param.weight", .f32, [4], (0 ..< 4).map { Float($0) * -0.5 })
        let small = (0 ..< 6).map { Float($0) * 0.125 - 0.25 }
        try CheckpointFixture.expect(file, "half.weight", .f16, [6], small)
        try CheckpointFixture.expect(file, "bf16.weight", .bf16, [6], small)

        let s = CheckpointFixture.shared
        try CheckpointFixture.expect(file, "shared.full", .f32, [4, 5], s)
        try CheckpointFixture.expect(file, "shared.offset", .f32, [2, 3], Array(s[5 ..< 11]))
        // view(3, 4).t(): element [r][c] is storage[c * 4 + r].
        let transposed = (0 ..< 4).flatMap { r in (0 ..< 3).map { c in s[c * 4 + r] } }
        try CheckpointFixture.expect(file, "shared.transposed", .f32, [4, 3], transposed)
        try CheckpointFixture.expect(file, "shared.strided", .f32, [7], (0 ..< 7).map { s[1 + 3 * $0] })
        #expect(file.tensorNames.count == 14)
    }

    @Test func contiguousTensorsAreViewsAndStridedOnesAreCopies() throws {
        let file = try PyTorchBinFile(path: CheckpointFixture.path("bin/pytorch_model.bin"))
        for name in ["embed.weight", "shared.full", "shared.offset", "half.weight", "param.weight"] {
            let tensor = try #require(try file.storedTensor(named: name))
            #expect(file.isContiguous(named: name) == true)
            #expect(file.file.contains(tensor.bytes) && tensor.owner === file.file, "\(name) should be zero-copy")
        }
        // Views of one storage point into the same bytes: offset 5 elements after the full view.
        let full = try #require(try file.storedTensor(named: "shared.full")).bytes.baseAddress!
        let offset = try #require(try file.storedTensor(named: "shared.offset")).bytes.baseAddress!
        #expect(offset - full == 5 * 4)
        for name in ["shared.transposed", "shared.strided"] {
            let tensor = try #require(try file.storedTensor(named: name))
            #expect(file.isContiguous(named: name) == false)
            #expect(!file.file.contains(tensor.bytes) && tensor.owner !== file.file)
        }
    }

    /// The payloads would `touch` this file if anything executed them.
    static let marker = "/tmp/vlmnode-malicious-pickle-ran"

    @Test(arguments: [
        ("posix-system", "posix.system"),
        ("builtins-eval", "builtins.eval"),
        ("load-from-bytes", "torch.storage._load_from_bytes"),
    ])
    func refusesMaliciousPickles(name: String, global: String) throws {
        try? FileManager.default.removeItem(atPath: Self.marker)
        let path = CheckpointFixture.path("malicious/\(name).bin")
        CheckpointFixture.expectError(.unsafe, [path, "refusing global '\(global)'", "nothing was executed"]) {
            _ = try PyTorchBinFile(path: path)
        }
        // Also through the folder loader, as a user would hit it.
        let folder = try makeTemporaryDirectory("vlmnode-malicious")
        try FileManager.default.copyItem(atPath: path, toPath: folder.path + "/pytorch_model.bin")
        CheckpointFixture.expectError(.unsafe, [global]) { _ = try Checkpoint.open(folder: folder.path) }
        usleep(100_000) // a spawned shell would have had time to create the marker
        #expect(!FileManager.default.fileExists(atPath: Self.marker), "the payload ran")
    }

    @Test func refusesDeflatedEntries() {
        let path = CheckpointFixture.path("bin-deflated/pytorch_model.bin")
        CheckpointFixture.expectError(.unsupported, [path, "deflate-compressed", "pytorch_model/"]) { _ = try PyTorchBinFile(path: path) }
    }

    @Test func refusesNonZipAndLegacyFiles() throws {
        let dir = try makeTemporaryDirectory("vlmnode-bin")
        let legacy = dir.path + "/legacy.bin", junk = dir.path + "/junk.bin"
        try Data([0x80, 0x02, 0x8A, 0x0A]).write(to: URL(fileURLWithPath: legacy))
        try Data(repeating: 7, count: 100).write(to: URL(fileURLWithPath: junk))
        CheckpointFixture.expectError(.unsupported, [legacy, "legacy"]) { _ = try PyTorchBinFile(path: legacy) }
        CheckpointFixture.expectError(.malformed, [junk, "end-of-central-directory"]) { _ = try PyTorchBinFile(path: junk) }
    }

    // MARK: the unpickler on hand-written opcodes

    private func unpickle(_ bytes: [UInt8]) throws -> PickleValue {
        try bytes.withUnsafeBytes { try RestrictedUnpickler.load($0, source: "test.pkl") }
    }

    @Test func readsScalarsAndContainers() throws {
        // {"a": [1, -2, 300, 2**40, 1.5, True, None, ("x",)]} with memo use, protocol 2.
        let pickle: [UInt8] = [0x80, 0x02, 0x7D, 0x71, 0x00, 0x8C, 0x01, 0x61, 0x5D, 0x94, 0x28,
                               0x4B, 0x01, 0x4A, 0xFE, 0xFF, 0xFF, 0xFF, 0x4D, 0x2C, 0x01,
                               0x8A, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
                               0x47, 0x3F, 0xF8, 0, 0, 0, 0, 0, 0, 0x88, 0x4E, 0x58, 1, 0, 0, 0, 0x78, 0x85,
                               0x65, 0x73, 0x2E]
        guard case .dict(let d) = try unpickle(pickle), d.entries.count == 1,
              case .string("a") = d.entries[0].key, case .list(let l) = d.entries[0].value else {
            Issue.record("not a dict with one list"); return
        }
        guard l.items.count == 8, case .int(1) = l.items[0], case .int(-2) = l.items[1], case .int(300) = l.items[2],
              case .int(1 << 40) = l.items[3], case .float(1.5) = l.items[4], case .bool(true) = l.items[5],
              case .none = l.items[6], case .tuple(let t, _) = l.items[7], case .string("x") = t.first else {
            Issue.record("list items differ: \(l.items)"); return
        }
    }

    @Test func refusesMalformedPickles() {
        let cases: [([UInt8], String)] = [
            ([0x80, 0x02, 0x69], "opcode 0x69 'i' is not used by state dicts"),    // INST
            ([0x80, 0x02, 0x58, 0xFF, 0xFF, 0, 0], "truncated"),                   // string longer than the data
            ([0x80, 0x02, 0x2E], "stack underflow"),                               // STOP on empty stack
            ([0x80, 0x02, 0x68, 0x05, 0x2E], "memo entry 5 is missing"),
            ([0x80, 0x02, 0x4E, 0x4E, 0x4E, 0x73, 0x2E], "SETITEM on a non-dict"),
            ([0x80, 0x02, 0x63, 0x6F, 0x73], "unterminated GLOBAL line"),
            ([0x80, 0x02, 0x63] + Array("torch\nFloatStorage\n".utf8) + [0x29, 0x52, 0x2E], "may only appear in a persistent id"),
            // A million nested 1-tuples would overflow the stack when freed; refused at depth 33.
            ([0x80, 0x02, 0x4E] + [UInt8](repeating: 0x85, count: 1_000_000) + [0x2E], "nested deeper than 32 levels"),
            // list A; list B; A.append(B); B.append(None): B is filled after being nested.
            ([0x80, 0x02, 0x5D, 0x5D, 0x71, 0x01, 0x61, 0x68, 0x01, 0x4E, 0x61, 0x2E], "filled after being nested"),
            ([0x80, 0x02, 0x5D, 0x32, 0x61, 0x2E], "a list contains itself"), // EMPTY_LIST DUP APPEND
        ]
        for (bytes, fragment) in cases {
            CheckpointFixture.expectError(.malformed, ["test.pkl", fragment]) { _ = try unpickle(bytes) }
        }
        CheckpointFixture.expectError(.unsafe, ["'os.system'"]) {
            _ = try unpickle([0x80, 0x02, 0x63] + Array("os\nsystem\n".utf8))
        }
    }

    @Test func checksTensorExtentsAgainstTheirStorage() {
        let storage = PickleStorage(dtype: .f32, key: "0", elementCount: 12)
        func fits(_ offset: Int, _ shape: [Int], _ strides: [Int]) -> Bool {
            PyTorchBinFile.fits(PickleTensor(storage: storage, offset: offset, shape: shape, strides: strides))
        }
        #expect(fits(0, [3, 4], [4, 1]))
        #expect(fits(0, [4, 3], [1, 4]))
        #expect(!fits(1, [3, 4], [4, 1]))
        #expect(!fits(0, [13], [1]))
        #expect(!fits(0, [2, Int.max], [Int.max, 1]))
        #expect(fits(12, [0, 4], [4, 1]))
    }
}
