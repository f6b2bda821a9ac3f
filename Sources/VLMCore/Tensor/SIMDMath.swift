/// Vectorised transcendental functions on 16 floats (one AVX-512 register) and the loop helper
/// every elementwise kernel uses. Accuracy is a few ulp, checked against libm in the tests.

typealias F16x = SIMD16<Float>

// The standard library's pointwiseMin/pointwiseMax/clamped are not vectorised (≈100x slower
// than a multiply); these lane loops compile to single vmin/vmax/blend instructions.
@inline(__always) func vmin(_ a: F16x, _ b: F16x) -> F16x {
    var r = a
    for i in 0 ..< 16 { r[i] = a[i] < b[i] ? a[i] : b[i] }
    return r
}

@inline(__always) func vmax(_ a: F16x, _ b: F16x) -> F16x {
    var r = a
    for i in 0 ..< 16 { r[i] = a[i] > b[i] ? a[i] : b[i] }
    return r
}

/// `negative` where `x < 0`, else `x`.
@inline(__always) func vselectNegative(_ x: F16x, _ negative: F16x) -> F16x {
    var r = x
    for i in 0 ..< 16 { r[i] = x[i] < 0 ? negative[i] : x[i] }
    return r
}

/// exp(x): Cephes' expf polynomial; inputs clamped to [-87.3, 88.3] (so exp(-inf) ≈ 1e-38, not 0).
@inline(__always)
func simdExp(_ x: F16x) -> F16x {
    let x = vmin(vmax(x, F16x(repeating: -87.3)), F16x(repeating: 88.3))
    // Round x/ln2 to the nearest integer with the 1.5·2^23 trick: its bits then hold n.
    let magic = F16x(repeating: 12582912.0)
    let t = x * 1.44269504088896341 + magic
    let n = t - magic
    var r = x - n * 0.693359375
    r = r - n * -2.12194440e-4
    var p = F16x(repeating: 1.9875691500e-4)
    p = p * r + 1.3981999507e-3
    p = p * r + 8.3334519073e-3
    p = p * r + 4.1665795894e-2
    p = p * r + 1.6666665459e-1
    p = p * r + 5.0000001201e-1
    p = p * (r * r) + r + 1
    let ni = unsafeBitCast(t, to: SIMD16<Int32>.self) &- 0x4B40_0000
    let scale = unsafeBitCast((ni &+ 127) &<< 23, to: F16x.self)
    return p * scale
}

/// erf(x): Eigen's rational approximation (odd numerator degree 13 / even denominator degree 8)
/// on x clamped to [-4, 4], where erf is ±1 in fp32.
@inline(__always)
func simdErf(_ x: F16x) -> F16x {
    let x = vmin(vmax(x, F16x(repeating: -4)), F16x(repeating: 4))
    let x2 = x * x
    var p = x2 * -2.72614225801306e-10 + 2.77068142495902e-08
    p = p * x2 + -2.10102402082508e-06
    p = p * x2 + -5.69250639462346e-05
    p = p * x2 + -7.34990630326855e-04
    p = p * x2 + -2.95459980854025e-03
    p = p * x2 + -1.60960333262415e-02
    p = p * x
    var q = x2 * -1.45660718464996e-05 + -2.13374055278905e-04
    q = q * x2 + -1.68282697438203e-03
    q = q * x2 + -7.37332916720468e-03
    q = q * x2 + -1.42647390514189e-02
    return p / q
}

// The loop helpers below count with wrapping arithmetic (&+): VLMCore is built with overflow
// checks on (-O), and a check per 16 floats measurably slowed the activation kernels (~7 %).
// `i` only runs from 0 up to `n`, a tensor's element count, so it cannot overflow.

/// Applies `f` to `n` floats at `x` in place, 16 at a time (the tail is padded with zeros).
@inline(__always)
func simdTransform(_ x: UnsafeMutablePointer<Float>, _ n: Int, _ f: (F16x) -> F16x) {
    var i = 0
    while i &+ 16 <= n {
        let v = UnsafeRawPointer(x + i).loadUnaligned(as: F16x.self)
        UnsafeMutableRawPointer(x + i).storeBytes(of: f(v), as: F16x.self)
        i &+= 16
    }
    if i < n {
        var v = F16x()
        for j in 0 ..< n &- i { v[j] = x[i &+ j] }
        let r = f(v)
        for j in 0 ..< n &- i { x[i &+ j] = r[j] }
    }
}

/// `out[i] = f(a[i], b[i])` for `n` floats, 16 at a time. `out` may alias `a` or `b`.
@inline(__always)
func simdZip(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int,
             _ f: (F16x, F16x) -> F16x) {
    var i = 0
    while i &+ 16 <= n {
        let va = UnsafeRawPointer(a + i).loadUnaligned(as: F16x.self)
        let vb = UnsafeRawPointer(b + i).loadUnaligned(as: F16x.self)
        UnsafeMutableRawPointer(out + i).storeBytes(of: f(va, vb), as: F16x.self)
        i &+= 16
    }
    if i < n {
        var va = F16x(), vb = F16x()
        for j in 0 ..< n &- i { va[j] = a[i &+ j]; vb[j] = b[i &+ j] }
        let r = f(va, vb)
        for j in 0 ..< n &- i { out[i &+ j] = r[j] }
    }
}

/// Sum and maximum of `n` floats, vectorised.
@inline(__always)
func simdSum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = F16x()
    var i = 0
    while i &+ 16 <= n { acc += UnsafeRawPointer(x + i).loadUnaligned(as: F16x.self); i &+= 16 }
    var s = acc.sum()
    while i < n { s += x[i]; i &+= 1 }
    return s
}

@inline(__always)
func simdMax(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = F16x(repeating: -.infinity)
    var i = 0
    while i &+ 16 <= n { acc = vmax(acc, UnsafeRawPointer(x + i).loadUnaligned(as: F16x.self)); i &+= 16 }
    var m = acc.max()
    while i < n { m = Swift.max(m, x[i]); i &+= 1 }
    return m
}
