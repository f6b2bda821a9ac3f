import Testing
@testable import VLMCore

/// Attention in blocks of query rows (used past 2 MiB of scores per head, e.g. OWL-ViT B/16 at
/// 768 px) equals the definition: blocks of 5 rows on 19 tokens, with causal and padding masks.
@Suite(.serialized) struct AttentionBlockingTests {
    @Test(arguments: [false, true])
    func blockedAttentionMatchesTheDefinition(causal: Bool) {
        let (b, n, heads, dh) = (2, 19, 3, 12)
        let d = heads * dh
        var rng = TestRNG(causal ? 17 : 18)
        let q = rng.tensor([b, n, d], scale: 2), k = rng.tensor([b, n, d], scale: 2), v = rng.tensor([b, n, d])
        let valid = [n, 11].map { len in (0 ..< n).map { $0 < len } }
        let out = Tensor(zeros: [b, n, d]), scores = Tensor(zeros: [n * n])
        attentionBlockOverride = 5
        defer { attentionBlockOverride = nil }
        #expect(attentionRowBlock(keys: n) == 5)
        Ops.attention(q: StridedRows(q), k: StridedRows(k), v: StridedRows(v), out: StridedRows(out), batch: b,
                      queryLength: n, keyLength: n, heads: heads, headDim: dh, scale: 1 / Float(dh).squareRoot(),
                      mask: AttentionMask(causal: causal, keyValid: valid), scores: scores.pointer)
        withExtendedLifetime(scores) {}
        let ref = naiveAttention(q, k, v, heads: heads) { bi, i, j in valid[bi][j] && (!causal || j <= i) }
        #expect(maxAbsDiff(out.values, ref) < 1e-5)
    }

    @Test func defaultBlockKeepsScoresUnderTwoMiB() {
        #expect(attentionRowBlock(keys: 577) >= 577)          // B/32 at 768 px: one block
        #expect(attentionRowBlock(keys: 2305) * 2305 * 4 <= 2 << 20)
        #expect(attentionRowBlock(keys: 100_000) == 64)
    }
}
