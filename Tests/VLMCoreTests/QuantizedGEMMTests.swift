import Foundation
import Testing
@testable import VLMCore

/// The int8 and bf16 kernels against Double references, on every dispatch path this CPU can run
/// (forced one by one, the portable loop included). Serialized: the dispatch hooks are process-wide.
@Suite(.serialized) struct QuantizedGEMMTests {
    /// Shapes: row counts across the 8- and 4-row tiles and their tails, N not a multiple of 16 (odd
    /// panel counts, partial panels), K not a multiple of 4, one product split over threads.
    static let shapes: [(m: Int, n: Int, k: Int)] = {
        var s = (1 ... 20).map { m in (m: m, n: [1, 15, 16, 17, 33, 50][m % 6], k: [1, 7, 13, 64, 100][m % 5]) }
        s += [(5, 40, 769), (13, 17, 1601), (70, 20, 9), (37, 48, 30), (8, 130, 1010), (2, 24, 2700)]
        return s
    }()

    /// The C quantizer's rounding, replicated in Float: scale max|v|/qmax, q = rint(v * qmax/max|v|).
    static func quantize(_ v: [Float], qmax: Float) -> (q: [Int], scale: Float) {
        let amax = v.reduce(Float(0)) { max($0, abs($1)) }
        let inv: Float = amax > 0 ? qmax / amax : 0
        return (v.map { Int(min(max(($0 * inv).rounded(.toNearestOrEven), -qmax), qmax)) }, amax / qmax)
    }

    /// One int8 product on `path`; returns (worst error vs the exact integer reference divided by its
    /// fp32 allowance, worst error vs the unquantized Double product divided by the quantization bound).
    static func int8Errors(path: Int32, m: Int, n: Int, k: Int, variant: Int, smooth: Bool, seed: UInt64) -> (Double, Double) {
        let bias = variant & 1 != 0, accumulate = variant & 2 != 0, gelu = variant >= 4
        var rng = TestRNG(seed)
        let ldx = k + 3, ldc = n + 5
        var x = (0 ..< m * ldx).map { _ in rng.next() }
        if k > 4 { for i in 0 ..< m { x[i * ldx + 2] *= 30 } }  // an outlier channel
        let w = (0 ..< n * k).map { _ in rng.next() }
        let b = (0 ..< n).map { _ in rng.next() }
        var c = (0 ..< m * ldc).map { _ in rng.next() }
        let before = c
        let s: [Float]? = smooth ? (0 ..< k).map { p in p == 2 ? 5.5 : 1 + Float(p % 3) * 0.25 } : nil
        let weight = w.withUnsafeBufferPointer { Int8PackedWeight($0.baseAddress!, n: n, k: k, ldw: k, smoothing: s) }
        #expect(QuantizedGEMM.forceInt8Path(path))
        x.withUnsafeBufferPointer { xp in
            b.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    QuantizedGEMM.int8(m: m, x: xp.baseAddress!, ldx: ldx, weight: weight, bias: bias ? bp.baseAddress! : nil,
                                       accumulate: accumulate, activation: gelu ? .quickGELU : .identity, c: cp.baseAddress!, ldc: ldc)
                }
            }
        }
        QuantizedGEMM.forceInt8Path(nil)
        let qmax = Float(QuantizedGEMM.int8ActivationMax(path: path))
        let inv = s?.map { 1 / $0 }
        let qw = (0 ..< n).map { j in quantize((0 ..< k).map { p in s.map { w[j * k + p] * $0[p] } ?? w[j * k + p] }, qmax: 127) }
        var exactWorst = 0.0, quantWorst = 0.0
        for i in 0 ..< m {
            let row = (0 ..< k).map { p in inv.map { x[i * ldx + p] * $0[p] } ?? x[i * ldx + p] }
            let qx = quantize(row, qmax: qmax)
            for j in 0 ..< ldc {
                let got = Double(c[i * ldc + j])
                guard j < n else {
                    if got != Double(before[i * ldc + j]) { return (.infinity, .infinity) }
                    continue
                }
                var dot = 0, exact = 0.0, bound = 0.0
                for p in 0 ..< k {
                    dot += qx.q[p] * qw[j].q[p]
                    let xv = Double(row[p]), wv = Double(s.map { w[j * k + p] * $0[p] } ?? w[j * k + p])
                    exact += xv * wv
                    bound += abs(xv) * Double(qw[j].scale) / 2 + abs(wv) * Double(qx.scale) / 2 + Double(qx.scale * qw[j].scale) / 4
                }
                var ref = Double(dot) * Double(qw[j].scale) * Double(qx.scale), magnitude = abs(ref)
                var add = 0.0
                if bias { add += Double(b[j]); magnitude += abs(Double(b[j])) }
                if accumulate { add += Double(before[i * ldc + j]); magnitude += abs(Double(before[i * ldc + j])) }
                ref += add
                exact += add
                if gelu {
                    ref /= 1 + Foundation.exp(-1.702 * ref)
                    exact /= 1 + Foundation.exp(-1.702 * exact)
                    magnitude *= 2
                    bound *= 1.13
                }
                exactWorst = max(exactWorst, abs(got - ref) / (1e-6 * (magnitude + 1)))
                quantWorst = max(quantWorst, abs(got - exact) / (bound + 1e-5 * (magnitude + 1)))
            }
        }
        return (exactWorst, quantWorst)
    }

    func checkInt8(path: Int32) {
        for (index, s) in Self.shapes.enumerated() {
            for variant in [0, 1, 2, 3, 4, 5] {
                let (exact, quant) = Self.int8Errors(path: path, m: s.m, n: s.n, k: s.k, variant: variant,
                                                     smooth: index % 2 == 1, seed: UInt64(index * 8 + variant))
                let where_ = "\(QuantizedGEMM.pathName(path)) m \(s.m) n \(s.n) k \(s.k) variant \(variant)"
                #expect(exact <= 1, "\(where_): \(exact)x the allowance off the integer reference")
                #expect(quant <= 1, "\(where_): \(quant)x the quantization error bound")
            }
        }
    }

    @Test func everyInt8PathThisCPUCanRunMatchesTheReference() {
        let paths = QuantizedGEMM.availableInt8Paths
        #expect(paths.first == 0, "the portable path always runs")
        for path in paths { checkInt8(path: path) }
        // Say which paths ran (visible with --verbose), and that a VNNI machine tested its zmm kernel.
        print("int8 paths tested: \(paths.map(QuantizedGEMM.pathName))")
    }

    @Test func vnniAndPortableAgreeBitForBit() throws {
        // Same integers, same epilogue order: identical outputs without the activation polynomial.
        for path in QuantizedGEMM.availableInt8Paths where QuantizedGEMM.int8ActivationMax(path: path) == 127 {
            var rng = TestRNG(7)
            let (m, n, k) = (29, 70, 301)
            let x = (0 ..< m * k).map { _ in rng.next() }, w = (0 ..< n * k).map { _ in rng.next() }
            let weight = w.withUnsafeBufferPointer { Int8PackedWeight($0.baseAddress!, n: n, k: k, ldw: k) }
            func run(_ p: Int32) -> [Float] {
                var c = [Float](repeating: 0, count: m * n)
                QuantizedGEMM.forceInt8Path(p)
                defer { QuantizedGEMM.forceInt8Path(nil) }
                x.withUnsafeBufferPointer { xp in
                    c.withUnsafeMutableBufferPointer { cp in
                        QuantizedGEMM.int8(m: m, x: xp.baseAddress!, ldx: k, weight: weight, bias: nil, accumulate: false,
                                           c: cp.baseAddress!, ldc: n)
                    }
                }
                return c
            }
            #expect(run(path) == run(0), "\(QuantizedGEMM.pathName(path)) differs from the portable loop")
        }
    }

    /// Operands where every `vpmaddubsw` pair is the largest product (|q| = 127 on both sides, the
    /// signs aligned or opposed): an AVX2 kernel on u8-offset activations would saturate its int16 pairs here. Every
    /// path must return the exact integer product (±127·127·k per output, times the two scales).
    @Test func extremeOperandsAreExactOnEveryPath() {
        let (m, n, k) = (6, 33, 260)
        // Row i: +1/-1 patterns; column j: the same patterns, so dots run from -k to +k in 127² steps.
        func sign(_ a: Int, _ p: Int) -> Float { (a + p / (a % 4 + 1)) % 2 == 0 ? 1 : -1 }
        let x = (0 ..< m * k).map { sign($0 / k, $0 % k) * 3 }
        let w = (0 ..< n * k).map { sign($0 / k % 7, $0 % k) * 0.5 }
        let weight = w.withUnsafeBufferPointer { Int8PackedWeight($0.baseAddress!, n: n, k: k, ldw: k) }
        for path in QuantizedGEMM.availableInt8Paths {
            var c = [Float](repeating: .nan, count: m * n)
            #expect(QuantizedGEMM.forceInt8Path(path))
            x.withUnsafeBufferPointer { xp in
                c.withUnsafeMutableBufferPointer { cp in
                    QuantizedGEMM.int8(m: m, x: xp.baseAddress!, ldx: k, weight: weight, bias: nil, accumulate: false,
                                       c: cp.baseAddress!, ldc: n)
                }
            }
            QuantizedGEMM.forceInt8Path(nil)
            var worst = 0.0
            for i in 0 ..< m {
                for j in 0 ..< n {
                    // Scales 3/127 and 0.5/127 with q = ±127: the product is exactly 1.5 · Σ signs.
                    let dot = (0 ..< k).reduce(0.0) { $0 + Double(sign(i, $1) * sign(j % 7, $1)) } * 1.5
                    worst = max(worst, abs(Double(c[i * n + j]) - dot) / (1e-6 * (abs(dot) + 1)))
                }
            }
            #expect(worst <= 1, "\(QuantizedGEMM.pathName(path)): \(worst)x the fp32 allowance off the exact product")
        }
    }

    static func bf16(_ v: Float) -> Float {
        guard !v.isNaN else { return v }
        var u = v.bitPattern
        u = u &+ 0x7fff &+ ((u >> 16) & 1)
        return Float(bitPattern: u & 0xffff_0000)
    }

    func checkBF16(portable: Bool) {
        QuantizedGEMM.forceBF16Portable(portable)
        defer { QuantizedGEMM.forceBF16Portable(false) }
        for (index, s) in Self.shapes.enumerated() {
            for variant in [0, 3, 4] {
                var rng = TestRNG(UInt64(100 + index * 8 + variant))
                let (m, n, k) = s
                let ldx = k + 1, ldc = n + 3
                let x = (0 ..< m * ldx).map { _ in rng.next() }, w = (0 ..< n * k).map { _ in rng.next() }
                let b = (0 ..< n).map { _ in rng.next() }
                var c = (0 ..< m * ldc).map { _ in rng.next() }
                let before = c
                let weight = w.withUnsafeBufferPointer { BF16PackedWeight($0.baseAddress!, n: n, k: k, ldw: k) }
                x.withUnsafeBufferPointer { xp in
                    b.withUnsafeBufferPointer { bp in
                        c.withUnsafeMutableBufferPointer { cp in
                            QuantizedGEMM.bf16(m: m, x: xp.baseAddress!, ldx: ldx, weight: weight,
                                               bias: variant & 1 != 0 ? bp.baseAddress! : nil, accumulate: variant & 2 != 0,
                                               activation: variant == 4 ? .quickGELU : .identity, c: cp.baseAddress!, ldc: ldc)
                        }
                    }
                }
                var worst = 0.0
                for i in 0 ..< m {
                    for j in 0 ..< n {
                        var sum = 0.0, magnitude = 0.0
                        for p in 0 ..< k {
                            let t = Double(Self.bf16(x[i * ldx + p])) * Double(Self.bf16(w[j * k + p]))
                            sum += t
                            magnitude += abs(t)
                        }
                        if variant & 1 != 0 { sum += Double(b[j]); magnitude += abs(Double(b[j])) }
                        if variant & 2 != 0 { sum += Double(before[i * ldc + j]); magnitude += abs(Double(before[i * ldc + j])) }
                        if variant == 4 { sum /= 1 + Foundation.exp(-1.702 * sum); magnitude *= 2 }
                        worst = max(worst, abs(Double(c[i * ldc + j]) - sum) / (4e-7 * (magnitude + 1) * Double(max(k, 8)).squareRoot()))
                    }
                }
                #expect(worst <= 1, "bf16 \(portable ? "portable" : "kernel") m \(m) n \(n) k \(k) variant \(variant): \(worst)x allowed")
            }
        }
    }

    @Test func bf16KernelMatchesDoubleReference() {
        withKnownIssue("no AVX512_BF16 on this CPU: only the portable bf16 loop can be tested", isIntermittent: true) {
            #expect(QuantizedGEMM.bf16Runs)
        }
        checkBF16(portable: false)
    }

    @Test func forcedPortableBF16MatchesDoubleReference() { checkBF16(portable: true) }

    @Test func linearSwitchesPrecisionAndBackToExactFP32() {
        var rng = TestRNG(11)
        let linear = Linear(weight: rng.tensor([96, 200]), bias: rng.tensor([96]))
        let x = rng.tensor([33, 200])
        let fp32 = linear(x).values
        for p in [Precision.int8, .bf16] {
            linear.setPrecision(p)
            let reduced = linear(x).values
            let scale = fp32.reduce(Float(0)) { max($0, abs($1)) }
            let dev = maxAbsDiff(fp32, reduced) / scale
            #expect(dev > 0 && dev < (p == .int8 ? 0.03 : 0.01), "\(p): max deviation \(dev) of the output range")
        }
        linear.setPrecision(.fp32)
        #expect(linear(x).values == fp32, "back in fp32 the output is bit-identical")
    }
}
