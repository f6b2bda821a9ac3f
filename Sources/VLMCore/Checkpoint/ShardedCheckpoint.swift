/// A tensor store that also reports dtype and shape without touching (or copying) the bytes.
public protocol TensorCatalog: TensorStore {
    func info(named name: String) -> TensorInfo?
}

extension SafetensorsFile: TensorCatalog {}
extension PyTorchBinFile: TensorCatalog {}

/// A checkpoint split over several files by `model.safetensors.index.json` or
/// `pytorch_model.bin.index.json` (`{"metadata": ..., "weight_map": {tensor: shard file}}`).
/// Every shard is opened (and so validated) up front; every listed tensor must be in its shard.
public final class ShardedCheckpoint: TensorCatalog {
    public let indexPath: String
    /// Shard file names in the order they first appear in the weight map.
    public let shardFiles: [String]
    public let tensorNames: [String]
    private let shards: [String: TensorCatalog]
    private let weightMap: [String: String]

    /// `openShard` receives the full path of each distinct shard file.
    public init(indexPath: String, openShard: (String) throws -> TensorCatalog) throws {
        self.indexPath = indexPath
        func bad(_ message: String) -> CheckpointError { CheckpointError(.malformed, "\(indexPath): \(message)") }
        let indexFile = try MappedFile(path: indexPath)
        let json: JSONValue
        do {
            json = try JSONScanner.parse(indexFile.bytes)
        } catch let error as JSONScanError {
            throw bad("JSON: \(error.message) at byte \(error.offset)")
        }
        guard let map = json["weight_map"]?.object else { throw bad("no \"weight_map\" object") }
        let folder = indexPath.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")

        var weightMap: [String: String] = [:]
        var shardFiles: [String] = []
        var shards: [String: TensorCatalog] = [:]
        for (tensor, value) in map {
            guard let shard = value.string else { throw bad("weight_map entry '\(tensor)' is \(value.kindName), not a file name") }
            // Shards live next to the index: a path here could read files elsewhere.
            guard !shard.isEmpty, shard != ".", shard != "..", !shard.contains("/"), !shard.contains("\\") else {
                throw bad("weight_map entry '\(tensor)' names '\(shard)', which is not a plain file name")
            }
            if shards[shard] == nil {
                shards[shard] = try openShard(folder.isEmpty ? shard : folder + "/" + shard)
                shardFiles.append(shard)
            }
            guard shards[shard]!.info(named: tensor) != nil else {
                throw CheckpointError(.missing, "\(indexPath): tensor '\(tensor)' is listed in shard '\(shard)' but that file does not contain it")
            }
            weightMap[tensor] = shard
        }
        self.weightMap = weightMap
        self.shards = shards
        self.shardFiles = shardFiles
        self.tensorNames = weightMap.keys.sorted()
    }

    public func info(named name: String) -> TensorInfo? {
        weightMap[name].flatMap { shards[$0]?.info(named: name) }
    }

    public func storedTensor(named name: String) throws -> StoredTensor? {
        guard let shard = weightMap[name] else { return nil }
        return try shards[shard]?.storedTensor(named: name)
    }
}
