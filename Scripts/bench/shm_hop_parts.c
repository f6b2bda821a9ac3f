/* Where a shared-memory 1080p hop spends its time, piece by piece (no ZeroMQ): the 6.2 MB copy
 * into a ring slot (fresh mapping: page faults; MAP_POPULATE: none), and a thread wake-up through
 * a futex-backed condition variable (the subscriber's hand-off). Prints p50/p99 in microseconds.
 * cc -O2 -o /tmp/p Scripts/bench/shm_hop_parts.c -lpthread && /tmp/p */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static double now_us(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e6 + t.tv_nsec / 1e3; }
static int cmp(const void *a, const void *b) { double x = *(double *)a, y = *(double *)b; return x < y ? -1 : x > y; }
static void report(const char *what, double *v, int n) {
    qsort(v, n, sizeof *v, cmp);
    printf("%-52s p50 %8.1f us  p99 %8.1f us  max %8.1f us\n", what, v[n / 2], v[n * 99 / 100], v[n - 1]);
}

enum { N = 200, BYTES = 1920 * 1080 * 3 };
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static volatile double posted; static int flag;
static double wake[N];

static void *waiter(void *arg) {
    (void)arg;
    for (int i = 0; i < N; i++) {
        pthread_mutex_lock(&mu);
        while (!flag) pthread_cond_wait(&cv, &mu);
        flag = 0;
        wake[i] = now_us() - posted;
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}

static unsigned char *fresh(int populate) {
    char name[64];
    snprintf(name, sizeof name, "/hopparts.%d", getpid());
    int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
    shm_unlink(name);
    posix_fallocate(fd, 0, BYTES);
    unsigned char *p = mmap(NULL, BYTES, PROT_READ | PROT_WRITE, MAP_SHARED | (populate ? MAP_POPULATE : 0), fd, 0);
    close(fd);
    return p;
}

int main(void) {
    unsigned char *src = malloc(BYTES);
    memset(src, 7, BYTES);
    double v[N];
    for (int populate = 0; populate < 2; populate++) {
        for (int i = 0; i < 20; i++) {  /* fewer: each maps a new segment */
            unsigned char *dst = fresh(populate);
            double t = now_us();
            memcpy(dst, src, BYTES);
            v[i] = now_us() - t;
            munmap(dst, BYTES);
        }
        report(populate ? "copy 6.2 MB into a fresh slot, MAP_POPULATE" : "copy 6.2 MB into a fresh slot (page faults)", v, 20);
    }
    unsigned char *dst = fresh(1);
    for (int i = 0; i < N; i++) { double t = now_us(); memcpy(dst, src, BYTES); v[i] = now_us() - t; usleep(2000); }
    report("copy 6.2 MB into a slot already mapped", v, N);
    volatile unsigned long sum = 0;
    for (int i = 0; i < N; i++) {
        double t = now_us(); unsigned long s = 0;
        for (size_t k = 0; k < BYTES; k += 64) s += dst[k];
        sum += s; v[i] = now_us() - t; usleep(2000);
    }
    report("reader touches every cache line of the slot", v, N);
    pthread_t th;
    pthread_create(&th, NULL, waiter, NULL);
    for (int i = 0; i < N; i++) {
        usleep(2000);
        pthread_mutex_lock(&mu);
        posted = now_us(); flag = 1;
        pthread_cond_signal(&cv);
        pthread_mutex_unlock(&mu);
    }
    pthread_join(th, NULL);
    report("wake a sleeping thread (condition variable)", wake, N);
    return (int)(sum & 0);
}
