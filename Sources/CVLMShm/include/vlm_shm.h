// Shared-memory frame ring helpers for VLMBus: C11 atomics on words inside a mapping (Swift has no
// atomics on raw shared memory without a package) and the POSIX shm calls with the checks the
// ring needs (owner-only mode, reserved pages). Layout and protocol: docs/protocol.md section 8.
#ifndef VLM_SHM_H
#define VLM_SHM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/// Seqlock writer, start: makes the slot's generation odd (readers that see it drop the slot) and
/// orders that store before every following data store (release fence). Returns the odd value.
uint64_t vlm_shm_write_begin(uint64_t *generation);

/// Seqlock writer, end: publishes the data with an even generation (`odd + 1`, release store).
void vlm_shm_write_end(uint64_t *generation, uint64_t odd);

/// Seqlock reader, start: the generation (acquire load); odd means a write is in progress.
uint64_t vlm_shm_read_begin(const uint64_t *generation);

/// Seqlock reader, end: true when the generation is still `expected` after the reads (acquire
/// fence, then load): the bytes read since `vlm_shm_read_begin` were not overwritten.
bool vlm_shm_read_check(const uint64_t *generation, uint64_t expected);

/// Sequentially consistent load, store and compare-and-swap of a shared word (reader pins).
uint64_t vlm_shm_load(const uint64_t *word);
void vlm_shm_store(uint64_t *word, uint64_t value);
bool vlm_shm_cas(uint64_t *word, uint64_t expected, uint64_t desired);

/// Creates segment `name` (O_EXCL, mode 0600) of `size` bytes with every page reserved
/// (posix_fallocate: a full /dev/shm fails here, not with SIGBUS on a later write). Returns the
/// descriptor or -errno; on failure nothing is left behind.
int vlm_shm_create(const char *name, size_t size);

/// Opens an existing segment read-write and checks it: owned by this effective user, no group or
/// other permission bits, at least `min_size` bytes. Returns the descriptor and its size in
/// `*size`, or -errno (EACCES: wrong owner or mode; EINVAL: too small).
int vlm_shm_open_checked(const char *name, size_t min_size, size_t *size);

/// The start time of process `pid` in clock ticks since boot (field 22 of /proc/PID/stat), or 0
/// when the process does not exist or the file cannot be read.
uint64_t vlm_process_start_time(int pid);

#endif
