#include "vlm_gemm.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define VLM_X86 1
#endif

#ifndef VLM_KC
#define VLM_KC 384
#endif
#ifndef VLM_MC
#define VLM_MC 120
#endif
enum { NR = VLM_GEMM_NR, MR = 6, KC = VLM_KC, MC = VLM_MC };

static int force_portable;

size_t vlm_gemm_packed_count(int n, int k) {
    return (size_t)((n + NR - 1) / NR) * (size_t)k * NR;
}

void vlm_gemm_pack(const float *w, int ldw, int n, int k, float *packed) {
    int panels = (n + NR - 1) / NR;
    for (int q = 0; q < panels; q++) {
        float *dst = packed + (size_t)q * k * NR;
        int cols = n - q * NR < NR ? n - q * NR : NR;
        // Column by column: reads stay sequential along each weight row.
        for (int j = 0; j < cols; j++) {
            const float *src = w + (size_t)(q * NR + j) * ldw;
            for (int p = 0; p < k; p++) dst[(size_t)p * NR + j] = src[p];
        }
        for (int j = cols; j < NR; j++)
            for (int p = 0; p < k; p++) dst[(size_t)p * NR + j] = 0;
    }
}

// Reference semantics on the packed layout; the compiler vectorises the NR-wide inner loop.
static float quick_gelu(float v) { return v / (1.0f + expf(-1.702f * v)); }

static void gemm_portable(int m, int n, int k, const float *x, int ldx, const float *packed,
                          int q0, int q1, const float *bias, int accumulate, int act, float *c, int ldc) {
    for (int q = q0; q < q1; q++) {
        const float *panel = packed + (size_t)q * k * NR;
        int cols = n - q * NR < NR ? n - q * NR : NR;
        for (int i = 0; i < m; i++) {
            float acc[NR] = {0};
            const float *xi = x + (size_t)i * ldx;
            for (int p = 0; p < k; p++) {
                float a = xi[p];
                for (int j = 0; j < NR; j++) acc[j] += a * panel[(size_t)p * NR + j];
            }
            float *ci = c + (size_t)i * ldc + q * NR;
            for (int j = 0; j < cols; j++) {
                float v = (accumulate ? ci[j] : 0.0f) + acc[j] + (bias ? bias[q * NR + j] : 0.0f);
                ci[j] = act == VLM_GEMM_QUICK_GELU ? quick_gelu(v) : v;
            }
        }
    }
}

#ifdef VLM_X86
#include "vlm_simd_math.h"

// rows x 16 tile of C over kc steps: 2 ymm accumulators per row (12 of 16 registers at 6 rows).
// `b` is the panel at row k0 (aligned), `a` row 0 of x at column k0. With `load_c` the tile starts
// from C, and `bias` (16 floats or NULL) is added once. Inlined per constant `rows`, so the row
// loops unroll and the accumulators stay in registers.
static inline __attribute__((always_inline)) VLM_AVX2 void
tile(const int rows, int kc, const float *a, int lda, const float *b, float *c, int ldc,
     int load_c, const float *bias, int act, const float *next, int next_lines) {
    __m256 acc0[MR], acc1[MR];
    for (int r = 0; r < rows; r++) {
        acc0[r] = _mm256_setzero_ps();
        acc1[r] = _mm256_setzero_ps();
    }
    for (int p = 0; p < kc; p++) {
        __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
        _mm_prefetch((const char *)(b + 8 * NR), _MM_HINT_T0);
        if (p < next_lines) _mm_prefetch((const char *)(next + (size_t)p * NR), _MM_HINT_T1);
        for (int r = 0; r < rows; r++) {
            __m256 av = _mm256_broadcast_ss(a + (size_t)r * lda + p);
            acc0[r] = _mm256_fmadd_ps(av, b0, acc0[r]);
            acc1[r] = _mm256_fmadd_ps(av, b1, acc1[r]);
        }
        b += NR;
    }
    __m256 bias0 = _mm256_setzero_ps(), bias1 = _mm256_setzero_ps();
    if (bias) {
        bias0 = _mm256_loadu_ps(bias);
        bias1 = _mm256_loadu_ps(bias + 8);
    }
    for (int r = 0; r < rows; r++) {
        float *cr = c + (size_t)r * ldc;
        __m256 v0 = _mm256_add_ps(acc0[r], bias0), v1 = _mm256_add_ps(acc1[r], bias1);
        if (load_c) {
            v0 = _mm256_add_ps(v0, _mm256_loadu_ps(cr));
            v1 = _mm256_add_ps(v1, _mm256_loadu_ps(cr + 8));
        }
        if (act == VLM_GEMM_QUICK_GELU) {
            v0 = quick_gelu8(v0);
            v1 = quick_gelu8(v1);
        }
        _mm256_storeu_ps(cr, v0);
        _mm256_storeu_ps(cr + 8, v1);
    }
}

static VLM_AVX2 void tile_rows(int rows, int kc, const float *a, int lda, const float *b, float *c,
                               int ldc, int load_c, const float *bias, int act, const float *next, int next_lines) {
    switch (rows) {
    case 6: tile(6, kc, a, lda, b, c, ldc, load_c, bias, act, next, next_lines); break;
    case 5: tile(5, kc, a, lda, b, c, ldc, load_c, bias, act, next, next_lines); break;
    case 4: tile(4, kc, a, lda, b, c, ldc, load_c, bias, act, next, next_lines); break;
    case 3: tile(3, kc, a, lda, b, c, ldc, load_c, bias, act, next, next_lines); break;
    case 2: tile(2, kc, a, lda, b, c, ldc, load_c, bias, act, next, next_lines); break;
    default: tile(1, kc, a, lda, b, c, ldc, load_c, bias, act, next, next_lines); break;
    }
}

// Blocked driver: K in KC slices (a panel slice of KC x 16 floats stays in L1 across the row
// tiles), M in MC blocks (the x block MC x KC stays in L2 across panels). Partial panels (the
// last NR block when n % 16 != 0) go through a 16-wide scratch tile so stores never pass n.
static VLM_AVX2 void gemm_avx2(int m, int n, int k, const float *x, int ldx, const float *packed,
                               int q0, int q1, const float *bias, int accumulate, int act, float *c, int ldc) {
    float scratch[MR * NR] __attribute__((aligned(64)));
    float bias_tail[NR] __attribute__((aligned(64)));
    for (int k0 = 0; k0 < k; k0 += KC) {
        int kc = k - k0 < KC ? k - k0 : KC;
        int first = k0 == 0, load_c = !first || accumulate;
        int act_here = k0 + kc >= k ? act : VLM_GEMM_IDENTITY;  // only on the finished sums
        for (int i0 = 0; i0 < m; i0 += MC) {
            int mc = m - i0 < MC ? m - i0 : MC;
            for (int q = q0; q < q1; q++) {
                const float *b = packed + (size_t)q * k * NR + (size_t)k0 * NR;
                int cols = n - q * NR < NR ? n - q * NR : NR;
                const float *bq = first && bias ? bias + q * NR : NULL;
                if (bq && cols < NR) {
                    memset(bias_tail, 0, sizeof bias_tail);
                    memcpy(bias_tail, bq, (size_t)cols * sizeof(float));
                    bq = bias_tail;
                }
                // Each row tile pulls its share of the next panel's slice into L2 (one 64-byte
                // line per k step): weights come from DRAM once per forward, and fetching a whole
                // slice in the first tile's burst would outrun the memory bandwidth.
                const float *next = q + 1 < q1 ? b + (size_t)k * NR : b;
                int tiles = (mc + MR - 1) / MR, share = (kc + tiles - 1) / tiles;
                // Rows spread evenly over the tiles (32 rows: 6,6,5,5,5,5, not 6 x 5 + 2): a thin
                // last tile would load the same weights for a third of the multiply-adds.
                int i = i0, rows = 0;
                for (int t = 0; t < tiles; t++, i += rows, next += (size_t)share * NR) {
                    rows = mc / tiles + (t < mc % tiles);
                    int next_lines = q + 1 < q1 ? share : 0;
                    if (t * share + next_lines > kc) next_lines = kc - t * share;
                    if (next_lines < 0) next_lines = 0;
                    const float *a = x + (size_t)i * ldx + k0;
                    float *ct = c + (size_t)i * ldc + q * NR;
                    if (cols == NR) {
                        tile_rows(rows, kc, a, ldx, b, ct, ldc, load_c, bq, act_here, next, next_lines);
                        continue;
                    }
                    for (int r = 0; r < rows; r++)
                        if (load_c) memcpy(scratch + r * NR, ct + (size_t)r * ldc, (size_t)cols * sizeof(float));
                    tile_rows(rows, kc, a, ldx, b, scratch, NR, load_c, bq, act_here, next, next_lines);
                    for (int r = 0; r < rows; r++)
                        memcpy(ct + (size_t)r * ldc, scratch + r * NR, (size_t)cols * sizeof(float));
                }
            }
        }
    }
}

// Detected once before main (a constructor), so concurrent first calls never race on it.
static int has_avx2_fma;

__attribute__((constructor)) static void detect_cpu(void) {
    __builtin_cpu_init();
    has_avx2_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

static int cpu_has_avx2_fma(void) { return has_avx2_fma; }
#endif

int vlm_gemm_uses_simd(void) {
#ifdef VLM_X86
    return !force_portable && cpu_has_avx2_fma();
#else
    return 0;
#endif
}

void vlm_gemm_force_portable(int force) { force_portable = force; }

static void dispatch(int m, int n, int k, const float *x, int ldx, const float *packed,
                     int q0, int q1, const float *bias, int accumulate, int act, float *c, int ldc) {
    if (m <= 0 || q1 <= q0) return;
#ifdef VLM_X86
    // k == 0 has nothing to multiply: the portable loop writes bias (or keeps c).
    if (k > 0 && vlm_gemm_uses_simd()) {
        gemm_avx2(m, n, k, x, ldx, packed, q0, q1, bias, accumulate, act, c, ldc);
        return;
    }
#endif
    gemm_portable(m, n, k, x, ldx, packed, q0, q1, bias, accumulate, act, c, ldc);
}

void vlm_gemm_packed(int m, int n, int k, const float *x, int ldx, const float *packed,
                     int panel_begin, int panel_end, const float *bias, int accumulate,
                     float *c, int ldc) {
    dispatch(m, n, k, x, ldx, packed, panel_begin, panel_end, bias, accumulate, VLM_GEMM_IDENTITY, c, ldc);
}

void vlm_gemm_packed_act(int m, int n, int k, const float *x, int ldx, const float *packed,
                         int panel_begin, int panel_end, const float *bias, int activation,
                         float *c, int ldc) {
    dispatch(m, n, k, x, ldx, packed, panel_begin, panel_end, bias, 0, activation, c, ldc);
}
