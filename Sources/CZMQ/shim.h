#ifndef VLMNODE_CZMQ_SHIM_H
#define VLMNODE_CZMQ_SHIM_H
#include <zmq.h>
#include <errno.h>
/// errno is a macro on glibc: expose it as a function Swift can call.
static inline int vlm_errno(void) { return errno; }
#endif
