/// Convolutions as GEMMs: patch embedding (non-overlapping patches), a general Conv2d via im2col,
/// and ConvTranspose2d for stride == kernel (CLIPSeg's upsampling decoder).
extension Ops {
    /// Non-overlapping `patch` x `patch` patches of `pixels` (B, C, H, W), flattened in Conv2d
    /// weight order (c, ky, kx): returns (B, gridH * gridW, C * patch * patch), patches row-major.
    /// Trailing pixels that do not fill a patch are dropped, as a stride-`patch` Conv2d does.
    public static func patches(_ pixels: Tensor, patch p: Int) -> Tensor {
        precondition(pixels.rank == 4 && p > 0, "patches: expected (B, C, H, W), got \(pixels.shape)")
        let (b, c, h, w) = (pixels.shape[0], pixels.shape[1], pixels.shape[2], pixels.shape[3])
        let (gh, gw) = (h / p, w / p)
        let out = Tensor(zeros: [b, gh * gw, c * p * p])
        Profiler.measure(.embedding) {
            let src = pixels.pointer, dst = out.pointer
            var o = 0
            for bi in 0 ..< b {
                for gy in 0 ..< gh {
                    for gx in 0 ..< gw {
                        for ci in 0 ..< c {
                            for ky in 0 ..< p {
                                let s = src + ((bi * c + ci) * h + gy * p + ky) * w + gx * p
                                (dst + o).update(from: s, count: p)
                                o += p
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// 2-D convolution, im2col + one GEMM per image. `input` (B, Cin, H, W), `weight` (Cout, Cin, kH, kW),
    /// `bias` (Cout) or nil; zero padding. Returns (B, Cout, Hout, Wout).
    public static func conv2d(_ input: Tensor, weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Int = 0) -> Tensor {
        precondition(input.rank == 4 && weight.rank == 4 && weight.shape[1] == input.shape[1],
                     "conv2d: input \(input.shape), weight \(weight.shape)")
        let (b, cin, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let (cout, kh, kw) = (weight.shape[0], weight.shape[2], weight.shape[3])
        let ho = (h + 2 * padding - kh) / stride + 1, wo = (w + 2 * padding - kw) / stride + 1
        let out = Tensor(zeros: [b, cout, ho, wo])
        let cols = Tensor(zeros: [cin * kh * kw, ho * wo])
        for bi in 0 ..< b {
            let src = input.pointer + bi * cin * h * w
            var r = 0
            for ci in 0 ..< cin {
                for ky in 0 ..< kh {
                    for kx in 0 ..< kw {
                        let row = cols.pointer + r * ho * wo
                        for oy in 0 ..< ho {
                            let iy = oy * stride - padding + ky
                            for ox in 0 ..< wo {
                                let ix = ox * stride - padding + kx
                                row[oy * wo + ox] = (iy >= 0 && iy < h && ix >= 0 && ix < w) ? src[(ci * h + iy) * w + ix] : 0
                            }
                        }
                        r += 1
                    }
                }
            }
            let dst = out.pointer + bi * cout * ho * wo
            BLAS.sgemm(m: cout, n: ho * wo, k: cin * kh * kw, a: weight.pointer, lda: cin * kh * kw,
                       b: cols.pointer, ldb: ho * wo, c: dst, ldc: ho * wo)
            if let bias {
                for co in 0 ..< cout {
                    let v = bias.pointer[co]
                    simdTransform(dst + co * ho * wo, ho * wo) { $0 + v }
                }
            }
        }
        // Raw pointers into `cols` were used above: keep it alive until here.
        withExtendedLifetime(cols) {}
        return out
    }

    /// Transposed 2-D convolution with stride == kernel size and no padding (each input pixel
    /// paints its own k x k block): one GEMM per image plus a scatter. `input` (B, Cin, H, W),
    /// `weight` (Cin, Cout, k, k), `bias` (Cout) or nil. Returns (B, Cout, H·k, W·k).
    public static func convTranspose2d(_ input: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
        precondition(input.rank == 4 && weight.rank == 4 && weight.shape[0] == input.shape[1] && weight.shape[2] == weight.shape[3],
                     "convTranspose2d: input \(input.shape), weight \(weight.shape)")
        let (b, cin, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let (cout, k) = (weight.shape[1], weight.shape[2])
        let out = Tensor(zeros: [b, cout, h * k, w * k])
        let y = Tensor(zeros: [cout * k * k, h * w])
        for bi in 0 ..< b {
            // y[(co, ky, kx), pixel] = Σ_ci weight[ci, (co, ky, kx)] · input[ci, pixel]
            BLAS.sgemm(transA: true, m: cout * k * k, n: h * w, k: cin, a: weight.pointer, lda: cout * k * k,
                       b: input.pointer + bi * cin * h * w, ldb: h * w, c: y.pointer, ldc: h * w)
            let dst = out.pointer + bi * cout * h * k * w * k
            for co in 0 ..< cout {
                let bv = bias?.pointer[co] ?? 0
                for ky in 0 ..< k {
                    for kx in 0 ..< k {
                        let src = y.pointer + ((co * k + ky) * k + kx) * h * w
                        for iy in 0 ..< h {
                            let orow = dst + (co * h * k + iy * k + ky) * w * k + kx
                            for ix in 0 ..< w { orow[ix * k] = src[iy * w + ix] + bv }
                        }
                    }
                }
            }
        }
        withExtendedLifetime(y) {}
        return out
    }
}
