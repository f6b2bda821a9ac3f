/// A pickle reader that can only build what a PyTorch state dict contains: dicts, lists, tuples,
/// strings, numbers, storages (by persistent id) and tensors rebuilt from them. The only globals
/// it resolves are `collections.OrderedDict`, `torch._utils._rebuild_tensor_v2`,
/// `torch._utils._rebuild_parameter` and the typed storage classes; any other global (such as
/// `posix.system` or `builtins.eval`) stops loading with an error naming it. Nothing in the file
/// is ever called: "calling" an allowed global just builds one of the values below.
indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    /// `depth`: nesting levels below and including this tuple (kept so checking it is O(1)).
    case tuple([PickleValue], depth: Int)
    case list(PickleList)
    case dict(PickleDict)
    case global(PickleGlobal)
    case storage(PickleStorage)
    case tensor(PickleTensor)
}

/// Lists and dicts are shared through the memo and filled after creation, hence classes. Once
/// nested inside another value a container is sealed: filling it later (which a state dict never
/// does) could hide unbounded nesting or a cycle behind a depth that was already checked.
class PickleContainer {
    var depth = 1
    var sealed = false
}
final class PickleList: PickleContainer { var items: [PickleValue] = [] }
final class PickleDict: PickleContainer { var entries: [(key: PickleValue, value: PickleValue)] = [] }

extension PickleValue {
    var depth: Int {
        switch self {
        case .tuple(_, let depth): return depth
        case .list(let l): return l.depth
        case .dict(let d): return d.depth
        default: return 0
        }
    }

    /// Marks lists and dicts inside as sealed (see PickleContainer).
    func seal() {
        switch self {
        case .list(let l): l.sealed = true
        case .dict(let d): d.sealed = true
        default: break
        }
    }
}

enum PickleGlobal: Equatable {
    case orderedDict, rebuildTensorV2, rebuildParameter
    case storageType(StorageDType)

    static let allowed: [String: PickleGlobal] = [
        "collections.OrderedDict": .orderedDict,
        "torch._utils._rebuild_tensor_v2": .rebuildTensorV2,
        "torch._utils._rebuild_parameter": .rebuildParameter,
        "torch.FloatStorage": .storageType(.f32), "torch.HalfStorage": .storageType(.f16),
        "torch.BFloat16Storage": .storageType(.bf16), "torch.DoubleStorage": .storageType(.f64),
        "torch.LongStorage": .storageType(.i64), "torch.IntStorage": .storageType(.i32),
        "torch.ShortStorage": .storageType(.i16), "torch.CharStorage": .storageType(.i8),
        "torch.ByteStorage": .storageType(.u8), "torch.BoolStorage": .storageType(.bool),
    ]
}

/// A storage named by a persistent id: `('storage', torch.FloatStorage, key, location, numel)`.
struct PickleStorage {
    let dtype: StorageDType
    let key: String
    let elementCount: Int
}

/// `_rebuild_tensor_v2(storage, offset, size, stride, ...)`: a strided view of a storage.
struct PickleTensor {
    let storage: PickleStorage
    let offset: Int
    let shape: [Int]
    let strides: [Int]
}

struct RestrictedUnpickler {
    private let data: UnsafeRawBufferPointer
    private let source: String
    private var at = 0
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]

    /// Reads one pickle; `source` names the file in errors.
    static func load(_ data: UnsafeRawBufferPointer, source: String) throws -> PickleValue {
        var reader = RestrictedUnpickler(data: data, source: source)
        return try reader.run()
    }

    private init(data: UnsafeRawBufferPointer, source: String) {
        self.data = data
        self.source = source
    }

    private func bad(_ message: String) -> CheckpointError {
        CheckpointError(.malformed, "\(source): pickle: \(message) (at byte \(at))")
    }

    private mutating func take(_ n: Int) throws -> UnsafeRawBufferPointer {
        guard n >= 0, n <= data.count - at else { throw bad("truncated") }
        defer { at += n }
        return UnsafeRawBufferPointer(rebasing: data[at ..< at + n])
    }
    private mutating func byte() throws -> Int { Int(try take(1)[0]) }
    private mutating func u16() throws -> Int { Int(try take(2).le16(0)) }
    private mutating func u32() throws -> Int { Int(try take(4).le32(0)) }
    private mutating func u64() throws -> Int {
        let v = try take(8).le64(0)
        guard v <= UInt64(data.count) else { throw bad("length \(v) is larger than the pickle") }
        return Int(v)
    }
    private mutating func utf8(_ n: Int) throws -> String {
        guard let s = String(validating: try take(n), as: UTF8.self) else { throw bad("string is not valid UTF-8") }
        return s
    }
    private mutating func line() throws -> String {
        guard let nl = data[at...].firstIndex(of: 0x0A) else { throw bad("unterminated GLOBAL line") }
        let text = try utf8(nl - at)
        at += 1
        return text
    }

    private mutating func pop() throws -> PickleValue {
        guard let v = stack.popLast() else { throw bad("stack underflow") }
        if let m = marks.last, stack.count < m { throw bad("stack underflow past a MARK") }
        return v
    }
    private mutating func popMark() throws -> [PickleValue] {
        guard let m = marks.popLast(), m <= stack.count else { throw bad("no MARK") }
        defer { stack.removeSubrange(m...) }
        return Array(stack[m...])
    }
    private mutating func push(_ v: PickleValue) throws {
        guard stack.count < 1_000_000 else { throw bad("stack too deep") }
        stack.append(v)
    }
    private mutating func top() throws -> PickleValue {
        guard let v = stack.last else { throw bad("stack underflow") }
        return v
    }

    private func resolve(_ module: String, _ name: String) throws -> PickleValue {
        guard let g = PickleGlobal.allowed["\(module).\(name)"] else {
            throw CheckpointError(.unsafe, "\(source): refusing global '\(module).\(name)': a state dict only needs tensor-rebuild globals (nothing was executed)")
        }
        return .global(g)
    }

    private mutating func run() throws -> PickleValue {
        while true {
            let opcode = try byte()
            switch opcode {
            case 0x80: // PROTO
                let v = try byte()
                guard v <= 5 else { throw bad("unsupported pickle protocol \(v)") }
            case 0x95: _ = try u64() // FRAME: a hint only
            case 0x2E: // STOP
                let result = try pop()
                return result
            case 0x28: marks.append(stack.count) // MARK
            case 0x7D: try push(.dict(PickleDict())) // EMPTY_DICT
            case 0x5D: try push(.list(PickleList())) // EMPTY_LIST
            case 0x29: try push(.tuple([], depth: 1)) // EMPTY_TUPLE
            case 0x74: try push(try tuple(try popMark())) // TUPLE
            case 0x85: let a = try pop(); try push(try tuple([a])) // TUPLE1
            case 0x86: let b = try pop(), a = try pop(); try push(try tuple([a, b])) // TUPLE2
            case 0x87: let c = try pop(), b = try pop(), a = try pop(); try push(try tuple([a, b, c])) // TUPLE3
            case 0x4E: try push(.none)
            case 0x88: try push(.bool(true))
            case 0x89: try push(.bool(false))
            case 0x4B: try push(.int(try byte())) // BININT1
            case 0x4D: try push(.int(try u16())) // BININT2
            case 0x4A: try push(.int(Int(Int32(bitPattern: UInt32(try u32()))))) // BININT
            case 0x8A: try push(.int(try long(try byte()))) // LONG1
            case 0x8B: try push(.int(try long(try u32()))) // LONG4
            case 0x47: // BINFLOAT, big-endian
                let raw = try take(8).loadUnaligned(as: UInt64.self)
                try push(.float(Double(bitPattern: UInt64(bigEndian: raw))))
            case 0x58: try push(.string(try utf8(try u32()))) // BINUNICODE
            case 0x8C: try push(.string(try utf8(try byte()))) // SHORT_BINUNICODE
            case 0x8D: try push(.string(try utf8(try u64()))) // BINUNICODE8
            case 0x43: try push(.bytes(Array(try take(try byte())))) // SHORT_BINBYTES
            case 0x42: try push(.bytes(Array(try take(try u32())))) // BINBYTES
            case 0x63: // GLOBAL "module\nname\n"
                let module = try line(), name = try line()
                try push(try resolve(module, name))
            case 0x93: // STACK_GLOBAL
                guard case .string(let name) = try pop(), case .string(let module) = try pop() else {
                    throw bad("STACK_GLOBAL needs two strings")
                }
                try push(try resolve(module, name))
            case 0x52: // REDUCE
                let args = try pop(), callable = try pop()
                guard case .global(let g) = callable, case .tuple(let a, _) = args else { throw bad("REDUCE needs a global and a tuple") }
                try push(try call(g, a))
            case 0x62: // BUILD: attribute state (e.g. a state dict's _metadata); nothing to apply
                let state = try pop()
                switch (try top(), state) {
                case (.dict, .dict), (.dict, .none), (.tensor, .none), (.tensor, .dict): break
                default: throw bad("BUILD on something other than a dict or tensor")
                }
            case 0x51: try push(.storage(try persistentStorage(try pop()))) // BINPERSID
            case 0x73: // SETITEM
                let value = try pop(), key = try pop()
                guard case .dict(let d) = try top() else { throw bad("SETITEM on a non-dict") }
                try insert([key, value], into: d)
                d.entries.append((key, value))
            case 0x75: // SETITEMS
                let items = try popMark()
                guard items.count % 2 == 0, case .dict(let d) = try top() else { throw bad("SETITEMS needs a dict and key/value pairs") }
                try insert(items, into: d)
                for i in stride(from: 0, to: items.count, by: 2) { d.entries.append((items[i], items[i + 1])) }
            case 0x61: // APPEND
                let value = try pop()
                guard case .list(let l) = try top() else { throw bad("APPEND on a non-list") }
                try insert([value], into: l)
                l.items.append(value)
            case 0x65: // APPENDS
                let items = try popMark()
                guard case .list(let l) = try top() else { throw bad("APPENDS on a non-list") }
                try insert(items, into: l)
                l.items.append(contentsOf: items)
            case 0x94: memo[memo.count] = try top() // MEMOIZE
            case 0x71: memo[try byte()] = try top() // BINPUT
            case 0x72: memo[try u32()] = try top() // LONG_BINPUT
            case 0x68, 0x6A: // BINGET, LONG_BINGET
                let index = opcode == 0x68 ? try byte() : try u32()
                guard let v = memo[index] else { throw bad("memo entry \(index) is missing") }
                try push(v)
            case 0x30: _ = try pop() // POP
            case 0x31: _ = try popMark() // POP_MARK
            case 0x32: try push(try top()) // DUP
            default:
                let printable = (0x21 ..< 0x7F).contains(opcode) ? " '\(Character(Unicode.Scalar(UInt8(opcode))))'" : ""
                throw bad("opcode 0x\(String(opcode, radix: 16))\(printable) is not used by state dicts and is refused")
            }
        }
    }

    static let maxDepth = 32

    private func tuple(_ items: [PickleValue]) throws -> PickleValue {
        let depth = 1 + items.reduce(0) { max($0, $1.depth) }
        guard depth <= Self.maxDepth else { throw bad("values nested deeper than \(Self.maxDepth) levels") }
        items.forEach { $0.seal() }
        return .tuple(items, depth: depth)
    }

    private func insert(_ items: [PickleValue], into container: PickleContainer) throws {
        guard !container.sealed else { throw bad("a list or dict is filled after being nested in another value") }
        for item in items {
            if case .list(let l) = item, l === container { throw bad("a list contains itself") }
            if case .dict(let d) = item, d === container { throw bad("a dict contains itself") }
            container.depth = max(container.depth, item.depth + 1)
            guard container.depth <= Self.maxDepth else { throw bad("values nested deeper than \(Self.maxDepth) levels") }
            item.seal()
        }
    }

    /// Little-endian two's complement integer of `n` bytes (LONG1/LONG4), limited to 64 bits.
    private mutating func long(_ n: Int) throws -> Int {
        guard n <= 8 else { throw bad("integer of \(n) bytes is too large") }
        let raw = try take(n)
        if n == 0 { return 0 }
        var v: UInt64 = 0
        for i in (0 ..< n).reversed() { v = v << 8 | UInt64(raw[i]) }
        if n < 8, raw[n - 1] & 0x80 != 0 { v |= ~0 << UInt64(8 * n) } // sign-extend
        return Int(Int64(bitPattern: v))
    }

    private func persistentStorage(_ pid: PickleValue) throws -> PickleStorage {
        guard case .tuple(let t, _) = pid, t.count == 5, case .string("storage") = t[0],
              case .global(.storageType(let dtype)) = t[1], case .string(let key) = t[2],
              case .int(let count) = t[4], count >= 0 else {
            throw bad("persistent id is not ('storage', torch.<Type>Storage, key, location, count)")
        }
        return PickleStorage(dtype: dtype, key: key, elementCount: count)
    }

    private func ints(_ v: PickleValue, _ what: String) throws -> [Int] {
        guard case .tuple(let items, _) = v else { throw bad("tensor \(what) is not a tuple") }
        return try items.map {
            guard case .int(let i) = $0, i >= 0 else { throw bad("tensor \(what) holds a non-integer or negative value") }
            return i
        }
    }

    private func call(_ g: PickleGlobal, _ args: [PickleValue]) throws -> PickleValue {
        switch g {
        case .orderedDict:
            guard args.isEmpty else { throw bad("OrderedDict called with arguments") }
            return .dict(PickleDict())
        case .rebuildTensorV2:
            guard args.count == 6 || args.count == 7, case .storage(let s) = args[0], case .int(let offset) = args[1], offset >= 0 else {
                throw bad("_rebuild_tensor_v2 needs (storage, offset, size, stride, requires_grad, hooks[, metadata])")
            }
            let shape = try ints(args[2], "size"), strides = try ints(args[3], "stride")
            guard shape.count == strides.count else { throw bad("tensor size \(shape) and stride \(strides) differ in rank") }
            return .tensor(PickleTensor(storage: s, offset: offset, shape: shape, strides: strides))
        case .rebuildParameter:
            guard args.count == 3, case .tensor = args[0] else { throw bad("_rebuild_parameter needs (tensor, requires_grad, hooks)") }
            return args[0]
        case .storageType:
            throw bad("a storage class may only appear in a persistent id, not be called")
        }
    }
}
