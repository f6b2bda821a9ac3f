/// A `pytorch_model.bin` in torch.save's zip format (PyTorch >= 1.6): `PREFIX/data.pkl` read with
/// `RestrictedUnpickler`, storages `PREFIX/data/KEY` viewed in the memory map. Contiguous tensors
/// are views into the map (storage offsets honoured, storages shared freely); a tensor whose
/// strides are not row-major is copied into a contiguous buffer when it is requested.
///
/// Opening reads only the central directory and data.pkl. Each storage's local zip header (which
/// locates its bytes) is read when a tensor is requested: touching 400 headers spread over a
/// cold 600 MB file at open would cost a disk read-around each (~0.5 s measured).
public final class PyTorchBinFile: TensorStore, Sendable {
    public let file: MappedFile
    public let tensorNames: [String]
    private let tensors: [String: PickleTensor]
    private let archive: ZipArchive
    private let storages: [String: ZipArchive.Entry]

    public convenience init(path: String) throws {
        try self.init(file: MappedFile(path: path))
    }

    public init(file: MappedFile) throws {
        self.file = file
        let path = file.path
        func bad(_ message: String) -> CheckpointError { CheckpointError(.malformed, "\(path): \(message)") }
        if file.bytes.count >= 2, file.bytes[0] == 0x80, file.bytes[1] <= 5 {
            throw CheckpointError(.unsupported, "\(path): legacy (pre-1.6, non-zip) torch.save format is not supported; re-save it with a current PyTorch or as safetensors")
        }
        let zip = try ZipArchive(file: file)
        let pickles = zip.entries.keys.filter { name in
            let parts = name.split(separator: "/", omittingEmptySubsequences: false)
            return parts.count == 2 && parts[1] == "data.pkl"
        }
        guard pickles.count == 1, let pickleName = pickles.first else {
            throw bad("expected exactly one ARCHIVE/data.pkl entry, found \(pickles.count)")
        }
        let prefix = String(pickleName.dropLast("data.pkl".count))
        if let order = zip.entries[prefix + "byteorder"] {
            let text = String(decoding: try zip.data(order), as: UTF8.self)
            guard text == "little" else {
                throw CheckpointError(.unsupported, "\(path): byte order '\(text)' is not supported (only little-endian)")
            }
        }
        let root = try RestrictedUnpickler.load(try zip.data(zip.entries[pickleName]!), source: "\(path) (\(pickleName))")
        guard case .dict(let dict) = root else { throw bad("data.pkl does not hold a dict (state dict)") }

        var tensors: [String: PickleTensor] = [:]
        var storages: [String: ZipArchive.Entry] = [:]
        var storageTypes: [String: StorageDType] = [:]
        for (keyValue, value) in dict.entries {
            guard case .string(let key) = keyValue else { throw bad("state dict has a non-string key") }
            guard case .tensor(let t) = value else { throw bad("state dict entry '\(key)' is not a tensor") }
            guard tensors[key] == nil else { throw bad("state dict has the key '\(key)' twice") }
            let s = t.storage
            if let known = storageTypes[s.key], known != s.dtype {
                throw bad("storage '\(s.key)' is used as both \(known.rawValue) and \(s.dtype.rawValue)")
            }
            if storages[s.key] == nil {
                guard let entry = zip.entries[prefix + "data/" + s.key] else {
                    throw bad("tensor '\(key)' refers to storage '\(s.key)' which the archive does not contain")
                }
                try zip.checkReadable(entry)
                guard let expected = checkedByteCount([s.elementCount], s.dtype.size), expected == entry.size else {
                    throw bad("storage '\(s.key)' holds \(entry.size) bytes, not \(s.elementCount) × \(s.dtype.size)")
                }
                storages[s.key] = entry
                storageTypes[s.key] = s.dtype
            }
            guard Self.fits(t) else {
                throw bad("tensor '\(key)' (offset \(t.offset), size \(t.shape), stride \(t.strides)) reaches outside its storage of \(s.elementCount) elements")
            }
            // A strided view may repeat storage elements (stride 0), so its own size is not bounded
            // by the storage: bound what it would take to materialise by the file, before anything
            // is allocated or iterated.
            guard let bytes = checkedByteCount(t.shape, s.dtype.size), bytes <= file.bytes.count else {
                throw bad("tensor '\(key)' has size \(t.shape) (\(s.dtype.rawValue)), more bytes than the whole \(file.bytes.count)-byte file")
            }
            tensors[key] = t
        }
        self.archive = zip
        self.tensors = tensors
        self.storages = storages
        self.tensorNames = tensors.keys.sorted()
    }

    public func info(named name: String) -> TensorInfo? {
        tensors[name].map { TensorInfo(dtype: $0.storage.dtype, shape: $0.shape) }
    }

    /// True when the tensor is stored row-major, i.e. `storedTensor(named:)` returns a view into the map.
    public func isContiguous(named name: String) -> Bool? {
        tensors[name].map(Self.isContiguous)
    }

    public func storedTensor(named name: String) throws -> StoredTensor? {
        guard let t = tensors[name], let entry = storages[t.storage.key] else { return nil }
        let storage = try archive.data(entry)
        let size = t.storage.dtype.size
        let count = t.shape.reduce(1, *)
        if Self.isContiguous(t) {
            let start = count == 0 ? 0 : t.offset * size
            let view = UnsafeRawBufferPointer(rebasing: storage[start ..< start + count * size])
            return StoredTensor(dtype: t.storage.dtype, shape: t.shape, bytes: view, owner: file)
        }
        let copy = OwnedBytes(count: count * size)
        Self.gather(t, from: storage, into: copy.buffer)
        return StoredTensor(dtype: t.storage.dtype, shape: t.shape, bytes: copy.view, owner: copy)
    }

    /// The highest element reached lies inside the storage (overflow-checked; sizes and strides
    /// are non-negative, which the unpickler guarantees).
    static func fits(_ t: PickleTensor) -> Bool {
        guard t.shape.count == t.strides.count, !t.shape.contains(where: { $0 < 0 }), !t.strides.contains(where: { $0 < 0 }),
              t.offset >= 0 else { return false }
        if t.shape.contains(0) { return t.offset <= t.storage.elementCount }
        var last = t.offset
        for (dim, stride) in zip(t.shape, t.strides) {
            let (step, o1) = (dim - 1).multipliedReportingOverflow(by: stride)
            let (sum, o2) = last.addingReportingOverflow(step)
            if o1 || o2 { return false }
            last = sum
        }
        return last < t.storage.elementCount
    }

    static func isContiguous(_ t: PickleTensor) -> Bool {
        var expected = 1
        for (dim, stride) in zip(t.shape, t.strides).reversed() {
            if dim != 1 && stride != expected { return false }
            let (product, overflow) = expected.multipliedReportingOverflow(by: dim)
            if overflow { return false }
            expected = product
        }
        return true
    }

    /// Copies a strided view into row-major order, one element at a time (rare: views of shared storages).
    private static func gather(_ t: PickleTensor, from storage: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) {
        let size = t.storage.dtype.size
        let count = t.shape.reduce(1, *)
        guard count > 0, let src = storage.baseAddress, let dst = out.baseAddress else { return }
        let rank = t.shape.count
        var index = [Int](repeating: 0, count: rank)
        var source = t.offset
        for i in 0 ..< count {
            (dst + i * size).copyMemory(from: src + source * size, byteCount: size)
            var d = rank - 1
            while d >= 0 {
                index[d] += 1
                source += t.strides[d]
                if index[d] < t.shape[d] { break }
                source -= t.strides[d] * t.shape[d]
                index[d] = 0
                d -= 1
            }
        }
    }
}
