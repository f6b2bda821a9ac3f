/// Reusable scratch buffers for a forward pass, by name. Asking again for a name returns the same
/// memory (grown when needed), so steady-state inference allocates nothing.
/// Contents are undefined on return. One workspace per thread of inference.
public final class Workspace {
    private var buffers: [String: TensorStorage] = [:]

    public init() {}

    /// A tensor of `shape` backed by the buffer called `name`.
    public func tensor(_ name: String, _ shape: [Int]) -> Tensor {
        let n = shape.reduce(1, *)
        if let s = buffers[name], s.count >= n { return Tensor(shape: shape, storage: s) }
        let s = TensorStorage(count: n)
        buffers[name] = s
        return Tensor(shape: shape, storage: s)
    }

    /// Bytes held.
    public var byteCount: Int { buffers.values.reduce(0) { $0 + $1.count * 4 } }
}
