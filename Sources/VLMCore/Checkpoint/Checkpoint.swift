import Foundation

/// The weights of a Hugging Face model folder, found the way transformers looks for them:
/// `model.safetensors`, then `model.safetensors.index.json`, then `pytorch_model.bin`, then
/// `pytorch_model.bin.index.json`.
///
///     let checkpoint = try Checkpoint.open(folder: "/path/to/owlvit-base-patch32")
///     for name in checkpoint.tensorNames {
///         let tensor = try checkpoint.storedTensor(named: name)!   // dtype, shape, bytes (a view)
///     }
public final class Checkpoint: TensorCatalog {
    public enum Format: String, Sendable {
        case safetensors, shardedSafetensors = "safetensors (sharded)"
        case pytorchBin = "pytorch_model.bin", shardedPytorchBin = "pytorch_model.bin (sharded)"
    }

    public let folder: String
    public let format: Format
    /// The weight files read, relative to `folder` (the index first for sharded checkpoints).
    public let files: [String]
    public let store: TensorCatalog

    /// Weight file names in transformers' order of preference.
    public static let candidates: [(file: String, format: Format)] = [
        ("model.safetensors", .safetensors), ("model.safetensors.index.json", .shardedSafetensors),
        ("pytorch_model.bin", .pytorchBin), ("pytorch_model.bin.index.json", .shardedPytorchBin),
    ]

    private init(folder: String, format: Format, files: [String], store: TensorCatalog) {
        self.folder = folder
        self.format = format
        self.files = files
        self.store = store
    }

    /// Opens the preferred weight file(s) in `folder`; fails listing the folder's contents if none.
    public static func open(folder: String) throws -> Checkpoint {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CheckpointError(.missing, "\(folder): no such model folder")
        }
        for (file, format) in candidates where fm.fileExists(atPath: folder + "/" + file) {
            let path = folder + "/" + file
            switch format {
            case .safetensors:
                return Checkpoint(folder: folder, format: format, files: [file], store: try SafetensorsFile(path: path))
            case .pytorchBin:
                return Checkpoint(folder: folder, format: format, files: [file], store: try PyTorchBinFile(path: path))
            case .shardedSafetensors, .shardedPytorchBin:
                let sharded = try ShardedCheckpoint(indexPath: path) { shard -> TensorCatalog in
                    if format == .shardedSafetensors { return try SafetensorsFile(path: shard) }
                    return try PyTorchBinFile(path: shard)
                }
                return Checkpoint(folder: folder, format: format, files: [file] + sharded.shardFiles, store: sharded)
            }
        }
        let contents = ((try? fm.contentsOfDirectory(atPath: folder)) ?? []).sorted()
        let wanted = candidates.map(\.file).joined(separator: ", ")
        let listing = contents.isEmpty ? "it is empty" : "it contains: " + contents.joined(separator: ", ")
        throw CheckpointError(.missing, "\(folder): no weights found (looked for \(wanted)); \(listing)")
    }

    public var tensorNames: [String] { store.tensorNames }
    public func info(named name: String) -> TensorInfo? { store.info(named: name) }
    public func storedTensor(named name: String) throws -> StoredTensor? { try store.storedTensor(named: name) }

    /// Counts for `vlmnode models info`.
    public func summary() -> CheckpointSummary {
        var dtypes: [StorageDType: Int] = [:]
        var parameters = 0, bytes = 0
        for name in tensorNames {
            guard let info = info(named: name) else { continue }
            dtypes[info.dtype, default: 0] += 1
            parameters += info.elementCount
            bytes += info.byteCount
        }
        return CheckpointSummary(format: format, files: files, tensorCount: tensorNames.count,
                                 parameterCount: parameters, tensorsPerDType: dtypes, totalBytes: bytes)
    }
}

/// What a checkpoint holds, without reading its tensor bytes.
public struct CheckpointSummary: Sendable, CustomStringConvertible {
    public let format: Checkpoint.Format
    public let files: [String]
    public let tensorCount: Int
    /// Sum of element counts over all tensors (integer buffers such as position ids included).
    public let parameterCount: Int
    /// How many tensors are stored in each dtype.
    public let tensorsPerDType: [StorageDType: Int]
    /// Sum of the tensors' byte sizes (what loading them all as stored would occupy).
    public let totalBytes: Int

    public var description: String {
        let dtypes = tensorsPerDType.sorted { $0.key.rawValue < $1.key.rawValue }
            .map { "\($0.key.rawValue) ×\($0.value)" }.joined(separator: ", ")
        return "\(format.rawValue) (\(files.joined(separator: ", "))): \(tensorCount) tensors, "
            + "\(parameterCount) parameters, \(dtypes), \(totalBytes) bytes"
    }
}
