/// Fetching a tensor a model cannot do without, with the error the issue asks for: the key, and
/// both shapes when they differ.
extension TensorStore {
    /// The tensor `name`, which must exist and have exactly `shape`.
    public func requireTensor(named name: String, shape: [Int]) throws -> StoredTensor {
        guard let tensor = try storedTensor(named: name) else {
            throw CheckpointError(.missing, "checkpoint has no tensor '\(name)' (the model needs shape \(shape))")
        }
        guard tensor.shape == shape else {
            throw CheckpointError(.malformed, "tensor '\(name)' has shape \(tensor.shape) in the checkpoint but the model needs \(shape)")
        }
        return tensor
    }
}
