import Foundation

// Port of transformers 5.25 models/vilt/modeling_vilt.py: TextEmbeddings, ViltPatchEmbeddings and
// ViltEmbeddings.visual_embed (interpolated positions, pixel mask, patch selection) as it runs in eval.

/// The image half of a ViLT sequence, computed once per image and shared by every question:
/// `[CLS ; valid patches] + positions + modality type 1`, (1 + k, D).
public struct ViltImageTokens: @unchecked Sendable {
    public let tokens: Tensor
    /// (rows, columns) of the valid patch grid.
    public let grid: (rows: Int, cols: Int)
    public var count: Int { tokens.shape[0] }
}

/// Text (BERT-style: word + token type + position, LayerNorm) and image (patch + interpolated
/// position) embeddings, each plus its modality-type embedding.
public struct ViltEmbeddings: @unchecked Sendable {
    public let words: Tensor
    public let textPositions: Tensor
    public let tokenTypes: Tensor
    public let textNorm: LayerNorm
    public let clsToken: Tensor
    /// The patch Conv2d as a Linear over (c, ky, kx)-ordered patches.
    public let patchProjection: Linear
    /// (1 + g², D): CLS position then the g x g training grid, row-major.
    public let positions: Tensor
    public let modalityTypes: Tensor
    public let patchSize: Int
    public let trainedGrid: Int
    public let maxImageLength: Int
    private let cache = ViltPositionCache()

    public var dim: Int { clsToken.count }

    public init(_ w: WeightLoader, config c: ViltConfiguration) throws {
        let d = c.hiddenSize, p = c.patchSize, g = c.imageSize / c.patchSize
        let text = w.scoped("text_embeddings")
        words = try text("word_embeddings.weight", shape: [c.vocabSize, d])
        textPositions = try text("position_embeddings.weight", shape: [c.maxPositionEmbeddings, d])
        tokenTypes = try text("token_type_embeddings.weight", shape: [c.typeVocabSize, d])
        textNorm = try LayerNorm(text.scoped("LayerNorm"), dim: d, eps: c.layerNormEps)
        clsToken = try w("cls_token", shape: [d])
        let projection = w.scoped("patch_embeddings.projection")
        patchProjection = Linear(weight: try projection("weight", shape: [d, c.numChannels, p, p]).reshaped([d, c.numChannels * p * p]),
                                 bias: try projection("bias", shape: [d]))
        positions = try w("position_embeddings", shape: [1 + g * g, d])
        modalityTypes = try w("token_type_embeddings.weight", shape: [c.modalityTypeVocabSize, d])
        patchSize = p
        trainedGrid = g
        maxImageLength = c.maxImageLength
    }

    /// Text embeddings of `ids` (token type 0: the tokenizer gives one sequence) plus modality type 0: (n, D).
    public func text(_ ids: [Int]) throws -> Tensor {
        let d = dim, vocab = words.shape[0]
        guard ids.count <= textPositions.shape[0] else {
            throw InputError("question has \(ids.count) tokens, more than max_position_embeddings \(textPositions.shape[0])")
        }
        let out = Tensor(zeros: [ids.count, d])
        for (t, id) in ids.enumerated() {
            guard id >= 0 && id < vocab else { throw InputError("token id \(id) outside the vocabulary of \(vocab)") }
            let row = out.pointer + t * d
            simdZip(words.pointer + id * d, tokenTypes.pointer, row, d) { $0 + $1 }
            simdZip(row, textPositions.pointer + t * d, row, d) { $0 + $1 }
        }
        textNorm.forward(out, into: out)
        for t in 0 ..< ids.count { simdZip(out.pointer + t * d, modalityTypes.pointer, out.pointer + t * d, d) { $0 + $1 } }
        return out
    }

    /// The image tokens of `pixels` (1, C, H, W) with `pixelMask` (H·W, 1 = real pixel; nil: all real).
    ///
    /// A patch is valid when the mask is 1 at its top-left pixel (transformers' nearest resize of the
    /// mask to the patch grid). Positions: the trained grid resized bilinearly (align_corners) to the
    /// valid rows x columns. In eval transformers keeps every valid patch (in a random order, which
    /// attention cannot see) and pads the batch with masked patches; here only valid patches are kept.
    /// With a positive `max_image_length` below the valid count transformers samples a random subset;
    /// this port keeps an evenly spaced one (deterministic) instead.
    public func image(_ pixels: Tensor, pixelMask: [UInt8]?, workspace ws: Workspace) throws -> ViltImageTokens {
        guard pixels.rank == 4, pixels.shape[0] == 1, pixels.shape[1] * patchSize * patchSize == patchProjection.inFeatures else {
            throw InputError("pixel values have shape \(pixels.shape), expected (1, channels, height, width)")
        }
        let (h, w) = (pixels.shape[2], pixels.shape[3])
        let (gh, gw) = (h / patchSize, w / patchSize)
        guard gh > 0, gw > 0 else { throw InputError("image \(w)x\(h) is smaller than one \(patchSize)-pixel patch") }
        if let pixelMask, pixelMask.count != h * w {
            throw InputError("pixel mask has \(pixelMask.count) values for a \(w)x\(h) image")
        }
        func valid(_ i: Int, _ j: Int) -> Bool { pixelMask.map { $0[(i * patchSize) * w + j * patchSize] != 0 } ?? true }
        // x_h / x_w: valid rows in the first column, valid columns in the first row.
        let rows = (0 ..< gh).filter { valid($0, 0) }.count, cols = (0 ..< gw).filter { valid(0, $0) }.count
        var selected = (0 ..< gh * gw).filter { valid($0 / gw, $0 % gw) }
        guard !selected.isEmpty else { throw InputError("pixel mask marks no patch of the \(w)x\(h) image as valid") }
        if maxImageLength > 0 && selected.count > maxImageLength {
            let all = selected
            selected = (0 ..< maxImageLength).map { all[$0 * all.count / maxImageLength] }
        }
        let d = dim
        let grid = rows > 0 && cols > 0 ? cache.positions(positions, trained: trainedGrid, rows: rows, cols: cols) : nil
        let patches = ws.tensor("vilt.patches", [1, gh * gw, d])
        let cols2 = Ops.patches(pixels, patch: patchSize)
        patchProjection.forward(cols2, into: patches)
        let out = Tensor(zeros: [1 + selected.count, d])
        simdZip(clsToken.pointer, positions.pointer, out.pointer, d) { $0 + $1 }
        for (k, index) in selected.enumerated() {
            let (i, j) = (index / gw, index % gw)
            let dst = out.pointer + (1 + k) * d
            dst.update(from: patches.pointer + index * d, count: d)
            // Patches outside the x_h x x_w rectangle get a zero position (transformers pads the grid).
            if let grid, i < rows, j < cols { simdZip(dst, grid.pointer + (i * cols + j) * d, dst, d) { $0 + $1 } }
        }
        let imageType = modalityTypes.pointer + d
        for k in 0 ..< out.shape[0] { simdZip(out.pointer + k * d, imageType, out.pointer + k * d, d) { $0 + $1 } }
        return ViltImageTokens(tokens: out, grid: (rows, cols))
    }
}

/// Interpolated position grids by size: computed once per (rows, cols), reused every frame.
final class ViltPositionCache: @unchecked Sendable {
    private let lock = NSLock()
    private var cache: [Int: Tensor] = [:]

    func positions(_ stored: Tensor, trained g: Int, rows: Int, cols: Int) -> Tensor {
        lock.lock(); defer { lock.unlock() }
        let key = rows << 32 | cols
        if let t = cache[key] { return t }
        let t = Self.interpolate(stored, trained: g, rows: rows, cols: cols)
        if cache.count > 64 { cache.removeAll() }  // bounded: sizes come from outside
        cache[key] = t
        return t
    }

    /// torch's bilinear `interpolate(..., align_corners=True)` of the g x g patch positions to
    /// rows x cols: (rows·cols, D), row-major. Source index = dst · (in − 1)/(out − 1).
    static func interpolate(_ stored: Tensor, trained g: Int, rows: Int, cols: Int) -> Tensor {
        let d = stored.shape[1]
        func taps(_ output: Int) -> [(Int, Int, Float)] {
            let scale: Float = output > 1 ? Float(g - 1) / Float(output - 1) : 0
            return (0 ..< output).map { o in
                let s = scale * Float(o)
                let i0 = min(Int(s), g - 1), i1 = i0 < g - 1 ? i0 + 1 : i0
                return (i0, i1, s - Float(i0))
            }
        }
        let ys = taps(rows), xs = taps(cols)
        let out = Tensor(zeros: [rows * cols, d])
        let grid = stored.pointer + d
        for (r, (y0, y1, ly)) in ys.enumerated() {
            for (c, (x0, x1, lx)) in xs.enumerated() {
                let dst = out.pointer + (r * cols + c) * d
                let p00 = grid + (y0 * g + x0) * d, p01 = grid + (y0 * g + x1) * d
                let p10 = grid + (y1 * g + x0) * d, p11 = grid + (y1 * g + x1) * d
                let (hy, hx) = (1 - ly, 1 - lx)
                for k in 0 ..< d {
                    dst[k] = hy * (hx * p00[k] + lx * p01[k]) + ly * (hx * p10[k] + lx * p11[k])
                }
            }
        }
        return out
    }
}
