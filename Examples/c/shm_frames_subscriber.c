/* A same-host client for vlmnode frames in C that reads the pixels in place from the publisher's
 * shared-memory ring (docs/protocol.md section 8), with nothing but libzmq and POSIX.
 *
 * Build:  cc -O2 -Wall -o shm_frames_subscriber shm_frames_subscriber.c -lzmq   (or: make)
 * Run:    ./shm_frames_subscriber ipc:///tmp/cam.sock [/camera/image] [count] [hold_first_ms]
 *
 * It subscribes to "@shm:" + topic; a vlmnode publisher then sends each frame as a
 * vlm/SharedFrame header naming a slot of its ring segment and the slot's generation. The reader
 * maps the segment once (owner and mode checked), reads the slot in place and checks the
 * generation again afterwards (a seqlock): a slot overwritten while it was read is a torn frame,
 * dropped and counted, never printed. hold_first_ms keeps the first frame that long between the
 * read and the check (to see a torn frame). Prints seq, size, the first byte, whether every byte
 * equals it, and the latency; then the counts.
 */
#include <zmq.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Finds "key": in a JSON object's text and returns a pointer to its value, or NULL. The keys read
 * here are unique in a vlm/SharedFrame header, including those inside its "shm" object. */
static const char *json_value(const char *json, size_t len, const char *key) {
    char pattern[64];
    int n = snprintf(pattern, sizeof pattern, "\"%s\":", key);
    for (size_t i = 0; n > 0 && i + (size_t)n <= len; i++) {
        if (memcmp(json + i, pattern, (size_t)n) == 0) return json + i + n;
    }
    return NULL;
}

static int json_int(const char *json, size_t len, const char *key, long long *out) {
    const char *v = json_value(json, len, key);
    if (!v) return 0;
    char *end;
    *out = strtoll(v, &end, 10);
    return end != v && *out >= 0;
}

static int json_string(const char *json, size_t len, const char *key, char *out, size_t cap) {
    const char *v = json_value(json, len, key);
    if (!v || *v != '"') return 0;
    const char *close = memchr(v + 1, '"', len - (size_t)(v + 1 - json));
    if (!close || (size_t)(close - v - 1) >= cap) return 0;
    memcpy(out, v + 1, (size_t)(close - v - 1));
    out[close - v - 1] = 0;
    return 1;
}

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* One mapped ring segment (the most recent; a publisher makes one per topic). */
struct ring {
    char name[96];
    const unsigned char *base;
    size_t size;
    uint32_t slots;
    uint64_t slot_bytes, data_offset;
};

/* "/vlmbus.<pid>.<start>.<n>": only names of this form are opened. */
static int valid_name(const char *name) {
    if (strncmp(name, "/vlmbus.", 8) != 0) return 0;
    int fields = 1;
    const char *p = name + 8;
    if (!*p) return 0;
    for (; *p; p++) {
        if (*p == '.') {
            if (p[1] == '.' || p[1] == 0) return 0;
            fields++;
        } else if (*p < '0' || *p > '9') {
            return 0;
        }
    }
    return fields == 3;
}

/* Maps `name` into `r` (unmapping the previous one). 0: not mappable here (counted unavailable). */
static int map_ring(struct ring *r, const char *name) {
    if (r->base && strcmp(r->name, name) == 0) return 1;
    if (!valid_name(name) || strlen(name) >= sizeof r->name) return 0;
    int fd = shm_open(name, O_RDONLY, 0);
    if (fd < 0) return 0;
    struct stat st;
    /* Ours, and nobody else may read or write it (same rule as the Swift and Python readers). */
    if (fstat(fd, &st) != 0 || st.st_uid != geteuid() || (st.st_mode & 077) || (size_t)st.st_size < 64) {
        close(fd);
        return 0;
    }
    const unsigned char *base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
    close(fd);
    if (base == MAP_FAILED) return 0;
    uint32_t version, slots;
    uint64_t slot_bytes, data_offset;
    memcpy(&version, base + 8, 4);
    memcpy(&slots, base + 12, 4);
    memcpy(&slot_bytes, base + 16, 8);
    memcpy(&data_offset, base + 24, 8);
    if (memcmp(base, "VLMSHM01", 8) != 0 || version != 1 || slots == 0 || slots > 1024 ||
        data_offset > (uint64_t)st.st_size || slot_bytes > ((uint64_t)st.st_size - data_offset) / slots) {
        munmap((void *)base, (size_t)st.st_size);
        return 0;
    }
    if (r->base) munmap((void *)r->base, r->size);
    *r = (struct ring){.base = base, .size = (size_t)st.st_size, .slots = slots, .slot_bytes = slot_bytes,
                       .data_offset = data_offset};
    strcpy(r->name, name);
    return 1;
}

static uint64_t generation_acquire(const struct ring *r, long long slot) {
    return __atomic_load_n((const uint64_t *)(r->base + 64 + 64 * slot), __ATOMIC_ACQUIRE);
}

/* The seqlock's end: an acquire fence orders the pixel reads before this load. */
static int still_intact(const struct ring *r, long long slot, uint64_t generation) {
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    return __atomic_load_n((const uint64_t *)(r->base + 64 + 64 * slot), __ATOMIC_RELAXED) == generation;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s ENDPOINT [TOPIC] [COUNT] [HOLD_FIRST_MS]\n", argv[0]);
        return 2;
    }
    const char *endpoint = argv[1];
    const char *topic = argc > 2 ? argv[2] : "/camera/image";
    long count = argc > 3 ? atol(argv[3]) : 0;
    long hold_first_ms = argc > 4 ? atol(argv[4]) : 0;
    char subscription[256];
    if (snprintf(subscription, sizeof subscription, "@shm:%s", topic) >= (int)sizeof subscription) {
        fprintf(stderr, "topic too long\n");
        return 2;
    }

    void *ctx = zmq_ctx_new();
    void *sub = zmq_socket(ctx, ZMQ_SUB);
    int timeout_ms = 10000;
    zmq_setsockopt(sub, ZMQ_RCVTIMEO, &timeout_ms, sizeof timeout_ms);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, subscription, strlen(subscription));
    if (zmq_connect(sub, endpoint) != 0) {
        fprintf(stderr, "cannot connect %s: %s\n", endpoint, zmq_strerror(zmq_errno()));
        return 1;
    }

    struct ring ring = {0};
    long received = 0, malformed = 0, torn = 0, reclaimed = 0, unavailable = 0;
    int status = 0;
    while (count == 0 || received < count) {
        zmq_msg_t parts[2];
        int nparts = 0, more = 1;
        while (more) {  /* all parts of a message arrive together */
            zmq_msg_t scratch, *m = nparts < 2 ? &parts[nparts] : &scratch;
            zmq_msg_init(m);
            if (zmq_msg_recv(m, sub, 0) < 0) {
                zmq_msg_close(m);
                for (int i = 0; i < (nparts < 2 ? nparts : 2); i++) zmq_msg_close(&parts[i]);
                fprintf(stderr, "no frame on %s from %s within %d ms\n", topic, endpoint, timeout_ms);
                status = 1;
                goto done;
            }
            more = zmq_msg_more(m);
            if (m == &scratch) zmq_msg_close(m);
            nparts++;
        }
        const char *h = nparts == 2 ? zmq_msg_data(&parts[1]) : NULL;
        size_t hlen = nparts == 2 ? zmq_msg_size(&parts[1]) : 0;
        long long v, seq, stamp, w, hgt, step, slot, generation, offset, size;
        char type[32], enc[16], segment[96];
        size_t topic_len = nparts >= 1 ? zmq_msg_size(&parts[0]) : 0;
        if (nparts == 2 && (topic_len != strlen(subscription) ||
                            memcmp(zmq_msg_data(&parts[0]), subscription, topic_len) != 0)) {
            /* SUB filters by prefix; skip other topics */
        } else if (nparts != 2 || !json_int(h, hlen, "v", &v) || v != 1 || !json_string(h, hlen, "type", type, sizeof type) ||
            strcmp(type, "vlm/SharedFrame") != 0 || !json_int(h, hlen, "seq", &seq) ||
            !json_int(h, hlen, "stamp_ns", &stamp) || !json_int(h, hlen, "width", &w) ||
            !json_int(h, hlen, "height", &hgt) || !json_int(h, hlen, "step", &step) ||
            !json_string(h, hlen, "encoding", enc, sizeof enc) || !json_string(h, hlen, "segment", segment, sizeof segment) ||
            !json_int(h, hlen, "slot", &slot) || !json_int(h, hlen, "generation", &generation) ||
            !json_int(h, hlen, "offset", &offset) || !json_int(h, hlen, "size", &size) || size != step * hgt ||
            (generation & 1)) {
            malformed++;
        } else if (!map_ring(&ring, segment)) {
            unavailable++;  /* another host or container, another user: ask for inline frames there */
        } else if (slot >= ring.slots || (uint64_t)size > ring.slot_bytes ||
                   (uint64_t)offset != ring.data_offset + (uint64_t)slot * ring.slot_bytes) {
            malformed++;
        } else if (generation_acquire(&ring, slot) != (uint64_t)generation) {
            reclaimed++;  /* the slot was reused before we got to it */
        } else {
            /* Read in place: the first byte, and whether every byte equals it. */
            const unsigned char *pixels = ring.base + offset;
            unsigned first = pixels[0];
            int uniform = 1;
            for (long long i = 1; i < size; i++) uniform &= pixels[i] == first;
            if (hold_first_ms > 0 && received == 0 && torn == 0) usleep((useconds_t)hold_first_ms * 1000);
            if (!still_intact(&ring, slot, (uint64_t)generation)) {
                torn++;  /* overwritten while we read it: what we computed is discarded */
            } else {
                received++;
                printf("seq=%lld %lldx%lld %s %lld bytes first=%u uniform=%d latency=%.2f ms\n", seq, w, hgt, enc, size,
                       first, uniform, (now_ns() - stamp) / 1e6);
                fflush(stdout);
            }
        }
        for (int i = 0; i < (nparts < 2 ? nparts : 2); i++) zmq_msg_close(&parts[i]);
    }
done:
    printf("received %ld frames, %ld malformed; shared memory: %ld torn, %ld reclaimed, %ld unavailable\n", received,
           malformed, torn, reclaimed, unavailable);
    if (ring.base) munmap((void *)ring.base, ring.size);
    zmq_close(sub);
    zmq_ctx_term(ctx);
    return status;
}
