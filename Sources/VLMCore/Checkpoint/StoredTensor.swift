/// The contract between checkpoint readers (safetensors, pytorch_model.bin, sharded indexes) and
/// the tensor core: a reader hands out raw, typed bytes; the tensor core turns them into fp32.

/// Element types a checkpoint may store. Raw values are the safetensors spellings.
public enum StorageDType: String, Sendable, CaseIterable {
    case f32 = "F32", f16 = "F16", bf16 = "BF16", f64 = "F64"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8", u8 = "U8", bool = "BOOL"

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .f64, .i64: return 8
        case .f32, .i32: return 4
        case .f16, .bf16, .i16: return 2
        case .i8, .u8, .bool: return 1
        }
    }
}

/// One tensor as stored in a checkpoint: little-endian, row-major (contiguous) bytes.
/// `bytes` points into memory owned by the reader that produced it (often a memory map) and stays
/// valid exactly as long as that reader object is alive; keep a reference to `owner`.
public struct StoredTensor: @unchecked Sendable {
    public let dtype: StorageDType
    public let shape: [Int]
    public let bytes: UnsafeRawBufferPointer
    /// Keeps `bytes` alive (the memory map or buffer that holds them).
    public let owner: AnyObject

    public init(dtype: StorageDType, shape: [Int], bytes: UnsafeRawBufferPointer, owner: AnyObject) {
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
        self.owner = owner
    }

    public var elementCount: Int { shape.reduce(1, *) }
}

/// Anything that can hand out tensors by their checkpoint key (e.g. `vision_model.embeddings.patch_embedding.weight`).
public protocol TensorStore: AnyObject {
    /// Every key in the checkpoint, sorted.
    var tensorNames: [String] { get }
    /// The tensor stored under `name`, or nil when the checkpoint has no such key.
    func storedTensor(named name: String) throws -> StoredTensor?
}
