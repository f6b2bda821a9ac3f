// bf16 attention for one head (see include/vlm_attention.h): k packed as the bf16 GEMM's weight
// (n = keys, k = hd), v packed transposed (n = hd, k = keys), then per block of query rows:
// q · scale -> bf16, scores = q kᵀ (fp32), softmax rows -> bf16 probabilities, out = p v.
// Portable loops everywhere, AVX512_BF16 versions of the packing and the softmax on x86.
#include "include/vlm_attention.h"
#include "vlm_qgemm_internal.h"
#include "include/vlm_gemm.h"

#include <math.h>
#include <string.h>

enum { NR = VLM_Q_NR };

static int forced_block;

void vlm_attn_force_block_rows(int rows) { forced_block = rows > 0 ? rows : 0; }

int vlm_attn_block_rows(int keys) {
    if (forced_block) return forced_block;
    // Scores (4 bytes) and probabilities (2 bytes) of a block within ~384 KiB of L2.
    int rows = (384 * 1024) / (6 * (keys > 0 ? keys : 1));
    rows = rows / 8 * 8;
    return rows < 8 ? 8 : rows;
}

// Round to nearest even, as vlm_qgemm.c's packing and `vcvtneps2bf16` do (no NaNs reach here).
static uint16_t bf16_round(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    u += 0x7fff + ((u >> 16) & 1);
    return (uint16_t)(u >> 16);
}

static size_t align64(size_t n) { return (n + 63) / 64 * 64; }

// ---- portable pieces ----

// v (keys x hd, ldv) into the packed layout of an (hd, keys) weight: panel j/16, pair p/2.
static void pack_v_portable(const float *v, int ldv, int keys, int hd, uint16_t *vp) {
    int pairs = (keys + 1) / 2;
    memset(vp, 0, vlm_bf16_packed_bytes(hd, keys));
    for (int p = 0; p < keys; p++)
        for (int j = 0; j < hd; j++)
            vp[(size_t)(j / NR) * pairs * 32 + (size_t)(p / 2) * 32 + (j % NR) * 2 + p % 2] =
                bf16_round(v[(size_t)p * ldv + j]);
}

static void scale_q_portable(int rows, int hd, const float *q, int ldq, float scale, uint16_t *qb) {
    int re = vlm_bf16_row_elems(hd);
    for (int i = 0; i < rows; i++) {
        for (int p = 0; p < hd; p++) qb[(size_t)i * re + p] = bf16_round(q[(size_t)i * ldq + p] * scale);
        if (re > hd) qb[(size_t)i * re + hd] = 0;
    }
}

static void softmax_portable(int rows, int keys, const float *s, uint16_t *pb) {
    int re = vlm_bf16_row_elems(keys);
    for (int i = 0; i < rows; i++) {
        const float *si = s + (size_t)i * keys;
        float mx = si[0], sum = 0;
        for (int j = 1; j < keys; j++) mx = si[j] > mx ? si[j] : mx;
        for (int j = 0; j < keys; j++) sum += expf(si[j] - mx);
        float inv = 1 / sum;
        for (int j = 0; j < keys; j++) pb[(size_t)i * re + j] = bf16_round(expf(si[j] - mx) * inv);
        if (re > keys) pb[(size_t)i * re + keys] = 0;
    }
}

// ---- AVX512_BF16 pieces ----
#if defined(__x86_64__)
#include "vlm_simd_math.h"

#define T_BF16 __attribute__((target("avx2,fma,avx512f,avx512bw,avx512vl,avx512dq,avx512bf16")))

// k (keys x hd, ldk; hd even) packed as an (n = keys, k = hd) weight: for each panel of 16 keys and
// pair t of values, the 16 keys' (k[2t], k[2t+1]) side by side. Two 8-key gathers of float pairs
// give exactly that order; vcvtne2ps2bf16 rounds the 32 floats.
static T_BF16 void pack_k_avx512(const float *k, int ldk, int keys, int hd, uint16_t *kp) {
    int pairs = hd / 2, panels = (keys + NR - 1) / NR;
    __m256i idx = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(ldk));
    for (int q = 0; q < panels; q++) {
        int live = keys - q * NR < NR ? keys - q * NR : NR;
        __mmask8 m0 = (__mmask8)(live >= 8 ? 0xff : (1u << live) - 1);
        __mmask8 m1 = (__mmask8)(live >= 16 ? 0xff : live > 8 ? (1u << (live - 8)) - 1 : 0);
        const float *k0 = k + (size_t)q * NR * ldk, *k1 = k0 + (size_t)8 * ldk;
        uint16_t *panel = kp + (size_t)q * pairs * 32;
        for (int t = 0; t < pairs; t++) {
            __m512d lo = _mm512_mask_i32gather_pd(_mm512_setzero_pd(), m0, idx, k0 + 2 * t, 4);
            __m512d hi = m1 ? _mm512_mask_i32gather_pd(_mm512_setzero_pd(), m1, idx, k1 + 2 * t, 4) : _mm512_setzero_pd();
            __m512bh b = _mm512_cvtne2ps_pbh(_mm512_castpd_ps(hi), _mm512_castpd_ps(lo));
            _mm512_storeu_si512(panel + (size_t)t * 32, (__m512i)b);
        }
    }
}

// v (keys x hd, ldv) packed as an (n = hd, k = keys) weight: rows 2t and 2t+1 of a 16-value panel
// rounded and interleaved into one 64-byte group.
static T_BF16 void pack_v_avx512(const float *v, int ldv, int keys, int hd, uint16_t *vp) {
    int pairs = (keys + 1) / 2, panels = (hd + NR - 1) / NR;
    for (int q = 0; q < panels; q++) {
        int cols = hd - q * NR < NR ? hd - q * NR : NR;
        __mmask16 mk = (__mmask16)(cols >= NR ? 0xffff : (1u << cols) - 1);
        uint16_t *panel = vp + (size_t)q * pairs * 32;
        for (int t = 0; t < pairs; t++) {
            const float *r0 = v + (size_t)(2 * t) * ldv + q * NR;
            __m512 a = _mm512_maskz_loadu_ps(mk, r0);
            __m512 b = 2 * t + 1 < keys ? _mm512_maskz_loadu_ps(mk, r0 + ldv) : _mm512_setzero_ps();
            __m512i a32 = _mm512_cvtepu16_epi32((__m256i)_mm512_cvtneps_pbh(a));
            __m512i b32 = _mm512_cvtepu16_epi32((__m256i)_mm512_cvtneps_pbh(b));
            _mm512_storeu_si512(panel + (size_t)t * 32, _mm512_or_si512(a32, _mm512_slli_epi32(b32, 16)));
        }
    }
}

static T_BF16 void scale_q_avx512(int rows, int hd, const float *q, int ldq, float scale, uint16_t *qb) {
    int re = vlm_bf16_row_elems(hd);
    __m512 s = _mm512_set1_ps(scale);
    for (int i = 0; i < rows; i++) {
        const float *qi = q + (size_t)i * ldq;
        uint16_t *o = qb + (size_t)i * re;
        for (int p = 0; p < re; p += 16) {
            int n = hd - p < 16 ? hd - p : 16;  // the padding value (p = hd, hd odd) becomes 0
            __mmask16 mk = (__mmask16)(n >= 16 ? 0xffff : n > 0 ? (1u << n) - 1 : 0);
            __m256bh b = _mm512_cvtneps_pbh(_mm512_mul_ps(_mm512_maskz_loadu_ps(mk, qi + p), s));
            int w = re - p < 16 ? re - p : 16;
            _mm256_mask_storeu_epi16(o + p, (__mmask16)(w >= 16 ? 0xffff : (1u << w) - 1), (__m256i)b);
        }
    }
}

// exp(x) for x <= 0 (scores minus their row max): round-to-nearest range reduction, the Cephes
// polynomial of exp16 (~1e-7 relative), 2^n applied with vscalefps (no exponent-bit assembly).
static inline __attribute__((always_inline)) T_BF16 __m512 exp_nonpositive(__m512 x) {
    x = _mm512_max_ps(x, _mm512_set1_ps(-87.3f));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    x = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    x = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), x);
    __m512 y = _mm512_set1_ps(1.9875691500e-4f);
    y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(1.3981999507e-3f));
    y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(8.3334519073e-3f));
    y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(4.1665795894e-2f));
    y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(1.6666665459e-1f));
    y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(5.0000001201e-1f));
    y = _mm512_fmadd_ps(y, _mm512_mul_ps(x, x), _mm512_add_ps(x, _mm512_set1_ps(1.0f)));
    return _mm512_scalef_ps(y, n);
}

// Each score row (keys fp32, overwritten with exp values) -> its probabilities in bf16.
static T_BF16 void softmax_avx512(int rows, int keys, float *s, uint16_t *pb) {
    int re = vlm_bf16_row_elems(keys), tail = keys % 16;
    __mmask16 tm = (__mmask16)((1u << tail) - 1);
    for (int i = 0; i < rows; i++) {
        float *si = s + (size_t)i * keys;
        uint16_t *o = pb + (size_t)i * re;
        __m512 mx = _mm512_set1_ps(-INFINITY);
        int j = 0;
        for (; j + 16 <= keys; j += 16) mx = _mm512_max_ps(mx, _mm512_loadu_ps(si + j));
        if (tail) mx = _mm512_max_ps(mx, _mm512_mask_loadu_ps(mx, tm, si + j));
        __m512 m = _mm512_set1_ps(_mm512_reduce_max_ps(mx)), sum = _mm512_setzero_ps();
        for (j = 0; j + 16 <= keys; j += 16) {
            __m512 e = exp_nonpositive(_mm512_sub_ps(_mm512_loadu_ps(si + j), m));
            _mm512_storeu_ps(si + j, e);
            sum = _mm512_add_ps(sum, e);
        }
        if (tail) {
            __m512 e = _mm512_maskz_mov_ps(tm, exp_nonpositive(_mm512_sub_ps(_mm512_maskz_loadu_ps(tm, si + j), m)));
            _mm512_mask_storeu_ps(si + j, tm, e);
            sum = _mm512_add_ps(sum, e);
        }
        __m512 inv = _mm512_set1_ps(1 / _mm512_reduce_add_ps(sum));
        for (j = 0; j + 16 <= keys; j += 16)
            _mm256_storeu_si256((__m256i *)(o + j), (__m256i)_mm512_cvtneps_pbh(_mm512_mul_ps(_mm512_loadu_ps(si + j), inv)));
        if (tail) {
            __m256bh b = _mm512_cvtneps_pbh(_mm512_mul_ps(_mm512_maskz_loadu_ps(tm, si + j), inv));
            _mm256_mask_storeu_epi16(o + j, tm, (__m256i)b);
        }
        if (re > keys) o[keys] = 0;
    }
}
#endif

void vlm_attn_bf16(int path, int m, int keys, int hd, const float *q, int ldq, const float *k, int ldk,
                   const float *v, int ldv, float scale, float *out, int ldo) {
    if (m <= 0 || keys <= 0 || hd <= 0) return;
    int block = vlm_attn_block_rows(keys);
    if (block > m) block = m;
    size_t kb = align64(vlm_bf16_packed_bytes(keys, hd)), vb = align64(vlm_bf16_packed_bytes(hd, keys));
    size_t qbytes = align64((size_t)block * vlm_bf16_row_elems(hd) * 2);
    size_t sbytes = align64((size_t)block * keys * 4);
    size_t pbytes = align64((size_t)block * vlm_bf16_row_elems(keys) * 2);
    char *base = vlm_q_scratch(kb + vb + qbytes + sbytes + pbytes);
    uint16_t *kp = (uint16_t *)base, *vp = (uint16_t *)(base + kb), *qb = (uint16_t *)(base + kb + vb);
    float *s = (float *)(base + kb + vb + qbytes);
    uint16_t *pb = (uint16_t *)(base + kb + vb + qbytes + sbytes);
    int simd = 0;
#if defined(__x86_64__)
    simd = path == VLM_QPATH_BF16 && vlm_q_path_available(VLM_QPATH_BF16);
#endif
    int kpanels = (keys + NR - 1) / NR, vpanels = (hd + NR - 1) / NR;
#if defined(__x86_64__)
    if (simd) {
        if (hd % 2 == 0) pack_k_avx512(k, ldk, keys, hd, kp);
        else vlm_bf16_pack(k, ldk, keys, hd, kp);
        pack_v_avx512(v, ldv, keys, hd, vp);
    }
#endif
    if (!simd) {
        vlm_bf16_pack(k, ldk, keys, hd, kp);
        pack_v_portable(v, ldv, keys, hd, vp);
    }
    for (int r0 = 0; r0 < m; r0 += block) {
        int rows = m - r0 < block ? m - r0 : block;
        const float *qr = q + (size_t)r0 * ldq;
#if defined(__x86_64__)
        if (simd) scale_q_avx512(rows, hd, qr, ldq, scale, qb);
#endif
        if (!simd) scale_q_portable(rows, hd, qr, ldq, scale, qb);
        vlm_bf16_gemm(path, rows, keys, hd, qb, kp, 0, kpanels, NULL, 0, VLM_GEMM_IDENTITY, s, keys);
#if defined(__x86_64__)
        if (simd) softmax_avx512(rows, keys, s, pb);
#endif
        if (!simd) softmax_portable(rows, keys, s, pb);
        vlm_bf16_gemm(path, rows, hd, keys, pb, vp, 0, vpanels, NULL, 0, VLM_GEMM_IDENTITY, out + (size_t)r0 * ldo, ldo);
    }
}
