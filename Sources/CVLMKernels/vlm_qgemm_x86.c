// x86 int8 and bf16 micro-kernels (selected at run time by vlm_qgemm.c).
// Every kernel reads 4-byte groups of one activation row (4 int8 or 2 bf16 values, broadcast to all
// lanes) against 64-byte weight groups (16 columns x 4 bytes), accumulating over the whole K in
// registers (int32 for int8, fp32 for bf16), then applies the fp32 epilogue once.
#if defined(__x86_64__)
#include "vlm_qgemm_internal.h"
#include "include/vlm_gemm.h"
#include "vlm_simd_math.h"

#include <string.h>

enum { NR = VLM_Q_NR, MR512 = 8, MR256 = 4, MR_AVX2 = 3 };

#define T_VNNI512 __attribute__((target("avx2,fma,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")))
#define T_BF16 __attribute__((target("avx2,fma,avx512f,avx512bw,avx512vl,avx512dq,avx512bf16")))
#define T_VNNI256 __attribute__((target("avx2,fma,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")))
#define T_AVXVNNI __attribute__((target("avx2,fma,avxvnni")))

static inline int32_t load4(const void *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

// Rows of the M block spread evenly over tiles of at most `mr` rows (32 rows at 8: 8,8,8,8; at
// 30: 8,8,7,7), so no thin last tile reloads the weights for a few rows.
#define FOR_ROW_TILES(mc, mr, body)                                      \
    do {                                                                 \
        int tiles_ = ((mc) + (mr) - 1) / (mr), r0_ = 0;                  \
        for (int t_ = 0; t_ < tiles_; t_++) {                            \
            int rows = (mc) / tiles_ + (t_ < (mc) % tiles_), r = r0_;    \
            body;                                                        \
            r0_ += rows;                                                 \
        }                                                                \
    } while (0)

// Rows per M block: the block's activations (rows x row bytes) stay in L2 across the panels.
static int block_rows(int m, int row_bytes, int mr) {
    int mc = (192 * 1024) / (row_bytes > 0 ? row_bytes : 1);
    mc = mc / mr * mr;
    if (mc < mr) mc = mr;
    return mc < m ? mc : m;
}

// ---- AVX-512: 16 columns per zmm, tiles of up to 8 rows x 2 panels (16 accumulators) ----

// The fp32 epilogue of one row and panel; `v` holds the finished (scaled) sums.
static inline __attribute__((always_inline)) VLM_AVX512 void
store16(const vlm_qargs *g, int i, int col0, __m512 v) {
    int cols = g->n - col0 < NR ? g->n - col0 : NR;
    __mmask16 mk = cols >= NR ? (__mmask16)0xffff : (__mmask16)((1u << cols) - 1);
    float *c = g->c + (size_t)i * g->ldc + col0;
    if (g->bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mk, g->bias + col0));
    if (g->accumulate) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mk, c));
    if (g->act == VLM_GEMM_QUICK_GELU) v = quick_gelu16(v);
    _mm512_mask_storeu_ps(c, mk, v);
}

static inline __attribute__((always_inline)) T_VNNI512 void
q8_tile512(const int rows, const int np, int i, int q, const vlm_qargs *g) {
    int groups = (g->k + 3) / 4;
    const uint8_t *a = (const uint8_t *)g->a + (size_t)i * g->lda;
    const int8_t *b = (const int8_t *)g->b + (size_t)q * groups * 64;
    size_t ps = (size_t)groups * 64;
    __m512i acc[MR512][2];
    for (int r = 0; r < rows; r++)
        for (int p = 0; p < np; p++) acc[r][p] = _mm512_setzero_si512();
    for (int t = 0; t < groups; t++) {
        __m512i b0 = _mm512_loadu_si512(b + (size_t)t * 64);
        __m512i b1 = np > 1 ? _mm512_loadu_si512(b + ps + (size_t)t * 64) : b0;
        for (int r = 0; r < rows; r++) {
            __m512i av = _mm512_set1_epi32(load4(a + (size_t)r * g->lda + 4 * t));
            acc[r][0] = _mm512_dpbusd_epi32(acc[r][0], av, b0);
            if (np > 1) acc[r][1] = _mm512_dpbusd_epi32(acc[r][1], av, b1);
        }
    }
    for (int p = 0; p < np; p++) {
        int col0 = (q + p) * NR;
        __m512i corr = _mm512_mullo_epi32(_mm512_loadu_si512(g->sums + col0), _mm512_set1_epi32(g->offset));
        __m512 ws = _mm512_loadu_ps(g->scales + col0);
        for (int r = 0; r < rows; r++) {
            __m512 t = _mm512_cvtepi32_ps(_mm512_sub_epi32(acc[r][p], corr));
            __m512 s = _mm512_mul_ps(ws, _mm512_set1_ps(g->row_scales[i + r]));
            store16(g, i + r, col0, _mm512_mul_ps(t, s));
        }
    }
}

static inline __attribute__((always_inline)) T_BF16 void
bf16_tile512(const int rows, const int np, int i, int q, const vlm_qargs *g) {
    int pairs = (g->k + 1) / 2;
    const uint16_t *a = (const uint16_t *)g->a + (size_t)i * g->lda;
    const uint16_t *b = (const uint16_t *)g->b + (size_t)q * pairs * 32;
    size_t ps = (size_t)pairs * 32;
    __m512 acc[MR512][2];
    for (int r = 0; r < rows; r++)
        for (int p = 0; p < np; p++) acc[r][p] = _mm512_setzero_ps();
    for (int t = 0; t < pairs; t++) {
        __m512bh b0 = (__m512bh)_mm512_loadu_si512(b + (size_t)t * 32);
        __m512bh b1 = np > 1 ? (__m512bh)_mm512_loadu_si512(b + ps + (size_t)t * 32) : b0;
        for (int r = 0; r < rows; r++) {
            __m512bh av = (__m512bh)_mm512_set1_epi32(load4(a + (size_t)r * g->lda + 2 * t));
            acc[r][0] = _mm512_dpbf16_ps(acc[r][0], av, b0);
            if (np > 1) acc[r][1] = _mm512_dpbf16_ps(acc[r][1], av, b1);
        }
    }
    for (int p = 0; p < np; p++)
        for (int r = 0; r < rows; r++) store16(g, i + r, (q + p) * NR, acc[r][p]);
}

// Driver: M blocks (activations stay in L2) x panel pairs x row tiles.
#define DRIVE(FN, TARGET, TILE, MR, ROW_BYTES)                                                  \
    TARGET void FN(const vlm_qargs *g, int q0, int q1) {                                        \
        int mc0 = block_rows(g->m, ROW_BYTES, MR);                                              \
        for (int i0 = 0; i0 < g->m; i0 += mc0) {                                                \
            int mc = g->m - i0 < mc0 ? g->m - i0 : mc0;                                         \
            for (int q = q0; q < q1; q += 2) {                                                  \
                int two = q + 1 < q1;                                                           \
                FOR_ROW_TILES(mc, MR, {                                                         \
                    switch (rows * 2 + two) {                                                   \
                    case 17: TILE(8, 2, i0 + r, q, g); break;                                   \
                    case 16: TILE(8, 1, i0 + r, q, g); break;                                   \
                    case 15: TILE(7, 2, i0 + r, q, g); break;                                   \
                    case 14: TILE(7, 1, i0 + r, q, g); break;                                   \
                    case 13: TILE(6, 2, i0 + r, q, g); break;                                   \
                    case 12: TILE(6, 1, i0 + r, q, g); break;                                   \
                    case 11: TILE(5, 2, i0 + r, q, g); break;                                   \
                    case 10: TILE(5, 1, i0 + r, q, g); break;                                   \
                    case 9: TILE(4, 2, i0 + r, q, g); break;                                    \
                    case 8: TILE(4, 1, i0 + r, q, g); break;                                    \
                    case 7: TILE(3, 2, i0 + r, q, g); break;                                    \
                    case 6: TILE(3, 1, i0 + r, q, g); break;                                    \
                    case 5: TILE(2, 2, i0 + r, q, g); break;                                    \
                    case 4: TILE(2, 1, i0 + r, q, g); break;                                    \
                    case 3: TILE(1, 2, i0 + r, q, g); break;                                    \
                    default: TILE(1, 1, i0 + r, q, g); break;                                   \
                    }                                                                           \
                });                                                                             \
            }                                                                                   \
        }                                                                                       \
    }

DRIVE(vlm_q8_gemm_vnni512, T_VNNI512, q8_tile512, MR512, g->lda)
DRIVE(vlm_bf16_gemm_avx512, T_BF16, bf16_tile512, MR512, g->lda * 2)

// ---- ymm kernels: one panel = two ymm of 8 columns, tiles of up to 4 rows x 2 panels ----

// The epilogue of one row and 8 columns; partial column groups go through a small buffer.
static inline __attribute__((always_inline)) VLM_AVX2 void
store8(const vlm_qargs *g, int i, int col0, __m256 v) {
    int cols = g->n - col0;
    if (cols <= 0) return;
    float *c = g->c + (size_t)i * g->ldc + col0;
    if (cols >= 8) {
        if (g->bias) v = _mm256_add_ps(v, _mm256_loadu_ps(g->bias + col0));
        if (g->accumulate) v = _mm256_add_ps(v, _mm256_loadu_ps(c));
        if (g->act == VLM_GEMM_QUICK_GELU) v = quick_gelu8(v);
        _mm256_storeu_ps(c, v);
        return;
    }
    float buf[8] = {0}, bb[8] = {0}, cb[8] = {0};
    if (g->bias) memcpy(bb, g->bias + col0, (size_t)cols * 4);
    if (g->accumulate) memcpy(cb, c, (size_t)cols * 4);
    if (g->bias) v = _mm256_add_ps(v, _mm256_loadu_ps(bb));
    if (g->accumulate) v = _mm256_add_ps(v, _mm256_loadu_ps(cb));
    if (g->act == VLM_GEMM_QUICK_GELU) v = quick_gelu8(v);
    _mm256_storeu_ps(buf, v);
    memcpy(c, buf, (size_t)cols * 4);
}

// One K group (4 bytes of each row against 2*np weight vectors) of the VNNI tiles: one vpdpbusd.
#define GROUP_VNNI(DP)                                                                         \
    {                                                                                          \
        __m256i bv[4];                                                                         \
        for (int h = 0; h < 2 * np; h++)                                                       \
            bv[h] = _mm256_loadu_si256((const __m256i *)(b + (h / 2) * ps + (size_t)t * 64 + (h % 2) * 32)); \
        for (int r = 0; r < rows; r++) {                                                       \
            __m256i av = _mm256_set1_epi32(load4(a + (size_t)r * g->lda + 4 * t));             \
            for (int h = 0; h < 2 * np; h++) acc[r][h] = DP(acc[r][h], av, bv[h]);             \
        }                                                                                      \
    }
#define GROUP_VNNI256 GROUP_VNNI(_mm256_dpbusd_epi32)
#define GROUP_AVXVNNI GROUP_VNNI(_mm256_dpbusd_avx_epi32)

// AVX2 has no u8 x s8 -> int32 dot: `vpmaddubsw` sums two u8 x s8 products into a *saturating*
// int16, and 2 x 255 x 127 would saturate. So the AVX2 path keeps activations signed (offset 0)
// and moves each weight's sign onto the activation (the sign trick): |w| (u8, <= 127) x
// sign(w)*x (s8, |x| <= 127) -- the same products, each pair at most 2 x 127 x 127 = 32258, which
// never saturates: exact 8-bit x 8-bit, like the VNNI paths. |w| is taken once per weight load;
// sign(w)*x is a blend of x and -x on w's sign bits (-x once per row): on Zen 4 that ran 1.2x
// faster than `vpsignb` (175 vs 146 GOP/s in a register-only loop; 7-bit operands: 230).
// AVX2 has 16 ymm registers (the AVX-512 encodings 32): its tiles are 3 rows x one panel (6
// accumulators, 2 weight vectors and their |w|, x and -x), see DRIVE256's `PAIR` and `MR`.
// Cost on Zen 4: the blend is a third uop on the multiply pipes, so this exact kernel runs at ~0.8x
// the 7-bit one it replaced (kernel bench: ~125 vs ~160 GOP/s single-threaded; fp32 ~93 GFLOP/s).
#define GROUP_AVX2                                                                             \
    {                                                                                          \
        __m256i bv[4], bu[4];                                                                  \
        for (int h = 0; h < 2 * np; h++) {                                                     \
            bv[h] = _mm256_loadu_si256((const __m256i *)(b + (h / 2) * ps + (size_t)t * 64 + (h % 2) * 32)); \
            bu[h] = _mm256_abs_epi8(bv[h]);                                                    \
        }                                                                                      \
        for (int r = 0; r < rows; r++) {                                                       \
            __m256i av = _mm256_set1_epi32(load4(a + (size_t)r * g->lda + 4 * t));             \
            __m256i nv = _mm256_sub_epi8(_mm256_setzero_si256(), av);                          \
            for (int h = 0; h < 2 * np; h++) {                                                 \
                __m256i sx = _mm256_blendv_epi8(av, nv, bv[h]); /* x where w >= 0, -x where w < 0 */ \
                __m256i pairs = _mm256_maddubs_epi16(bu[h], sx);                               \
                acc[r][h] = _mm256_add_epi32(acc[r][h], _mm256_madd_epi16(pairs, ones));       \
            }                                                                                  \
        }                                                                                      \
    }

#define YMM_TILE(NAME, TARGET, GROUP)                                                            \
    static inline __attribute__((always_inline)) TARGET void                                   \
    NAME(const int rows, const int np, int i, int q, const vlm_qargs *g) {                     \
        int groups = (g->k + 3) / 4;                                                           \
        const uint8_t *a = (const uint8_t *)g->a + (size_t)i * g->lda;                         \
        const int8_t *b = (const int8_t *)g->b + (size_t)q * groups * 64;                      \
        size_t ps = (size_t)groups * 64;                                                       \
        const __m256i ones = _mm256_set1_epi16(1);                                             \
        (void)ones;                                                                            \
        __m256i acc[MR256][4];                                                                 \
        for (int r = 0; r < rows; r++)                                                         \
            for (int h = 0; h < 2 * np; h++) acc[r][h] = _mm256_setzero_si256();               \
        for (int t = 0; t < groups; t++) GROUP;                                                \
        for (int h = 0; h < 2 * np; h++) {                                                     \
            int col0 = q * NR + h * 8;                                                         \
            __m256i corr = _mm256_mullo_epi32(_mm256_loadu_si256((const __m256i *)(g->sums + col0)), \
                                              _mm256_set1_epi32(g->offset));                   \
            __m256 ws = _mm256_loadu_ps(g->scales + col0);                                     \
            for (int r = 0; r < rows; r++) {                                                   \
                __m256 t = _mm256_cvtepi32_ps(_mm256_sub_epi32(acc[r][h], corr));             \
                __m256 s = _mm256_mul_ps(ws, _mm256_set1_ps(g->row_scales[i + r]));            \
                store8(g, i + r, col0, _mm256_mul_ps(t, s));                                   \
            }                                                                                  \
        }                                                                                      \
    }

#define DRIVE256(FN, TARGET, TILE, PAIR, MR)                                                    \
    TARGET void FN(const vlm_qargs *g, int q0, int q1) {                                        \
        int mc0 = block_rows(g->m, g->lda, MR);                                                 \
        for (int i0 = 0; i0 < g->m; i0 += mc0) {                                                \
            int mc = g->m - i0 < mc0 ? g->m - i0 : mc0;                                         \
            for (int q = q0, two; q < q1; q += 1 + two) {                                       \
                two = PAIR && q + 1 < q1;                                                       \
                FOR_ROW_TILES(mc, MR, {                                                         \
                    switch (rows * 2 + two) {                                                   \
                    case 9: TILE(4, 2, i0 + r, q, g); break;                                    \
                    case 8: TILE(4, 1, i0 + r, q, g); break;                                    \
                    case 7: TILE(3, 2, i0 + r, q, g); break;                                    \
                    case 6: TILE(3, 1, i0 + r, q, g); break;                                    \
                    case 5: TILE(2, 2, i0 + r, q, g); break;                                    \
                    case 4: TILE(2, 1, i0 + r, q, g); break;                                    \
                    case 3: TILE(1, 2, i0 + r, q, g); break;                                    \
                    default: TILE(1, 1, i0 + r, q, g); break;                                   \
                    }                                                                           \
                });                                                                             \
            }                                                                                   \
        }                                                                                       \
    }

YMM_TILE(q8_tile_avx2, VLM_AVX2, GROUP_AVX2)
YMM_TILE(q8_tile_vnni256, T_VNNI256, GROUP_VNNI256)
YMM_TILE(q8_tile_avxvnni, T_AVXVNNI, GROUP_AVXVNNI)
DRIVE256(vlm_q8_gemm_avx2, VLM_AVX2, q8_tile_avx2, 0, MR_AVX2)
DRIVE256(vlm_q8_gemm_vnni256, T_VNNI256, q8_tile_vnni256, 1, MR256)
DRIVE256(vlm_q8_gemm_avxvnni, T_AVXVNNI, q8_tile_avxvnni, 1, MR256)

// ---- activation quantization (same rounding as the portable loop: rint, nearest even) ----

T_VNNI512 void vlm_q8_quantize_avx512(int m, int k, const float *x, int ldx, const float *inv_smooth,
                                      int act_max, int offset, uint8_t *xq, float *row_scales) {
    int rb = vlm_q8_row_bytes(k);
    for (int i = 0; i < m; i++) {
        const float *xi = x + (size_t)i * ldx;
        __m512 mx = _mm512_setzero_ps();
        int p = 0;
        for (; p + 16 <= k; p += 16) {
            __m512 v = _mm512_loadu_ps(xi + p);
            if (inv_smooth) v = _mm512_mul_ps(v, _mm512_loadu_ps(inv_smooth + p));
            mx = _mm512_max_ps(mx, _mm512_abs_ps(v));
        }
        float amax = _mm512_reduce_max_ps(mx);
        for (; p < k; p++) {
            float v = inv_smooth ? xi[p] * inv_smooth[p] : xi[p];
            v = v < 0 ? -v : v;
            amax = v > amax ? v : amax;
        }
        float inv = amax > 0 ? (float)act_max / amax : 0;
        row_scales[i] = amax / (float)act_max;
        uint8_t *qi = xq + (size_t)i * rb;
        __m512 vi = _mm512_set1_ps(inv);
        __m512i lo = _mm512_set1_epi32(-act_max), hi = _mm512_set1_epi32(act_max), off = _mm512_set1_epi32(offset);
        for (p = 0; p + 16 <= k; p += 16) {
            __m512 v = _mm512_loadu_ps(xi + p);
            if (inv_smooth) v = _mm512_mul_ps(v, _mm512_loadu_ps(inv_smooth + p));
            __m512i q = _mm512_cvt_roundps_epi32(_mm512_mul_ps(v, vi), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
            q = _mm512_add_epi32(_mm512_min_epi32(_mm512_max_epi32(q, lo), hi), off);
            _mm_storeu_si128((__m128i *)(qi + p), _mm512_cvtepi32_epi8(q));
        }
        for (; p < k; p++) {
            float v = (inv_smooth ? xi[p] * inv_smooth[p] : xi[p]) * inv;
            int q = (int)__builtin_rintf(v);
            q = q > act_max ? act_max : q < -act_max ? -act_max : q;
            qi[p] = (uint8_t)(q + offset);
        }
        for (p = k; p < rb; p++) qi[p] = (uint8_t)offset;
    }
}
// The same quantizer in AVX2 only (what an AVX2-only CPU, or the forced AVX2 path, runs):
// identical results (cvtps rounds to nearest even, as rint does in the default mode).
VLM_AVX2 void vlm_q8_quantize_avx2(int m, int k, const float *x, int ldx, const float *inv_smooth,
                                   int act_max, int offset, uint8_t *xq, float *row_scales) {
    int rb = vlm_q8_row_bytes(k);
    const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    for (int i = 0; i < m; i++) {
        const float *xi = x + (size_t)i * ldx;
        __m256 mx = _mm256_setzero_ps();
        int p = 0;
        for (; p + 8 <= k; p += 8) {
            __m256 v = _mm256_loadu_ps(xi + p);
            if (inv_smooth) v = _mm256_mul_ps(v, _mm256_loadu_ps(inv_smooth + p));
            mx = _mm256_max_ps(mx, _mm256_and_ps(v, absmask));
        }
        float lanes[8];
        _mm256_storeu_ps(lanes, mx);
        float amax = 0;
        for (int l = 0; l < 8; l++) amax = lanes[l] > amax ? lanes[l] : amax;
        for (; p < k; p++) {
            float v = inv_smooth ? xi[p] * inv_smooth[p] : xi[p];
            v = v < 0 ? -v : v;
            amax = v > amax ? v : amax;
        }
        float inv = amax > 0 ? (float)act_max / amax : 0;
        row_scales[i] = amax / (float)act_max;
        uint8_t *qi = xq + (size_t)i * rb;
        __m256 vi = _mm256_set1_ps(inv);
        __m256i lo = _mm256_set1_epi32(-act_max), hi = _mm256_set1_epi32(act_max), off = _mm256_set1_epi32(offset),
                byte = _mm256_set1_epi32(0xff);
        // Two vectors of 8 -> 16 bytes: low byte of each int32 (two's complement when offset is 0),
        // packed unsigned (values 0..255 pass both packs unchanged), lanes put back in order.
        for (p = 0; p + 16 <= k; p += 16) {
            __m256i q[2];
            for (int h = 0; h < 2; h++) {
                __m256 v = _mm256_loadu_ps(xi + p + 8 * h);
                if (inv_smooth) v = _mm256_mul_ps(v, _mm256_loadu_ps(inv_smooth + p + 8 * h));
                __m256i t = _mm256_cvtps_epi32(_mm256_mul_ps(v, vi));
                t = _mm256_add_epi32(_mm256_min_epi32(_mm256_max_epi32(t, lo), hi), off);
                q[h] = _mm256_and_si256(t, byte);
            }
            __m256i w16 = _mm256_permute4x64_epi64(_mm256_packus_epi32(q[0], q[1]), 0xd8);
            __m128i b8 = _mm_packus_epi16(_mm256_castsi256_si128(w16), _mm256_extracti128_si256(w16, 1));
            _mm_storeu_si128((__m128i *)(qi + p), b8);
        }
        for (; p < k; p++) {
            float v = (inv_smooth ? xi[p] * inv_smooth[p] : xi[p]) * inv;
            int q = (int)__builtin_rintf(v);
            q = q > act_max ? act_max : q < -act_max ? -act_max : q;
            qi[p] = (uint8_t)(q + offset);
        }
        for (p = k; p < rb; p++) qi[p] = (uint8_t)offset;
    }
}
#endif
