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

/// A `.safetensors` file, memory-mapped and validated on open; tensors are views into the map.
///
/// Validation follows the safetensors library: the header length fits the file (and at most
/// 100 MB), the header is a JSON object without duplicate names, every dtype is known, every
/// `data_offsets` range lies in the data buffer with begin <= end and exactly
/// product(shape) × dtype size bytes, and the ranges tile the buffer with no overlap or gap.
public final class SafetensorsFile: TensorStore {
    public let file: MappedFile
    /// The optional `__metadata__` string map (e.g. `format: pt`).
    public let metadata: [String: String]
    public let tensorNames: [String]
    private let entries: [String: (info: TensorInfo, offset: Int, count: Int)]

    static let maxHeaderLength = 100_000_000

    public convenience init(path: String) throws {
        try self.init(file: MappedFile(path: path))
    }

    public init(file: MappedFile) throws {
        self.file = file
        let path = file.path
        func bad(_ message: String) -> CheckpointError { CheckpointError(.malformed, "\(path): \(message)") }
        let bytes = file.bytes
        guard bytes.count >= 8 else {
            throw bad("file is \(bytes.count) bytes, too short for the 8-byte safetensors header length")
        }
        let headerLength = bytes.le64(0)
        guard headerLength <= UInt64(Self.maxHeaderLength) else {
            throw bad("header length \(headerLength) is larger than the \(Self.maxHeaderLength)-byte limit")
        }
        guard Int(headerLength) <= bytes.count - 8 else {
            throw bad("header length \(headerLength) runs past the end of the \(bytes.count)-byte file")
        }
        let dataStart = 8 + Int(headerLength)
        let dataCount = bytes.count - dataStart
        let header: JSONValue
        do {
            header = try JSONScanner.parse(UnsafeRawBufferPointer(rebasing: bytes[8 ..< dataStart]))
        } catch let error as JSONScanError {
            throw bad("header JSON: \(error.message) at byte \(error.offset + 8)")
        }
        guard let members = header.object else { throw bad("header is \(header.kindName), not a JSON object") }

        var metadata: [String: String] = [:]
        var entries: [String: (info: TensorInfo, offset: Int, count: Int)] = [:]
        var ranges: [(begin: Int, end: Int, name: String)] = []
        for (name, value) in members {
            if name == "__metadata__" {
                guard let pairs = value.object else { throw bad("__metadata__ is \(value.kindName), not an object") }
                for (k, v) in pairs {
                    guard let s = v.string else { throw bad("__metadata__ value for '\(k)' is \(v.kindName), not a string") }
                    metadata[k] = s
                }
                continue
            }
            guard value.object != nil else { throw bad("tensor '\(name)' is \(value.kindName), not an object") }
            guard let dtypeName = value["dtype"]?.string else { throw bad("tensor '\(name)' has no dtype string") }
            guard let dtype = StorageDType(rawValue: dtypeName) else {
                let known = StorageDType.allCases.map(\.rawValue).joined(separator: ", ")
                throw CheckpointError(.unsupported, "\(path): tensor '\(name)' has unsupported dtype '\(dtypeName)' (supported: \(known))")
            }
            guard let dims = value["shape"]?.array else { throw bad("tensor '\(name)' has no shape array") }
            var shape: [Int] = []
            for dim in dims {
                guard let d = dim.int, d >= 0 else { throw bad("tensor '\(name)' has an invalid dimension in its shape") }
                shape.append(d)
            }
            guard let offsets = value["data_offsets"]?.array, offsets.count == 2,
                  let begin = offsets[0].int, let end = offsets[1].int, begin >= 0, end >= 0 else {
                throw bad("tensor '\(name)' needs data_offsets [begin, end] of two non-negative integers")
            }
            guard begin <= end else { throw bad("tensor '\(name)' has data_offsets [\(begin), \(end)) with begin after end") }
            guard end <= dataCount else {
                throw bad("tensor '\(name)' has data_offsets [\(begin), \(end)) past the end of the \(dataCount)-byte data buffer")
            }
            guard let expected = checkedByteCount(shape, dtype.size) else {
                throw bad("tensor '\(name)' has shape \(shape) whose byte count overflows")
            }
            guard expected == end - begin else {
                throw bad("tensor '\(name)' has shape \(shape) \(dtypeName) = \(expected) bytes but data_offsets [\(begin), \(end)) hold \(end - begin)")
            }
            entries[name] = (TensorInfo(dtype: dtype, shape: shape), dataStart + begin, end - begin)
            ranges.append((begin, end, name))
        }

        ranges.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var covered = 0
        var previous = ""
        for r in ranges {
            if r.begin < covered {
                throw bad("tensors '\(previous)' and '\(r.name)' overlap in the data buffer (at byte \(r.begin))")
            }
            if r.begin > covered {
                throw bad("gap of \(r.begin - covered) bytes before tensor '\(r.name)' in the data buffer")
            }
            covered = r.end
            previous = r.name
        }
        guard covered == dataCount else {
            throw bad("data buffer is \(dataCount) bytes but the tensors cover only \(covered)")
        }
        self.metadata = metadata
        self.entries = entries
        self.tensorNames = entries.keys.sorted()
    }

    public func info(named name: String) -> TensorInfo? { entries[name]?.info }

    public func storedTensor(named name: String) throws -> StoredTensor? {
        guard let e = entries[name], let view = file.slice(e.offset, e.count) else { return nil }
        return StoredTensor(dtype: e.info.dtype, shape: e.info.shape, bytes: view, owner: file)
    }
}
