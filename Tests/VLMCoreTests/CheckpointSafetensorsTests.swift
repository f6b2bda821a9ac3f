import Foundation
import Testing
@testable import VLMCore

@Suite struct CheckpointSafetensorsTests {
    @Test(arguments: [("st-f32", StorageDType.f32), ("st-f16", .f16), ("st-bf16", .bf16)])
    func readsEveryTensorExactly(folder: String, dtype: StorageDType) throws {
        let file = try SafetensorsFile(path: CheckpointFixture.path(folder + "/model.safetensors"))
        try CheckpointFixture.expectBase(file, dtype)
        #expect(file.metadata == ["format": "pt"])
    }

    @Test func tensorsAreViewsIntoTheMap() throws {
        let file = try SafetensorsFile(path: CheckpointFixture.path("st-f32/model.safetensors"))
        for name in file.tensorNames {
            let tensor = try #require(try file.storedTensor(named: name))
            #expect(file.file.contains(tensor.bytes), "\(name) is not inside the mapping")
            #expect(tensor.owner === file.file)
        }
        // The map outlives the store as long as a tensor holds it.
        var store: SafetensorsFile? = file
        let embed = try #require(try store!.storedTensor(named: "embed.weight"))
        store = nil
        #expect(try embed.floats() == CheckpointFixture.embed)
    }

    @Test func decodesHalfBoundaryValues() throws {
        let file = try SafetensorsFile(path: CheckpointFixture.path("st-f16/model.safetensors"))
        let values = try #require(try file.storedTensor(named: "special")).floats()
        let expected: [Float] = [0, -0.0, 1, -2, 65504, 0x1p-14, 0x1p-24, -3 * 0x1p-24, .infinity, -.infinity]
        #expect(values.count == expected.count + 1)
        #expect(zip(values, expected).allSatisfy { $0.bitPattern == $1.bitPattern })
        #expect(values.last!.isNaN)
    }

    @Test func decodesBFloat16BoundaryValues() throws {
        let file = try SafetensorsFile(path: CheckpointFixture.path("st-bf16/model.safetensors"))
        let values = try #require(try file.storedTensor(named: "special")).floats()
        let expected: [Float] = [0, -0.0, 1, -1.5, 0x1p-133, Float(bitPattern: 0x7F7F_0000), .infinity, -.infinity]
        #expect(values.count == expected.count + 1)
        #expect(zip(values, expected).allSatisfy { $0.bitPattern == $1.bitPattern })
        #expect(values.last!.isNaN)
    }

    #if !(os(macOS) && arch(x86_64))
    @Test func halfConversionMatchesFloat16ForEveryBitPattern() {
        var mismatches = 0
        for bits in 0 ... UInt16.max {
            let ours = float16ToFloat(bits), reference = Float(Float16(bitPattern: bits))
            if ours.isNaN ? !reference.isNaN : ours.bitPattern != reference.bitPattern { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }
    #endif

    @Test(arguments: [
        ("too-short", CheckpointError.Kind.malformed, "too short"),
        ("header-past-end", .malformed, "header length 1000 runs past the end"),
        ("huge-header", .malformed, "larger than the 100000000-byte limit"),
        ("truncated-data", .malformed, "past the end of the 4-byte data buffer"),
        ("offsets-past-end", .malformed, "tensor 'a' has data_offsets [0, 16) past the end"),
        ("shape-mismatch", .malformed, "tensor 'a' has shape [2, 3] F32 = 24 bytes but data_offsets [0, 20) hold 20"),
        ("duplicate-names", .malformed, "duplicate key \"a\""),
        ("begin-after-end", .malformed, "begin after end"),
        ("overlap", .malformed, "tensors 'a' and 'b' overlap"),
        ("gap", .malformed, "gap of 4 bytes before tensor 'b'"),
        ("trailing-bytes", .malformed, "tensors cover only 8"),
        ("unknown-dtype", .unsupported, "unsupported dtype 'Q4'"),
        ("not-json", .malformed, "header JSON"),
        ("not-object", .malformed, "not a JSON object"),
        ("negative-dim", .malformed, "tensor 'a' has an invalid dimension"),
        ("overflowing-shape", .malformed, "byte count overflows"),
    ])
    func refusesBrokenFiles(name: String, kind: CheckpointError.Kind, fragment: String) {
        let path = CheckpointFixture.path("bad-safetensors/\(name).safetensors")
        CheckpointFixture.expectError(kind, [path, fragment]) { _ = try SafetensorsFile(path: path) }
    }

    @Test func missingFileKeepsErrno() throws {
        let path = CheckpointFixture.path("st-f32/absent.safetensors")
        do {
            _ = try SafetensorsFile(path: path)
            Issue.record("opened a missing file")
        } catch let error as CheckpointError {
            #expect(error.kind == .io && error.code == ENOENT)
            #expect(error.message.hasPrefix(path) && error.message.contains("open failed"))
        }
        CheckpointFixture.expectError(.io, ["not a regular file"]) { _ = try MappedFile(path: CheckpointFixture.path("st-f32")) }
    }

    @Test func jsonScannerIsStrict() throws {
        func parse(_ text: String) throws -> JSONValue {
            var bytes = Array(text.utf8)
            return try bytes.withUnsafeMutableBytes { try JSONScanner.parse(UnsafeRawBufferPointer($0)) }
        }
        #expect(try parse(#" {"a": [1, -2, 3.5e1, true, null], "b\u00e9\ud83d\ude00": "x\n"}  "#)["a"]?.array?.count == 5)
        #expect(try parse(#"{"k": "\u00e9\ud83d\ude00"}"#)["k"]?.string == "é😀")
        #expect(try parse("9223372036854775807").int == Int.max)
        #expect(try parse("9223372036854775808").int == nil)
        for bad in [#"{"a":1,"a":2}"#, "{", "[1,]", "01", #""\ud800""#, "{} x", String(repeating: "[", count: 100)] {
            #expect(throws: JSONScanError.self, "\(bad)") { _ = try parse(bad) }
        }
    }
}
