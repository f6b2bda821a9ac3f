#ifndef VLMNODE_CZLIB_SHIM_H
#define VLMNODE_CZLIB_SHIM_H
/* Only crc32/crc32_combine are used: zlib's braided CRC-32 is ~4x a Swift slicing-by-8 loop. */
#include <zlib.h>
#endif
