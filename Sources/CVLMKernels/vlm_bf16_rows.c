// Rounding activation rows to bf16 for the bf16 GEMM (vlm_bf16_convert's layout: rows of
// vlm_bf16_row_elems(k), the odd padding value 0), with `vcvtne2ps2bf16` where AVX512_BF16 runs:
// the portable conversion is scalar, and the text towers convert every activation row per call.
#include "include/vlm_qgemm.h"

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx2,fma,avx512f,avx512bw,avx512vl,avx512dq,avx512bf16"))) static void
convert_avx512(int m, int k, const float *x, int ldx, uint16_t *xb) {
    int re = vlm_bf16_row_elems(k);
    for (int i = 0; i < m; i++) {
        const float *xi = x + (size_t)i * ldx;
        uint16_t *o = xb + (size_t)i * re;
        int p = 0;
        for (; p + 32 <= k; p += 32)
            _mm512_storeu_si512(o + p, (__m512i)_mm512_cvtne2ps_pbh(_mm512_loadu_ps(xi + p + 16), _mm512_loadu_ps(xi + p)));
        for (; p < re; p += 16) {
            int n = k - p < 16 ? k - p : 16, w = re - p < 16 ? re - p : 16;
            __mmask16 ml = (__mmask16)(n >= 16 ? 0xffff : n > 0 ? (1u << n) - 1 : 0);
            __mmask16 ms = (__mmask16)(w >= 16 ? 0xffff : (1u << w) - 1);
            _mm256_mask_storeu_epi16(o + p, ms, (__m256i)_mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(ml, xi + p)));
        }
    }
}
#endif

void vlm_bf16_convert_rows(int path, int m, int k, const float *x, int ldx, uint16_t *xb) {
#if defined(__x86_64__)
    if (path == VLM_QPATH_BF16 && vlm_q_path_available(VLM_QPATH_BF16)) {
        convert_avx512(m, k, x, ldx, xb);
        return;
    }
#endif
    vlm_bf16_convert(m, k, x, ldx, xb);
}
