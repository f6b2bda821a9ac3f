#ifndef VLMNODE_CFFMPEG_SHIM_H
#define VLMNODE_CFFMPEG_SHIM_H
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavdevice/avdevice.h>
#include <libavutil/avutil.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
#include <errno.h>
/// Function-like macros Swift cannot import, as static inline functions.
static inline int vlm_averror(int e) { return AVERROR(e); }
static inline int vlm_averror_eof(void) { return AVERROR_EOF; }
static inline int vlm_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int vlm_averror_exit(void) { return AVERROR_EXIT; }
static inline int vlm_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }
static inline int64_t vlm_av_nopts_value(void) { return AV_NOPTS_VALUE; }
static inline int vlm_errno(void) { return errno; }
#endif
