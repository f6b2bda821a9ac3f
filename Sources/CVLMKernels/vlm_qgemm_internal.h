// Shared between the portable int8/bf16 code and the x86 kernels (not public API).
#ifndef VLM_QGEMM_INTERNAL_H
#define VLM_QGEMM_INTERNAL_H

#include "include/vlm_qgemm.h"

/// One product: the quantized (or bf16) rows, the packed weight and the fp32 epilogue.
typedef struct {
    int m, n, k;
    const void *a;            ///< uint8 rows (int8 paths) or uint16 bf16 rows
    int lda;                  ///< bytes (int8) or elements (bf16) between rows
    const float *row_scales;  ///< int8 only
    const void *b;            ///< packed weight
    const float *scales;      ///< int8 only: per column (padded)
    const int32_t *sums;      ///< int8 only: per column (padded)
    int offset;               ///< int8 only: activation u8 offset
    const float *bias;
    int accumulate, act;
    float *c;
    int ldc;
} vlm_qargs;

#if defined(__x86_64__)
void vlm_q8_gemm_vnni512(const vlm_qargs *g, int q0, int q1);
void vlm_q8_gemm_vnni256(const vlm_qargs *g, int q0, int q1);
void vlm_q8_gemm_avxvnni(const vlm_qargs *g, int q0, int q1);
void vlm_q8_gemm_avx2(const vlm_qargs *g, int q0, int q1);
void vlm_bf16_gemm_avx512(const vlm_qargs *g, int q0, int q1);
void vlm_q8_quantize_avx512(int m, int k, const float *x, int ldx, const float *inv_smooth,
                            int act_max, int offset, uint8_t *xq, float *row_scales);
void vlm_q8_quantize_avx2(int m, int k, const float *x, int ldx, const float *inv_smooth,
                          int act_max, int offset, uint8_t *xq, float *row_scales);
#endif

#endif
