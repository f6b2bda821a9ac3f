/// Token embeddings of the CLIP family (transformers' CLIPVisionEmbeddings, CLIPTextEmbeddings).

/// Errors from model inputs (not weights): wrong image size, token ids out of range, …
public struct InputError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// `[class_embedding ; patches · Wᵀ] + position_embedding`; keys `class_embedding`,
/// `patch_embedding.weight` (a bias-free Conv2d with stride = kernel = patch), `position_embedding.weight`.
public struct VisionEmbeddings: @unchecked Sendable {
    public let classEmbedding: Tensor
    /// The Conv2d weight viewed as (D, C·p·p): the patch embedding is one GEMM over im2col patches.
    public let patchWeight: Tensor
    /// (1 + grid², D) at the training resolution.
    public let positionEmbedding: Tensor
    public let patchSize: Int
    public let imageSize: Int
    public let channels: Int
    /// Called when the input grid differs from the trained one (CLIPSeg at 352 px): receives the
    /// stored positions and the new grid (rows, columns), returns (1 + rows·columns, D). Nil: such
    /// inputs are refused.
    public var interpolatePositions: ((Tensor, Int, Int) -> Tensor)?

    public var dim: Int { classEmbedding.count }

    public init(_ w: WeightLoader, dim: Int, channels: Int, imageSize: Int, patchSize: Int) throws {
        let grid = imageSize / patchSize
        classEmbedding = try w("class_embedding", shape: [dim])
        patchWeight = try w("patch_embedding.weight", shape: [dim, channels, patchSize, patchSize])
            .reshaped([dim, channels * patchSize * patchSize])
        positionEmbedding = try w("position_embedding.weight", shape: [grid * grid + 1, dim])
        self.patchSize = patchSize
        self.imageSize = imageSize
        self.channels = channels
    }

    /// Embeds `pixels` (B, C, H, W) into (B, 1 + (H/p)·(W/p), D).
    public func forward(_ pixels: Tensor, workspace ws: Workspace) throws -> Tensor {
        guard pixels.rank == 4, pixels.shape[1] == channels else {
            throw InputError("pixel values have shape \(pixels.shape), expected (batch, \(channels), height, width)")
        }
        let (b, h, w) = (pixels.shape[0], pixels.shape[2], pixels.shape[3])
        let (gh, gw) = (h / patchSize, w / patchSize)
        var positions = positionEmbedding
        if h != imageSize || w != imageSize {
            guard let interpolate = interpolatePositions else {
                throw InputError("input image size (\(h)*\(w)) doesn't match model (\(imageSize)*\(imageSize))")
            }
            positions = interpolate(positionEmbedding, gh, gw)
            guard positions.shape == [gh * gw + 1, dim] else {
                throw InputError("interpolated positions have shape \(positions.shape), expected \([gh * gw + 1, dim])")
            }
        }
        let cols = Ops.patches(pixels, patch: patchSize)
        let patches = ws.tensor("embed.patches", [b, gh * gw, dim])
        Profiler.measure(.gemm) { MatMul.matmul(cols, patchWeight, transposeB: true, into: patches) }
        let n = gh * gw + 1
        let out = Tensor(zeros: [b, n, dim])
        Profiler.measure(.embedding) {
            for bi in 0 ..< b {
                let dst = out.pointer + bi * n * dim
                Ops.add(classEmbedding, positions.rows(0 ..< 1), into: Tensor(shape: [dim], storage: out.storage, offset: bi * n * dim))
                simdZip(patches.pointer + bi * (n - 1) * dim, positions.pointer + dim, dst + dim, (n - 1) * dim) { $0 + $1 }
            }
        }
        withExtendedLifetime(positions) {}
        return out
    }
}

/// `token_embedding[ids] + position_embedding[0..<N]`; keys `token_embedding.weight`, `position_embedding.weight`.
public struct TextEmbeddings: @unchecked Sendable {
    public let tokenEmbedding: Tensor
    public let positionEmbedding: Tensor

    public var dim: Int { tokenEmbedding.shape[1] }
    public var maxPositions: Int { positionEmbedding.shape[0] }

    public init(_ w: WeightLoader, dim: Int, vocabSize: Int, maxPositions: Int) throws {
        tokenEmbedding = try w("token_embedding.weight", shape: [vocabSize, dim])
        positionEmbedding = try w("position_embedding.weight", shape: [maxPositions, dim])
    }

    /// Embeds the first `length` tokens of each sequence in `ids` (equal lengths) into (B, length, D).
    public func forward(_ ids: [[Int]], length: Int? = nil) throws -> Tensor {
        let full = ids.first?.count ?? 0
        guard ids.allSatisfy({ $0.count == full }) else { throw InputError("token sequences differ in length: \(ids.map(\.count))") }
        let n = min(length ?? full, full)
        // Checked on the full length even when only a prefix is embedded, as transformers does.
        guard full <= maxPositions else {
            throw InputError("sequence length \(full) exceeds max_position_embeddings \(maxPositions)")
        }
        let vocab = tokenEmbedding.shape[0], d = dim
        let out = Tensor(zeros: [ids.count, n, d])
        try Profiler.measure(.embedding) {
            for (b, seq) in ids.enumerated() {
                for t in 0 ..< n {
                    let id = seq[t]
                    guard id >= 0 && id < vocab else { throw InputError("token id \(id) outside the vocabulary of \(vocab)") }
                    simdZip(tokenEmbedding.pointer + id * d, positionEmbedding.pointer + t * d, out.pointer + (b * n + t) * d, d) { $0 + $1 }
                }
            }
        }
        return out
    }
}
