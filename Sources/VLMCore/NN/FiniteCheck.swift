/// Refusing NaN / Inf outputs: a checkpoint whose weights hold NaN (or a config whose eps makes a
/// layer norm divide by zero) would otherwise print "nan" scores and exit 0. Checking every weight
/// at load would cost a pass over hundreds of MB; a tower's output is small and any non-finite
/// weight or eps on the path reaches it, so that is where it is checked (well under 1 % of a forward).
public struct NonFiniteOutputError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension Tensor {
    /// True when no element is NaN or ±Inf. `x * 0` is NaN exactly for those, and summing eight
    /// lanes keeps the scan vectorised.
    public var isAllFinite: Bool {
        let n = count, p = pointer
        var acc = SIMD8<Float>(repeating: 0)
        var i = 0
        while i + 8 <= n {
            acc += UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self) * 0
            i += 8
        }
        var tail: Float = 0
        while i < n { tail += p[i] * 0; i += 1 }
        return (acc.sum() + tail).isFinite
    }

    /// Throws naming `what` (e.g. "vision tower output") and the likely causes unless all finite.
    public func requireFinite(_ what: String) throws {
        guard isAllFinite else {
            throw NonFiniteOutputError("\(what) contains NaN or Inf: the checkpoint's weights hold non-finite values (or config.json's layer_norm_eps is unusable); refusing to report scores")
        }
    }
}

/// A scalar weight such as `logit_scale`, refused when NaN or ±Inf.
func requireFinite(_ value: Float, key: String) throws -> Float {
    guard value.isFinite else {
        throw NonFiniteOutputError("checkpoint tensor '\(key)' is \(value.isNaN ? "NaN" : "\(value)"), not a finite number: the checkpoint's weights hold NaN or Inf values")
    }
    return value
}
