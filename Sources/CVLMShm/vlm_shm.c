#define _GNU_SOURCE
#include "vlm_shm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

// The words live in shared memory that other processes map; they are 8-byte aligned by layout.
#define A(p) ((_Atomic uint64_t *)(p))

uint64_t vlm_shm_write_begin(uint64_t *generation) {
    uint64_t odd = atomic_load_explicit(A(generation), memory_order_relaxed) | 1;
    atomic_store_explicit(A(generation), odd, memory_order_relaxed);
    // Boehm's seqlock: the release fence keeps the odd store ahead of the data stores, so a
    // reader whose acquire fence sees any new data also sees the odd (or a later) generation.
    atomic_thread_fence(memory_order_release);
    return odd;
}

void vlm_shm_write_end(uint64_t *generation, uint64_t odd) {
    atomic_store_explicit(A(generation), odd + 1, memory_order_release);
}

uint64_t vlm_shm_read_begin(const uint64_t *generation) {
    return atomic_load_explicit(A(generation), memory_order_acquire);
}

bool vlm_shm_read_check(const uint64_t *generation, uint64_t expected) {
    atomic_thread_fence(memory_order_acquire);
    return atomic_load_explicit(A(generation), memory_order_relaxed) == expected;
}

uint64_t vlm_shm_load(const uint64_t *word) { return atomic_load(A(word)); }
void vlm_shm_store(uint64_t *word, uint64_t value) { atomic_store(A(word), value); }
bool vlm_shm_cas(uint64_t *word, uint64_t expected, uint64_t desired) {
    return atomic_compare_exchange_strong(A(word), &expected, desired);
}

int vlm_shm_create(const char *name, size_t size) {
    int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) return -errno;
    // The umask may have cleared bits but never adds any; fchmod pins 0600 regardless.
    int err = fchmod(fd, 0600) == 0 ? posix_fallocate(fd, 0, (off_t)size) : errno;
    if (err != 0) {
        close(fd);
        shm_unlink(name);
        return -err;
    }
    return fd;
}

int vlm_shm_open_checked(const char *name, size_t min_size, size_t *size) {
    int fd = shm_open(name, O_RDWR | O_CLOEXEC, 0);
    if (fd < 0) return -errno;
    struct stat st;
    int err = 0;
    if (fstat(fd, &st) != 0) err = errno;
    else if (st.st_uid != geteuid() || (st.st_mode & 077) != 0 || !S_ISREG(st.st_mode)) err = EACCES;
    else if ((size_t)st.st_size < min_size) err = EINVAL;
    if (err != 0) {
        close(fd);
        return -err;
    }
    *size = (size_t)st.st_size;
    return fd;
}

uint64_t vlm_process_start_time(int pid) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = 0;
    // The command name (field 2) may contain spaces and parentheses: count from the last ')'.
    char *p = strrchr(buf, ')');
    if (!p) return 0;
    p++;
    // p is at the space before field 3; step to the space before field 22.
    for (int field = 3; field < 22 && p; field++) p = strchr(p + 1, ' ');
    if (!p) return 0;
    unsigned long long t = 0;
    if (sscanf(p + 1, "%llu", &t) != 1) return 0;
    return (uint64_t)t;
}
