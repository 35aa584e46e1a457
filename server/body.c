/*
 * body.c - reads a request body chunk by chunk into a sink (the multipart
 * parser of an upload, the staging file of a ceremony contribution), never
 * whole into memory, under a size limit and a minimum rate; and the
 * lingering close of a connection whose body was refused part-read.
 */
#include "server/server.h"

#include <civetweb.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

enum {
    READ_CHUNK = 65536,
    /* The slowest body accepted: at least BODY_MIN_BYTES in every window of
     * BODY_WINDOW_MS, so that a trickling client holds a request thread for
     * one window at most. */
    BODY_WINDOW_MS = 10000,
    BODY_MIN_BYTES = 16384,
    /* How long a refused body is drained after the answer (body_linger). */
    LINGER_MS = 2000,
};

/* How much to ask mg_read for. mg_read returns only once it has all it was
 * asked for (each byte may take up to request_timeout_ms), so a trickling
 * client could hold it for hours: ask only for what the socket already has,
 * or for one byte, so control comes back at least every request timeout. */
static int next_read_size(int fd)
{
    int avail = 0;
    if (fd < 0)
        return READ_CHUNK;
    if (ioctl(fd, FIONREAD, &avail) != 0 || avail < 1)
        return 1;
    return avail < READ_CHUNK ? avail : READ_CHUNK;
}

/* Body-rate windows: 0, or the 408 after a window that brought too little. */
typedef struct body_rate {
    int64_t window_start;
    uint64_t window_bytes;
} body_rate;

static int body_rate_check(body_rate *r, size_t n, const char *what, zkml_error *err)
{
    int64_t now = zkml_monotonic_ms();
    r->window_bytes += n;
    if (now - r->window_start < BODY_WINDOW_MS)
        return 0;
    if (r->window_bytes < BODY_MIN_BYTES) {
        zkml_fail(err, ZKML_EINVAL,
                  "the %s is too slow (%llu bytes in %lld ms; at least "
                  "%d bytes per %d s are needed)",
                  what, (unsigned long long)r->window_bytes, (long long)(now - r->window_start),
                  BODY_MIN_BYTES, BODY_WINDOW_MS / 1000);
        return 408;
    }
    r->window_start = now;
    r->window_bytes = 0;
    return 0;
}

/* The 413; declared: the Content-Length, or -1 when the body ran over. */
static int too_large(const body_limit *limit, long long declared, zkml_error *err)
{
    char size[48] = "";
    if (declared >= 0)
        snprintf(size, sizeof size, " of %lld bytes", declared);
    zkml_fail(err, ZKML_EINVAL, "%s%s is above the limit of %s", limit->what, size,
              limit->limit_text);
    return 413;
}

/* Feeds the body to the sink chunk by chunk: 0, or a status with err set. */
static int pump_body(const http_request *rq, const body_limit *limit, body_sink sink, void *ctx,
                     uint8_t *buf, zkml_error *err)
{
    uint64_t total = 0;
    int fd = http_socket_fd(rq);
    body_rate rate = {zkml_monotonic_ms(), 0};
    for (;;) {
        int n = mg_read(rq->conn, buf, (size_t)next_read_size(fd));
        if (n == 0)
            return 0;
        if (n < 0) {
            zkml_fail(err, ZKML_EINVAL, "the %s was interrupted", limit->what);
            return 400;
        }
        if ((total += (uint64_t)n) > limit->max)
            return too_large(limit, -1, err);
        if (sink(ctx, buf, (size_t)n, err))
            return err->code == ZKML_EINVAL ? 400 : 500;
        int slow = body_rate_check(&rate, (size_t)n, limit->what, err);
        if (slow)
            return slow;
    }
}

int body_stream(const http_request *rq, const body_limit *limit, body_sink sink, void *ctx,
                zkml_error *err)
{
    const struct mg_request_info *ri = mg_get_request_info(rq->conn);
    if (ri->content_length > 0 && (uint64_t)ri->content_length > limit->max)
        return too_large(limit, ri->content_length, err);
    uint8_t *buf = malloc(READ_CHUNK);
    if (!buf) {
        zkml_fail(err, ZKML_ENOMEM, "%s: out of memory", limit->what);
        return 500;
    }
    int status = pump_body(rq, limit, sink, ctx, buf, err);
    free(buf);
    return status;
}

static int keep_in_buf(void *ctx, const uint8_t *data, size_t len, zkml_error *err)
{
    zkml_buf *b = ctx;
    zkml_buf_put(b, data, len);
    return b->oom ? zkml_fail(err, ZKML_ENOMEM, "out of memory keeping the body") : 0;
}

int body_read(const http_request *rq, const body_limit *limit, zkml_buf *out, zkml_error *err)
{
    int status = body_stream(rq, limit, keep_in_buf, out, err);
    if (status) {
        body_refuse(rq);
        zkml_buf_free(out);
    }
    return status;
}

/* A request declares a body with a length or as chunks. */
static int body_declared(const http_request *rq)
{
    const struct mg_request_info *ri = mg_get_request_info(rq->conn);
    return ri->content_length > 0 || mg_get_header(rq->conn, "Transfer-Encoding") != NULL;
}

void body_refuse(const http_request *rq)
{
    if (!body_declared(rq))
        return; /* nothing to refuse: the connection may stay open */
    mg_disable_connection_keep_alive(rq->conn);
    if (rq->thread)
        rq->thread->body_refused = 1;
}

/* Why linger: CivetWeb closes a connection with shutdown(SHUT_WR) and close()
 * and drains what the client still sends only on Windows. On Linux, close()
 * with unread bytes in the receive queue sends a reset instead of the end of
 * the stream, and a client that is still sending its body (one that does not
 * wait for 100-continue: curl under 1 MiB, browsers, Node's fetch) may receive
 * the reset before it reads the answer, which it then never sees. Ending our
 * side first and reading until the client ends its own, or LINGER_MS passes,
 * lets the answer arrive; the time bound keeps a client that never stops from
 * holding the thread. */
void body_linger(const http_request *rq)
{
    if (!rq->thread || !rq->thread->body_refused)
        return;
    rq->thread->body_refused = 0;
    int fd = http_socket_fd(rq);
    if (fd < 0 || shutdown(fd, SHUT_WR) != 0)
        return;
    int64_t end = zkml_monotonic_ms() + LINGER_MS;
    char discard[16384];
    for (int64_t left; (left = end - zkml_monotonic_ms()) > 0;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, (int)left) <= 0 || recv(fd, discard, sizeof discard, MSG_DONTWAIT) <= 0)
            return;
    }
}
