// Packed-weight sgemm for Linear layers: y[M,N] (+)= x[M,K] · Wᵀ (+ bias), with W stored (N, K) as
// Hugging Face Linear does. W is packed once into panels of VLM_GEMM_NR output columns, each panel
// K rows of NR contiguous floats (zero-padded past N), so every call streams the weights in the
// order the micro-kernel reads them and never repacks them (OpenBLAS repacks B on every call,
// which dominates at the small M of ViT/text tokens).
#ifndef VLM_GEMM_H
#define VLM_GEMM_H

#include <stddef.h>

/// Output columns per packed panel.
#define VLM_GEMM_NR 16

/// Floats needed to pack an (n, k) weight: ceil(n / NR) panels of k * NR.
size_t vlm_gemm_packed_count(int n, int k);

/// Packs `w` (n rows of k floats, `ldw` floats apart) into `packed` (vlm_gemm_packed_count(n, k)
/// floats; 64-byte aligned for aligned panel loads).
void vlm_gemm_pack(const float *w, int ldw, int n, int k, float *packed);

/// `c[i, j] = (accumulate ? c[i, j] : 0) + sum_p x[i, p] * w[j, p] + (bias ? bias[j] : 0)` for
/// rows i < m and the columns of panels [panel_begin, panel_end) (column j of panel q is
/// q * NR + j, clipped to n). Threads may run disjoint panel ranges of one product concurrently.
void vlm_gemm_packed(int m, int n, int k, const float *x, int ldx, const float *packed,
                     int panel_begin, int panel_end, const float *bias, int accumulate,
                     float *c, int ldc);

/// Activations the kernel can apply in its final store (after bias; not with accumulate).
enum { VLM_GEMM_IDENTITY = 0, VLM_GEMM_QUICK_GELU = 1 };

/// `vlm_gemm_packed` without accumulate, then `activation` (VLM_GEMM_QUICK_GELU: v * sigmoid(1.702 v))
/// applied to each output while it is still in registers.
void vlm_gemm_packed_act(int m, int n, int k, const float *x, int ldx, const float *packed,
                         int panel_begin, int panel_end, const float *bias, int activation,
                         float *c, int ldc);

/// 1 when the AVX2 + FMA micro-kernel runs on this CPU (and is not disabled), else 0 (portable loop).
int vlm_gemm_uses_simd(void);

/// Test hook: 1 forces the portable loop even where AVX2 + FMA exist; 0 restores detection.
void vlm_gemm_force_portable(int force);

#endif
