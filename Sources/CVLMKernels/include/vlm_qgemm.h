// Reduced-precision Linear GEMMs on weights packed once: int8 W8A8 (dynamic, per-row activation
// scales, per-output-channel weight scales, int32 accumulation over the whole K) and bf16.
// Both share one packed layout: panels of VLM_Q_NR output columns; within a panel, for each group
// of K (4 int8 values or 2 bf16 values = 4 bytes) the NR columns' groups lie side by side (64
// bytes), which is what one `vpdpbusd` / `vdpbf16ps` zmm operand (or two ymm halves) reads.
// The fused fp32 epilogue is the packed sgemm's: scales, bias, accumulate (residual), quick_gelu.
#ifndef VLM_QGEMM_H
#define VLM_QGEMM_H

#include <stddef.h>
#include <stdint.h>

/// Output columns per packed panel (the same as VLM_GEMM_NR).
#define VLM_Q_NR 16

/// Kernel paths. Each path has its own activation format (see vlm_q8_act_max / vlm_q8_offset).
enum {
    VLM_QPATH_PORTABLE = 0,  ///< plain C (any CPU)
    VLM_QPATH_AVX2 = 1,      ///< vpmaddubsw + vpmaddwd, sign trick: exact 8-bit (no int16 saturation)
    VLM_QPATH_VNNI256 = 2,   ///< ymm vpdpbusd (AVX-512 VL encoding; the AVX-VNNI kernel's twin)
    VLM_QPATH_AVXVNNI = 3,   ///< ymm vpdpbusd, VEX encoding (Alder Lake / Zen 5 AVX-VNNI)
    VLM_QPATH_VNNI512 = 4,   ///< zmm vpdpbusd (AVX-512 VNNI)
    VLM_QPATH_BF16 = 5,      ///< zmm vdpbf16ps (AVX512_BF16); bf16 only
    VLM_QPATH_COUNT = 6
};

/// 1 when `path` can run on this CPU.
int vlm_q_path_available(int path);
/// Short name of a path ("avx512-vnni", …).
const char *vlm_q_path_name(int path);

/// The int8 path calls use: the best available unless forced (`vlm_q8_force_path`, or the
/// environment variable VLMNODE_INT8_PATH=portable|avx2|vnni256|avxvnni|vnni512 read at start-up).
int vlm_q8_path(void);
/// The bf16 path: VLM_QPATH_BF16 where available, else VLM_QPATH_PORTABLE (emulated, slow).
int vlm_bf16_path(void);
/// Test hook: forces `path` for int8 (-1 restores detection). Returns 0 if the CPU cannot run it.
int vlm_q8_force_path(int path);
/// Test hook: 1 forces the portable bf16 loop, 0 restores detection.
void vlm_bf16_force_portable(int force);

// ---- int8 ----

/// Bytes of the packed int8 weight: ceil(n/NR) panels of ceil(k/4) groups of 64 bytes.
size_t vlm_q8_packed_bytes(int n, int k);
/// Floats (and int32s) of the per-column arrays: ceil(n/NR) * NR (padding columns hold 0).
int vlm_q_padded_n(int n);
/// Quantizes `w` (n rows of k, `ldw` apart), each row multiplied by `smooth[p]` first when not
/// NULL (SmoothQuant factors folded into the weight), to symmetric int8 per output channel:
/// `scales[j]` = max|w_j| / 127, `sums[j]` = sum of row j's int8 values (the shift correction).
void vlm_q8_pack(const float *w, int ldw, int n, int k, const float *smooth,
                 int8_t *packed, float *scales, int32_t *sums);

/// Bytes per quantized activation row: k rounded up to 4.
int vlm_q8_row_bytes(int k);
/// Largest |q| of an activation on `path`: 127 on every path.
int vlm_q8_act_max(int path);
/// Offset added to q to store it as u8: 128, or 0 on VLM_QPATH_AVX2 (signed int8 bits).
int vlm_q8_offset(int path);
/// Quantizes rows of `x` (m x k, ldx) per row for `path`: x[i,p] * inv_smooth[p] (if not NULL)
/// -> q = rint(v * act_max / max|v_i|), stored as q + offset in `xq` (m rows of row_bytes, the
/// padding holding the offset, i.e. q = 0); `row_scales[i]` = max|v_i| / act_max.
void vlm_q8_quantize(int path, int m, int k, const float *x, int ldx, const float *inv_smooth,
                     uint8_t *xq, float *row_scales);
/// `c[i,j] = (accumulate ? c : 0) + row_scales[i] * scales[j] * sum_p q_x[i,p] q_w[j,p] + bias[j]`,
/// then `act` (VLM_GEMM_IDENTITY or VLM_GEMM_QUICK_GELU, not with accumulate), for the columns of
/// panels [q0, q1). `xq`/`row_scales` must come from vlm_q8_quantize with the same `path`.
void vlm_q8_gemm(int path, int m, int n, int k, const uint8_t *xq, const float *row_scales,
                 const int8_t *packed, const float *scales, const int32_t *sums, int q0, int q1,
                 const float *bias, int accumulate, int act, float *c, int ldc);

// ---- bf16 ----

/// Bytes of the packed bf16 weight: ceil(n/NR) panels of ceil(k/2) pairs of 64 bytes.
size_t vlm_bf16_packed_bytes(int n, int k);
/// Rounds `w` to bf16 (nearest even) into the packed layout.
void vlm_bf16_pack(const float *w, int ldw, int n, int k, uint16_t *packed);
/// bf16 values per converted activation row: k rounded up to 2.
int vlm_bf16_row_elems(int k);
/// Rounds rows of `x` to bf16 (nearest even), padding with 0.
void vlm_bf16_convert(int m, int k, const float *x, int ldx, uint16_t *xb);
/// `c = (accumulate ? c : 0) + xb · packedᵀ + bias`, then `act`, for panels [q0, q1).
void vlm_bf16_gemm(int path, int m, int n, int k, const uint16_t *xb, const uint16_t *packed,
                   int q0, int q1, const float *bias, int accumulate, int act, float *c, int ldc);

/// A buffer of at least `bytes` owned by the calling thread (grown, never shrunk; 64-byte aligned)
/// for the quantized activations of one product: valid until this thread asks again.
void *vlm_q_scratch(size_t bytes);

#endif
