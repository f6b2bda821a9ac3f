// Reduced-precision attention for one head: softmax(scale · q kᵀ) v with q, k, v and the
// probabilities rounded to bf16 (`vdpbf16ps` products, fp32 accumulation) and the softmax in fp32.
// The two products run on the bf16 GEMM kernel of vlm_qgemm.h (k and v packed per call as its
// "weights"); the softmax (max, exp, sum, normalise, round to bf16) is one AVX-512 pass per row
// over scores that stay in L2 (query rows are processed in blocks).
#ifndef VLM_ATTENTION_H
#define VLM_ATTENTION_H

#include <stddef.h>
#include <stdint.h>

/// One head of unmasked attention in bf16 for `m` query rows against `keys` keys of `hd` values:
/// `out[i] = sum_j softmax_j(scale · q_i · k_j) v_j`. q: m rows `ldq` floats apart; k, v: `keys`
/// rows `ldk` / `ldv` apart; out: m rows `ldo` apart (written, never read). `path` is
/// vlm_bf16_path() (VLM_QPATH_BF16: AVX512_BF16 kernels; anything else: the portable loops, which
/// round the same way). Uses the calling thread's vlm_q_scratch. keys >= 1, hd >= 1.
void vlm_attn_bf16(int path, int m, int keys, int hd, const float *q, int ldq, const float *k, int ldk,
                   const float *v, int ldv, float scale, float *out, int ldo);

/// vlm_bf16_convert with `vcvtne2ps2bf16` when `path` is VLM_QPATH_BF16 and the CPU has it (the
/// same rounding to nearest even; the portable conversion is scalar). In vlm_bf16_rows.c.
void vlm_bf16_convert_rows(int path, int m, int k, const float *x, int ldx, uint16_t *xb);

/// Query rows per block of vlm_attn_bf16 for `keys` keys (its scores and probabilities stay in L2).
int vlm_attn_block_rows(int keys);

/// Test hook: sets the block (0 restores the default), so small tests cover several blocks.
void vlm_attn_force_block_rows(int rows);

#endif
