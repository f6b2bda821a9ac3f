/* A robot-controller client for vlmnode frames in C, with nothing but libzmq.
 *
 * Build:  cc -O2 -Wall -o frames_subscriber frames_subscriber.c -lzmq   (or: make)
 * Run:    ./frames_subscriber tcp://127.0.0.1:5555 [/camera/image] [count]
 *
 * Each message is [topic][header JSON][pixels] (docs/protocol.md, protocol v1). The header is a
 * flat JSON object at the top level, so a tiny key lookup is enough for the frame fields; use a
 * real JSON parser for result messages with nested arrays.
 */
#include <zmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Finds "key": in a JSON object's text and returns a pointer to its value, or NULL. */
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
    return end != v;
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

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s ENDPOINT [TOPIC] [COUNT]\n", argv[0]);
        return 2;
    }
    const char *endpoint = argv[1];
    const char *topic = argc > 2 ? argv[2] : "/camera/image";
    long count = argc > 3 ? atol(argv[3]) : 0;

    void *ctx = zmq_ctx_new();
    void *sub = zmq_socket(ctx, ZMQ_SUB);
    int timeout_ms = 10000;
    zmq_setsockopt(sub, ZMQ_RCVTIMEO, &timeout_ms, sizeof timeout_ms);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, topic, strlen(topic));
    if (zmq_connect(sub, endpoint) != 0) {
        fprintf(stderr, "cannot connect %s: %s\n", endpoint, zmq_strerror(zmq_errno()));
        return 1;
    }

    long received = 0, malformed = 0;
    int status = 0;
    while (count == 0 || received < count) {
        zmq_msg_t parts[3];
        int nparts = 0, more = 1;
        while (more) {  /* all parts of a message arrive together */
            zmq_msg_t scratch, *m = nparts < 3 ? &parts[nparts] : &scratch;
            zmq_msg_init(m);
            if (zmq_msg_recv(m, sub, 0) < 0) {
                zmq_msg_close(m);
                for (int i = 0; i < (nparts < 3 ? nparts : 3); i++) zmq_msg_close(&parts[i]);
                fprintf(stderr, "no frame on %s from %s within %d ms\n", topic, endpoint, timeout_ms);
                status = 1;
                goto done;
            }
            more = zmq_msg_more(m);
            if (m == &scratch) zmq_msg_close(m);
            nparts++;
        }
        if (nparts != 3) {
            malformed++;
        } else {
            const char *h = zmq_msg_data(&parts[1]);
            size_t hlen = zmq_msg_size(&parts[1]);
            long long v, seq, stamp, w, hgt, step;
            char enc[16];
            size_t topic_len = zmq_msg_size(&parts[0]);
            if (topic_len != strlen(topic) || memcmp(zmq_msg_data(&parts[0]), topic, topic_len) != 0) {
                /* SUB filters by prefix; skip other topics */
            } else if (!json_int(h, hlen, "v", &v) || v != 1 || !json_int(h, hlen, "seq", &seq) ||
                       !json_int(h, hlen, "stamp_ns", &stamp) || !json_int(h, hlen, "width", &w) ||
                       !json_int(h, hlen, "height", &hgt) || !json_int(h, hlen, "step", &step) ||
                       !json_string(h, hlen, "encoding", enc, sizeof enc) ||
                       (long long)zmq_msg_size(&parts[2]) != step * hgt) {
                malformed++;
            } else {
                const unsigned char *pixels = zmq_msg_data(&parts[2]);
                received++;
                printf("seq=%lld %lldx%lld %s %zu bytes first=%u latency=%.2f ms\n", seq, w, hgt, enc,
                       zmq_msg_size(&parts[2]), pixels[0], (now_ns() - stamp) / 1e6);
                fflush(stdout);
            }
        }
        for (int i = 0; i < (nparts < 3 ? nparts : 3); i++) zmq_msg_close(&parts[i]);
    }
done:
    printf("received %ld frames, %ld malformed\n", received, malformed);
    zmq_close(sub);
    zmq_ctx_term(ctx);
    return status;
}
