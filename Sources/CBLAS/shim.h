#ifndef VLMNODE_CBLAS_SHIM_H
#define VLMNODE_CBLAS_SHIM_H
/* Debian's cblas.h (OpenBLAS) also declares openblas_set_num_threads / openblas_get_num_threads. */
#include <cblas.h>
#endif
