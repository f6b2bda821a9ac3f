/// Resampling of feature grids as torch.nn.functional.interpolate does it (not PIL: that is
/// Image/PILResize.swift). Used to stretch trained position embeddings to a new patch grid.
extension Ops {
    /// PyTorch's bicubic `interpolate(mode="bicubic", align_corners=False)` on a channels-last grid
    /// `x` (H, W, C): returns (height, width, C). Keys's cubic with a = -0.75, source index
    /// `(dst + 0.5) · in/out - 0.5` (not clamped, as torch does for cubic), taps clamped to the edge.
    /// Like torch, each output interpolates four rows horizontally, then those four vertically.
    public static func resizeBicubic(_ x: Tensor, height oh: Int, width ow: Int) -> Tensor {
        precondition(x.rank == 3 && oh > 0 && ow > 0, "resizeBicubic: expected (H, W, C), got \(x.shape) -> \(oh)x\(ow)")
        let (ih, iw, c) = (x.shape[0], x.shape[1], x.shape[2])
        let out = Tensor(zeros: [oh, ow, c])
        let ys = cubicTaps(input: ih, output: oh), xs = cubicTaps(input: iw, output: ow)
        let row = Tensor(zeros: [4, c])
        let src = x.pointer, dst = out.pointer, rows = row.pointer
        for oy in 0 ..< oh {
            let ty = ys[oy]
            for ox in 0 ..< ow {
                let tx = xs[ox]
                for k in 0 ..< 4 {
                    let r = rows + k * c
                    let line = src + ty.index[k] * iw * c
                    let (p0, p1, p2, p3) = (line + tx.index[0] * c, line + tx.index[1] * c, line + tx.index[2] * c, line + tx.index[3] * c)
                    let (w0, w1, w2, w3) = (tx.weight[0], tx.weight[1], tx.weight[2], tx.weight[3])
                    for ch in 0 ..< c { r[ch] = p0[ch] * w0 + p1[ch] * w1 + p2[ch] * w2 + p3[ch] * w3 }
                }
                let o = dst + (oy * ow + ox) * c
                let (w0, w1, w2, w3) = (ty.weight[0], ty.weight[1], ty.weight[2], ty.weight[3])
                for ch in 0 ..< c { o[ch] = rows[ch] * w0 + rows[c + ch] * w1 + rows[2 * c + ch] * w2 + rows[3 * c + ch] * w3 }
            }
        }
        withExtendedLifetime(row) {}
        return out
    }

    /// The four source indices (edge-clamped) and weights of each output position along one axis.
    static func cubicTaps(input: Int, output: Int) -> [(index: [Int], weight: [Float])] {
        let scale = Float(input) / Float(output)
        let a: Float = -0.75
        // Keys's cubic convolution: |t| <= 1 and 1 < |t| < 2.
        func near(_ t: Float) -> Float { ((a + 2) * t - (a + 3)) * t * t + 1 }
        func far(_ t: Float) -> Float { ((a * t - 5 * a) * t + 8 * a) * t - 4 * a }
        return (0 ..< output).map { o in
            let s = scale * (Float(o) + 0.5) - 0.5
            let i = Int(s.rounded(.down))
            let t = s - Float(i)
            let w = [far(t + 1), near(t), near(1 - t), far(2 - t)]
            let idx = (-1 ... 2).map { min(max(i + $0, 0), input - 1) }
            return (idx, w)
        }
    }
}

extension Ops {
    /// Bilinear resampling of one row-major plane (`height` x `width`) to `oh` x `ow`, half-pixel
    /// centres (torch `align_corners=False`, edges clamped): maps model-size masks onto the image.
    public static func resizeBilinear(_ plane: UnsafePointer<Float>, height ih: Int, width iw: Int,
                                      toHeight oh: Int, width ow: Int) -> [Float] {
        precondition(ih > 0 && iw > 0 && oh > 0 && ow > 0, "resizeBilinear: \(iw)x\(ih) -> \(ow)x\(oh)")
        func taps(_ input: Int, _ output: Int) -> [(Int, Int, Float)] {
            let scale = Float(input) / Float(output)
            return (0 ..< output).map { o in
                let s = max(0, scale * (Float(o) + 0.5) - 0.5)
                let i0 = min(Int(s), input - 1), i1 = min(i0 + 1, input - 1)
                return (i0, i1, s - Float(i0))
            }
        }
        let ys = taps(ih, oh), xs = taps(iw, ow)
        var out = [Float](repeating: 0, count: oh * ow)
        out.withUnsafeMutableBufferPointer { o in
            for (oy, (y0, y1, ty)) in ys.enumerated() {
                let r0 = plane + y0 * iw, r1 = plane + y1 * iw
                for (ox, (x0, x1, tx)) in xs.enumerated() {
                    let top = r0[x0] + (r0[x1] - r0[x0]) * tx, bottom = r1[x0] + (r1[x1] - r1[x0]) * tx
                    o[oy * ow + ox] = top + (bottom - top) * ty
                }
            }
        }
        return out
    }
}
