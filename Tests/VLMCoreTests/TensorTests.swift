import Testing
@testable import VLMCore

@Suite struct TensorTests {
    @Test func viewsShareStorage() {
        let t = Tensor(shape: [3, 4], values: (0 ..< 12).map(Float.init))
        let r = t.rows(1 ..< 3)
        #expect(r.shape == [2, 4] && r.values == (4 ..< 12).map(Float.init))
        r.pointer[0] = 100
        #expect(t.values[4] == 100)
        #expect(t[2].values == [8, 9, 10, 11])
        #expect(t.reshaped([2, 6]).rows(1 ..< 2).values == [6, 7, 8, 9, 10, 11])
        let c = t.copy()
        c.pointer[0] = -1
        #expect(t.values[0] == 0)
    }

    @Test func alignedF32IsZeroCopyAndKeepsOwnerAlive() throws {
        final class Owner { let buf = TensorStorage(count: 6) }
        var owner: Owner? = Owner()
        for i in 0 ..< 6 { owner!.buf.base[i] = Float(i) * 1.5 }
        let stored = StoredTensor(dtype: .f32, shape: [2, 3], bytes: UnsafeRawBufferPointer(start: owner!.buf.base, count: 24), owner: owner!)
        let t = try #require(Tensor(stored: stored))
        weak var weakOwner = owner
        owner = nil
        #expect(weakOwner != nil, "the tensor must keep the checkpoint's memory alive")
        #expect(t.isBorrowed && t.pointer == weakOwner!.buf.base)
        #expect(t.values == [0, 1.5, 3, 4.5, 6, 7.5])
    }

    @Test func unalignedF32IsCopied() throws {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: 13, alignment: 8)
        defer { raw.deallocate() }
        for (i, v) in [Float(1), -2, 3.25].enumerated() { (raw + 1 + 4 * i).storeBytes(of: v.bitPattern, toByteOffset: 0, as: UInt32.self) }
        let owner = TensorStorage(count: 1)
        let t = try #require(Tensor(stored: StoredTensor(dtype: .f32, shape: [3], bytes: UnsafeRawBufferPointer(start: raw + 1, count: 12), owner: owner)))
        #expect(!t.isBorrowed && t.values == [1, -2, 3.25])
    }

    @Test func halfAndBFloat16AreConverted() throws {
        // f16: 1.0 = 0x3C00, -2.5 = 0xC100, 65504 = 0x7BFF; bf16: 1.0 = 0x3F80, -2.5 = 0xC020, 3.140625 = 0x4049
        let f16: [UInt16] = [0x3C00, 0xC100, 0x7BFF], bf16: [UInt16] = [0x3F80, 0xC020, 0x4049]
        let owner = TensorStorage(count: 1)
        let a = try f16.withUnsafeBytes { try #require(Tensor(stored: StoredTensor(dtype: .f16, shape: [3], bytes: $0, owner: owner))) }
        let b = try bf16.withUnsafeBytes { try #require(Tensor(stored: StoredTensor(dtype: .bf16, shape: [1, 3], bytes: $0, owner: owner))) }
        #expect(a.values == [1, -2.5, 65504])
        #expect(b.values == [1, -2.5, 3.140625] && b.shape == [1, 3])
        let ints: [Int32] = [1, 2]
        ints.withUnsafeBytes { #expect(Tensor(stored: StoredTensor(dtype: .i32, shape: [2], bytes: $0, owner: owner)) == nil) }
    }

    @Test func weightLoaderNamesKeyAndShapes() throws {
        let store = InMemoryTensorStore(["model.fc.weight": Tensor(zeros: [4, 3]), "model.fc.bias": Tensor(zeros: [4])])
        let w = WeightLoader(store: store) { $0.hasPrefix("model.") ? String($0.dropFirst(6)) : nil }
        _ = try Linear(w.scoped("fc"), in: 3, out: 4)
        #expect(throws: WeightError.shapeMismatch(key: "fc.weight", expected: [4, 5], found: [4, 3])) {
            try Linear(w.scoped("fc"), in: 5, out: 4)
        }
        #expect(throws: WeightError.missing(key: "other.weight", expected: [4, 3])) {
            try Linear(w.scoped("other"), in: 3, out: 4)
        }
        let message = String(describing: WeightError.shapeMismatch(key: "fc.weight", expected: [4, 5], found: [4, 3]))
        #expect(message.contains("fc.weight") && message.contains("[4, 3]") && message.contains("[4, 5]"))
    }
}
