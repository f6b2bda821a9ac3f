/// An fp32 tensor: a row-major shape over (a window of) shared `TensorStorage`.
///
/// A `Tensor` is a view with reference semantics for its elements: copies of the struct share
/// storage, and ops write into tensors given to them (`into:`), so hot paths reuse buffers.
/// Shapes are always contiguous row-major; views are made along the first dimension (`rows`)
/// or by `reshaped`, never by strides (kernels take explicit leading dimensions instead).
public struct Tensor: @unchecked Sendable, CustomStringConvertible {
    /// Dimensions, outermost first.
    public let shape: [Int]
    /// The memory this tensor lives in.
    public let storage: TensorStorage
    /// Element offset of this view inside `storage`.
    public let offset: Int

    /// Element count (product of `shape`).
    public var count: Int { shape.reduce(1, *) }
    /// Number of dimensions.
    public var rank: Int { shape.count }
    /// First element of this view.
    public var pointer: UnsafeMutablePointer<Float> { storage.base + offset }
    /// Size of the last dimension (1 for a scalar).
    public var lastDim: Int { shape.last ?? 1 }
    /// Number of rows when viewed as a matrix (count / lastDim).
    public var rowCount: Int { lastDim == 0 ? 0 : count / lastDim }

    /// A view over `storage` starting at `offset`.
    public init(shape: [Int], storage: TensorStorage, offset: Int = 0) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in \(shape)")
        precondition(offset >= 0 && offset + shape.reduce(1, *) <= storage.count,
                     "Tensor: shape \(shape) at offset \(offset) exceeds storage of \(storage.count)")
        self.shape = shape
        self.storage = storage
        self.offset = offset
    }

    /// A new zero-filled tensor.
    public init(zeros shape: [Int]) {
        self.init(shape: shape, storage: TensorStorage(count: shape.reduce(1, *)))
    }

    /// A new tensor holding `values` (row-major; `values.count` must equal the shape's product).
    public init(shape: [Int], values: [Float]) {
        precondition(values.count == shape.reduce(1, *),
                     "Tensor: \(values.count) values do not fill shape \(shape)")
        self.init(zeros: shape)
        values.withUnsafeBufferPointer { src in
            if let b = src.baseAddress { pointer.update(from: b, count: values.count) }
        }
    }

    /// A 0-d tensor holding one value.
    public init(scalar: Float) { self.init(shape: [], values: [scalar]) }

    /// The same elements under another shape with the same element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == count, "Tensor: cannot reshape \(shape) to \(newShape)")
        return Tensor(shape: newShape, storage: storage, offset: offset)
    }

    /// A view of `range` along the first dimension (no copy).
    public func rows(_ range: Range<Int>) -> Tensor {
        precondition(rank >= 1 && range.lowerBound >= 0 && range.upperBound <= shape[0],
                     "Tensor: rows \(range) out of bounds for shape \(shape)")
        let inner = shape.dropFirst().reduce(1, *)
        return Tensor(shape: [range.count] + shape.dropFirst(), storage: storage, offset: offset + range.lowerBound * inner)
    }

    /// Element `i` of the first dimension, with that dimension removed (no copy).
    public subscript(index: Int) -> Tensor {
        rows(index ..< index + 1).reshaped(Array(shape.dropFirst()))
    }

    /// The first element (the value of a scalar or one-element tensor).
    /// Prefer this to `pointer[0]` on a temporary: a temporary's storage may be freed as soon as
    /// `pointer` has been read.
    public var item: Float { pointer[0] }

    /// A copy of the elements as an array (for tests and small outputs).
    public var values: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    /// A fresh tensor with the same shape and values, in its own storage.
    public func copy() -> Tensor {
        let out = Tensor(zeros: shape)
        out.pointer.update(from: pointer, count: count)
        return out
    }

    /// Overwrites this tensor's elements with `other`'s (same element count).
    public func assign(_ other: Tensor) {
        precondition(other.count == count, "Tensor.assign: \(other.shape) into \(shape)")
        pointer.update(from: other.pointer, count: count)
    }

    /// Sets every element to `value`.
    public func fill(_ value: Float) { pointer.update(repeating: value, count: count) }

    public var description: String { "Tensor\(shape)" }
}
