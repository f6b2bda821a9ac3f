import Foundation

/// Why a model could not take its weights from a checkpoint. Each names the key (and shapes).
public enum WeightError: Error, CustomStringConvertible, Equatable {
    case missing(key: String, expected: [Int])
    case shapeMismatch(key: String, expected: [Int], found: [Int])
    case unsupportedDType(key: String, dtype: String)
    case invalid(key: String, reason: String)

    public var description: String {
        switch self {
        case let .missing(key, expected): return "checkpoint has no tensor '\(key)' (expected shape \(expected))"
        case let .shapeMismatch(key, expected, found): return "tensor '\(key)' has shape \(found), expected \(expected)"
        case let .unsupportedDType(key, dtype): return "tensor '\(key)' has dtype \(dtype), expected a float type"
        case let .invalid(key, reason): return "tensor '\(key)': \(reason)"
        }
    }
}

/// Hands fp32 tensors to model constructors by checkpoint key, checking shapes.
///
/// Models ask for canonical keys (transformers' names, e.g. `vision_model.embeddings.class_embedding`)
/// through scoped loaders (`w.scoped("encoder").scoped("layers.0")`). A `sanitize` function maps
/// each stored key to its canonical key (strip a wrapper prefix, rename legacy keys) or to nil to
/// ignore it, so Swift property names never need to mirror checkpoint names.
public final class WeightLoader {
    private final class Source {
        let store: TensorStore?
        let index: [String: String]
        var rng: SplitMix64
        /// Stored names some layer asked for.
        var read: Set<String> = []
        init(store: TensorStore?, index: [String: String], seed: UInt64) {
            self.store = store
            self.index = index
            self.rng = SplitMix64(seed: seed)
        }
    }

    private let source: Source
    /// The key prefix of this scope, ending in "." (empty at the root).
    public let prefix: String

    private init(source: Source, prefix: String) {
        self.source = source
        self.prefix = prefix
    }

    /// Loads from `store`; `sanitize` maps a stored key to its canonical key (nil drops it).
    public convenience init(store: TensorStore, sanitize: (String) -> String? = { $0 }) {
        var index: [String: String] = [:]
        for name in store.tensorNames {
            if let canonical = sanitize(name) { index[canonical] = name }
        }
        self.init(source: Source(store: store, index: index, seed: 0), prefix: "")
    }

    /// A loader that invents weights of whatever shape is asked for (for benchmarks at real sizes
    /// without a download): 1-D `weight`s (layer norms) ≈ 1, everything else uniform with std 0.02, seeded.
    public static func random(seed: UInt64 = 0) -> WeightLoader {
        WeightLoader(source: Source(store: nil, index: [:], seed: seed), prefix: "")
    }

    /// A loader for the sub-module `name` (keys become `prefix + name + "." + key`).
    public func scoped(_ name: String) -> WeightLoader {
        WeightLoader(source: source, prefix: prefix + name + ".")
    }

    /// True when the checkpoint (or a random loader) can provide `key` in this scope.
    public func contains(_ key: String) -> Bool {
        source.store == nil || source.index[prefix + key] != nil
    }

    /// The tensor stored as `key` in this scope; throws naming the key unless its shape is `shape`.
    public func callAsFunction(_ key: String, shape: [Int]) throws -> Tensor {
        let full = prefix + key
        guard let store = source.store else { return randomTensor(full, shape) }
        guard let stored = source.index[full], let raw = try store.storedTensor(named: stored) else {
            throw WeightError.missing(key: full, expected: shape)
        }
        source.read.insert(stored)
        guard raw.shape.reduce(1, *) == shape.reduce(1, *), raw.shape == shape || squeezedEqual(raw.shape, shape) else {
            throw WeightError.shapeMismatch(key: full, expected: shape, found: raw.shape)
        }
        guard let t = Tensor(stored: raw) else { throw WeightError.unsupportedDType(key: full, dtype: raw.dtype.rawValue) }
        return t.reshaped(shape)
    }

    /// Stored tensors that `sanitize` kept but no layer read, sorted: a port that forgets a weight
    /// shows up here (transformers warns "some weights of the checkpoint were not used").
    public var unreadTensors: [String] {
        source.index.values.filter { !source.read.contains($0) }.sorted()
    }

    /// One stderr line naming the unread tensors of a `model` load, except `expected` extras
    /// (buffers old checkpoints carry, e.g. `position_ids`); loading still succeeds, because real
    /// hub checkpoints carry extras no fixture has. Returns what it reported.
    @discardableResult
    public func warnUnread(model: String, expected: (String) -> Bool = WeightLoader.knownExtra) -> [String] {
        let unread = unreadTensors.filter { !expected($0) }
        if !unread.isEmpty {
            let shown = unread.prefix(20).joined(separator: ", ") + (unread.count > 20 ? ", … (\(unread.count) in all)" : "")
            FileHandle.standardError.write(Data("vlmnode: warning: some weights of the checkpoint were not used by \(model): \(shown)\n".utf8))
        }
        return unread
    }

    /// `warnUnread` for a model whose port knowingly skips `unused` checkpoint keys (beside the
    /// `knownExtra` buffers every loader drops).
    @discardableResult
    public func warnUnread(model: String, unused: Set<String>) -> [String] {
        warnUnread(model: model, expected: { WeightLoader.knownExtra($0) || unused.contains($0) })
    }

    /// Keys every CLIP-family loader drops: the `position_ids` buffers older checkpoints stored.
    public static func knownExtra(_ key: String) -> Bool { key.hasSuffix("position_ids") }

    /// Unit dimensions may differ (a scalar stored as [1], a class embedding as [1, 1, D]).
    private func squeezedEqual(_ a: [Int], _ b: [Int]) -> Bool { a.filter { $0 != 1 } == b.filter { $0 != 1 } }

    private func randomTensor(_ key: String, _ shape: [Int]) -> Tensor {
        let t = Tensor(zeros: shape)
        let isNormWeight = shape.count == 1 && key.hasSuffix(".weight")
        // Uniform with standard deviation 0.02 (fast: the real B/32 has 151 M parameters).
        let halfWidth = Float(0.02 * 3.0.squareRoot())
        for i in 0 ..< t.count {
            let u = Float(source.rng.next() >> 40) * (2 / Float(1 << 24)) - 1
            t.pointer[i] = (isNormWeight ? 1 : 0) + halfWidth * u
        }
        return t
    }
}

/// A small seeded generator (SplitMix64): reproducible random weights.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// An in-memory `TensorStore` of fp32 tensors (tests, converted weights).
public final class InMemoryTensorStore: TensorStore {
    private var tensors: [String: Tensor]
    public init(_ tensors: [String: Tensor]) { self.tensors = tensors }
    public var tensorNames: [String] { tensors.keys.sorted() }
    public func storedTensor(named name: String) throws -> StoredTensor? {
        guard let t = tensors[name] else { return nil }
        return StoredTensor(dtype: .f32, shape: t.shape,
                            bytes: UnsafeRawBufferPointer(start: t.pointer, count: t.count * 4), owner: t.storage)
    }
}
