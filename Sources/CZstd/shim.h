#ifndef VLMNODE_CZSTD_SHIM_H
#define VLMNODE_CZSTD_SHIM_H
#include <zstd.h>
#endif
