// int8 / bf16 packing, activation quantization, the portable kernels and run-time dispatch.
// The x86 kernels are in vlm_qgemm_x86.c.
#include "vlm_qgemm_internal.h"
#include "include/vlm_gemm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { NR = VLM_Q_NR };

static int forced_q8 = -1, forced_bf16_portable;
static int cpu_flags[VLM_QPATH_COUNT];

static const char *const names[VLM_QPATH_COUNT] = {"portable", "avx2", "vnni256", "avxvnni", "vnni512", "avx512bf16"};

const char *vlm_q_path_name(int path) { return path >= 0 && path < VLM_QPATH_COUNT ? names[path] : "?"; }

// Detected once before main, so concurrent first calls never race.
__attribute__((constructor)) static void detect(void) {
    cpu_flags[VLM_QPATH_PORTABLE] = 1;
#if defined(__x86_64__)
    __builtin_cpu_init();
    int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    int avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                 __builtin_cpu_supports("avx512vl");
    cpu_flags[VLM_QPATH_AVX2] = avx2;
    cpu_flags[VLM_QPATH_VNNI256] = avx512 && __builtin_cpu_supports("avx512vnni");
    cpu_flags[VLM_QPATH_AVXVNNI] = avx2 && __builtin_cpu_supports("avxvnni");
    cpu_flags[VLM_QPATH_VNNI512] = avx512 && __builtin_cpu_supports("avx512vnni");
    cpu_flags[VLM_QPATH_BF16] = avx512 && __builtin_cpu_supports("avx512bf16");
#endif
    const char *env = getenv("VLMNODE_INT8_PATH");
    for (int p = 0; env && p < VLM_QPATH_BF16; p++)
        if (!strcmp(env, names[p]) && cpu_flags[p]) forced_q8 = p;
}

int vlm_q_path_available(int path) { return path >= 0 && path < VLM_QPATH_COUNT && cpu_flags[path]; }

int vlm_q8_path(void) {
    if (forced_q8 >= 0) return forced_q8;
    static const int order[] = {VLM_QPATH_VNNI512, VLM_QPATH_AVXVNNI, VLM_QPATH_VNNI256, VLM_QPATH_AVX2};
    for (int i = 0; i < 4; i++)
        if (cpu_flags[order[i]]) return order[i];
    return VLM_QPATH_PORTABLE;
}

int vlm_bf16_path(void) {
    return !forced_bf16_portable && cpu_flags[VLM_QPATH_BF16] ? VLM_QPATH_BF16 : VLM_QPATH_PORTABLE;
}

int vlm_q8_force_path(int path) {
    if (path < 0) { forced_q8 = -1; return 1; }
    if (path >= VLM_QPATH_BF16 || !cpu_flags[path]) return 0;
    forced_q8 = path;
    return 1;
}

void vlm_bf16_force_portable(int force) { forced_bf16_portable = force; }

static _Thread_local void *scratch;
static _Thread_local size_t scratch_bytes;

void *vlm_q_scratch(size_t bytes) {
    if (bytes <= scratch_bytes) return scratch;
    free(scratch);
    size_t grown = bytes + bytes / 4 + 4096;
    scratch = NULL;
    scratch_bytes = posix_memalign(&scratch, 64, grown) == 0 ? grown : 0;
    return scratch;
}

// ---- int8 packing and quantization ----

int vlm_q_padded_n(int n) { return (n + NR - 1) / NR * NR; }
size_t vlm_q8_packed_bytes(int n, int k) { return (size_t)vlm_q_padded_n(n) / NR * (size_t)((k + 3) / 4) * 64; }
int vlm_q8_row_bytes(int k) { return (k + 3) / 4 * 4; }
int vlm_q8_act_max(int path) { (void)path; return 127; }
// u8 activations shifted by 128 for vpdpbusd; the AVX2 kernel's sign trick needs them signed.
int vlm_q8_offset(int path) { return path == VLM_QPATH_AVX2 ? 0 : 128; }

void vlm_q8_pack(const float *w, int ldw, int n, int k, const float *smooth,
                 int8_t *packed, float *scales, int32_t *sums) {
    int groups = (k + 3) / 4, np = vlm_q_padded_n(n);
    memset(packed, 0, vlm_q8_packed_bytes(n, k));
    for (int j = n; j < np; j++) scales[j] = 0, sums[j] = 0;
    for (int j = 0; j < n; j++) {
        const float *row = w + (size_t)j * ldw;
        float amax = 0;
        for (int p = 0; p < k; p++) {
            float v = fabsf(smooth ? row[p] * smooth[p] : row[p]);
            amax = v > amax ? v : amax;
        }
        float inv = amax > 0 ? 127.0f / amax : 0;
        scales[j] = amax / 127.0f;
        int8_t *panel = packed + (size_t)(j / NR) * groups * 64 + (j % NR) * 4;
        int32_t sum = 0;
        for (int p = 0; p < k; p++) {
            float v = (smooth ? row[p] * smooth[p] : row[p]) * inv;
            int q = (int)rintf(v);
            q = q > 127 ? 127 : q < -127 ? -127 : q;
            panel[(size_t)(p / 4) * 64 + p % 4] = (int8_t)q;
            sum += q;
        }
        sums[j] = sum;
    }
}

static void quantize_portable(int m, int k, const float *x, int ldx, const float *inv_smooth,
                              int act_max, int offset, uint8_t *xq, float *row_scales) {
    int rb = vlm_q8_row_bytes(k);
    for (int i = 0; i < m; i++) {
        const float *xi = x + (size_t)i * ldx;
        float amax = 0;
        for (int p = 0; p < k; p++) {
            float v = fabsf(inv_smooth ? xi[p] * inv_smooth[p] : xi[p]);
            amax = v > amax ? v : amax;
        }
        float inv = amax > 0 ? (float)act_max / amax : 0;
        row_scales[i] = amax / (float)act_max;
        uint8_t *qi = xq + (size_t)i * rb;
        for (int p = 0; p < k; p++) {
            int q = (int)rintf((inv_smooth ? xi[p] * inv_smooth[p] : xi[p]) * inv);
            q = q > act_max ? act_max : q < -act_max ? -act_max : q;
            qi[p] = (uint8_t)(q + offset);
        }
        for (int p = k; p < rb; p++) qi[p] = (uint8_t)offset;
    }
}

void vlm_q8_quantize(int path, int m, int k, const float *x, int ldx, const float *inv_smooth,
                     uint8_t *xq, float *row_scales) {
#if defined(__x86_64__)
    // The AVX-512 quantizer only for the AVX-512 kernels: a forced AVX2 (or AVX-VNNI) run uses
    // AVX2 code only, as on a CPU without AVX-512.
    if ((path == VLM_QPATH_VNNI512 || path == VLM_QPATH_VNNI256) && cpu_flags[path]) {
        vlm_q8_quantize_avx512(m, k, x, ldx, inv_smooth, vlm_q8_act_max(path), vlm_q8_offset(path), xq, row_scales);
        return;
    }
    if ((path == VLM_QPATH_AVX2 || path == VLM_QPATH_AVXVNNI) && cpu_flags[path]) {
        vlm_q8_quantize_avx2(m, k, x, ldx, inv_smooth, vlm_q8_act_max(path), vlm_q8_offset(path), xq, row_scales);
        return;
    }
#endif
    quantize_portable(m, k, x, ldx, inv_smooth, vlm_q8_act_max(path), vlm_q8_offset(path), xq, row_scales);
}

// ---- the fp32 epilogue, shared by the portable kernels ----

static float quick_gelu(float v) { return v / (1.0f + expf(-1.702f * v)); }

static void store(const vlm_qargs *g, int i, int j, float v) {
    float *ci = g->c + (size_t)i * g->ldc + j;
    if (g->bias) v = v + g->bias[j];
    if (g->accumulate) v = v + *ci;
    *ci = g->act == VLM_GEMM_QUICK_GELU ? quick_gelu(v) : v;
}

static void q8_portable(const vlm_qargs *g, int q0, int q1) {
    int groups = (g->k + 3) / 4;
    const uint8_t *a = g->a;
    const int8_t *b = g->b;
    for (int q = q0; q < q1; q++) {
        const int8_t *panel = b + (size_t)q * groups * 64;
        int cols = g->n - q * NR < NR ? g->n - q * NR : NR;
        for (int i = 0; i < g->m; i++) {
            int32_t acc[NR] = {0};
            const uint8_t *ai = a + (size_t)i * g->lda;
            for (int p = 0; p < groups * 4; p++)
                for (int j = 0; j < NR; j++) acc[j] += (int32_t)ai[p] * panel[(size_t)(p / 4) * 64 + j * 4 + p % 4];
            for (int j = 0; j < cols; j++) {
                int col = q * NR + j;
                float t = (float)(acc[j] - g->offset * g->sums[col]);
                float s = g->scales[col] * g->row_scales[i];
                store(g, i, col, t * s);
            }
        }
    }
}

void vlm_q8_gemm(int path, int m, int n, int k, const uint8_t *xq, const float *row_scales,
                 const int8_t *packed, const float *scales, const int32_t *sums, int q0, int q1,
                 const float *bias, int accumulate, int act, float *c, int ldc) {
    if (m <= 0 || q1 <= q0) return;
    vlm_qargs g = {m, n, k, xq, vlm_q8_row_bytes(k), row_scales, packed, scales, sums, vlm_q8_offset(path),
                   bias, accumulate, act, c, ldc};
#if defined(__x86_64__)
    if (k > 0 && cpu_flags[path]) {
        switch (path) {
        case VLM_QPATH_VNNI512: vlm_q8_gemm_vnni512(&g, q0, q1); return;
        case VLM_QPATH_VNNI256: vlm_q8_gemm_vnni256(&g, q0, q1); return;
        case VLM_QPATH_AVXVNNI: vlm_q8_gemm_avxvnni(&g, q0, q1); return;
        case VLM_QPATH_AVX2: vlm_q8_gemm_avx2(&g, q0, q1); return;
        default: break;
        }
    }
#endif
    q8_portable(&g, q0, q1);
}

// ---- bf16 ----

static uint16_t to_bf16(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffff) > 0x7f800000) return (uint16_t)((u >> 16) | 0x40);  // quiet NaN
    u += 0x7fff + ((u >> 16) & 1);  // round to nearest even
    return (uint16_t)(u >> 16);
}

static float from_bf16(uint16_t h) {
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

size_t vlm_bf16_packed_bytes(int n, int k) { return (size_t)vlm_q_padded_n(n) / NR * (size_t)((k + 1) / 2) * 64; }
int vlm_bf16_row_elems(int k) { return (k + 1) / 2 * 2; }

void vlm_bf16_pack(const float *w, int ldw, int n, int k, uint16_t *packed) {
    int pairs = (k + 1) / 2;
    memset(packed, 0, vlm_bf16_packed_bytes(n, k));
    for (int j = 0; j < n; j++) {
        uint16_t *panel = packed + (size_t)(j / NR) * pairs * 32 + (j % NR) * 2;
        for (int p = 0; p < k; p++) panel[(size_t)(p / 2) * 32 + p % 2] = to_bf16(w[(size_t)j * ldw + p]);
    }
}

void vlm_bf16_convert(int m, int k, const float *x, int ldx, uint16_t *xb) {
    int re = vlm_bf16_row_elems(k);
    for (int i = 0; i < m; i++) {
        for (int p = 0; p < k; p++) xb[(size_t)i * re + p] = to_bf16(x[(size_t)i * ldx + p]);
        if (re > k) xb[(size_t)i * re + k] = 0;
    }
}

static void bf16_portable(const vlm_qargs *g, int q0, int q1) {
    int pairs = (g->k + 1) / 2;
    const uint16_t *a = g->a, *b = g->b;
    for (int q = q0; q < q1; q++) {
        const uint16_t *panel = b + (size_t)q * pairs * 32;
        int cols = g->n - q * NR < NR ? g->n - q * NR : NR;
        for (int i = 0; i < g->m; i++) {
            float acc[NR] = {0};
            const uint16_t *ai = a + (size_t)i * g->lda;
            for (int p = 0; p < pairs * 2; p++) {
                float av = from_bf16(ai[p]);
                for (int j = 0; j < NR; j++) acc[j] += av * from_bf16(panel[(size_t)(p / 2) * 32 + j * 2 + p % 2]);
            }
            for (int j = 0; j < cols; j++) store(g, i, q * NR + j, acc[j]);
        }
    }
}

void vlm_bf16_gemm(int path, int m, int n, int k, const uint16_t *xb, const uint16_t *packed,
                   int q0, int q1, const float *bias, int accumulate, int act, float *c, int ldc) {
    if (m <= 0 || q1 <= q0) return;
    vlm_qargs g = {m, n, k, xb, vlm_bf16_row_elems(k), NULL, packed, NULL, NULL, 0, bias, accumulate, act, c, ldc};
#if defined(__x86_64__)
    if (k > 0 && path == VLM_QPATH_BF16 && cpu_flags[VLM_QPATH_BF16]) {
        vlm_bf16_gemm_avx512(&g, q0, q1);
        return;
    }
#endif
    bf16_portable(&g, q0, q1);
}
