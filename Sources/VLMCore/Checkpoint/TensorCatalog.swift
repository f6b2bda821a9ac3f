/// A tensor store that also reports dtype and shape without touching (or copying) the bytes.
public protocol TensorCatalog: TensorStore {
    func info(named name: String) -> TensorInfo?
}

extension SafetensorsFile: TensorCatalog {}
extension PyTorchBinFile: TensorCatalog {}

/// What a tensor is, without touching its bytes.
public struct TensorInfo: Sendable, Equatable {
    public let dtype: StorageDType
    public let shape: [Int]
    public init(dtype: StorageDType, shape: [Int]) {
        self.dtype = dtype
        self.shape = shape
    }
    public var elementCount: Int { shape.reduce(1, *) }
    public var byteCount: Int { elementCount * dtype.size }
}

/// Element count × element size, or nil on a negative dimension or overflow.
func checkedByteCount(_ shape: [Int], _ elementSize: Int) -> Int? {
    var total = elementSize
    for dim in shape {
        guard dim >= 0 else { return nil }
        let (product, overflow) = total.multipliedReportingOverflow(by: dim)
        if overflow { return nil }
        total = product
    }
    return total
}

/// The map behind one of our readers (nil for other TensorCatalog types).
func mappedFile(of store: TensorCatalog) -> MappedFile? {
    (store as? SafetensorsFile)?.file ?? (store as? PyTorchBinFile)?.file
}
