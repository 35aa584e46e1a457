/*
 * fuzz_multipart.c - the streaming multipart parser on arbitrary bodies.
 * Besides not crashing, the parse must not depend on where the body is cut
 * into chunks: the events of a one-chunk parse, a byte-at-a-time parse and a
 * 7-byte-chunk parse must be identical (a boundary split across chunks is the
 * case that goes wrong in streaming parsers).
 */
#include "server/multipart.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct transcript {
    uint8_t buf[1 << 16];
    size_t len;
    int truncated;
} transcript;

static void record(transcript *t, const void *data, size_t len)
{
    if (t->len + len > sizeof t->buf) {
        t->truncated = 1;
        return;
    }
    memcpy(t->buf + t->len, data, len);
    t->len += len;
}

static int on_begin(void *ctx, const multipart_part *part, zkml_error *err)
{
    (void)err;
    record(ctx, "B", 1);
    record(ctx, part->name, strlen(part->name) + 1);
    record(ctx, part->filename, strlen(part->filename) + 1);
    record(ctx, part->content_type, strlen(part->content_type) + 1);
    return 0;
}

static int on_data(void *ctx, const uint8_t *data, size_t len, zkml_error *err)
{
    (void)err;
    /* Data may arrive in different pieces per chunking: record bytes only. */
    record(ctx, data, len);
    return 0;
}

static int on_end(void *ctx, zkml_error *err)
{
    (void)err;
    record(ctx, "E", 1);
    return 0;
}

static void parse(const uint8_t *data, size_t size, size_t chunk, transcript *t)
{
    static const multipart_callbacks cb = {on_begin, on_data, on_end};
    multipart_parser *p;
    zkml_error err;
    memset(t, 0, sizeof *t);
    if (multipart_new("zkmlB", &cb, t, &p, &err))
        abort();
    int rc = 0;
    for (size_t i = 0; i < size && rc == 0; i += chunk)
        rc = multipart_feed(p, data + i, size - i < chunk ? size - i : chunk, &err);
    if (rc == 0)
        rc = multipart_finish(p, &err);
    record(t, rc == 0 ? "OK" : "ER", 2);
    multipart_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char boundary[MULTIPART_BOUNDARY_MAX + 1];
    char ct[256];
    size_t n = size < sizeof ct - 1 ? size : sizeof ct - 1;
    memcpy(ct, data, n);
    ct[n] = '\0';
    zkml_error err;
    (void)multipart_boundary(ct, boundary, &err);

    transcript *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    if (!a || !b)
        abort();
    parse(data, size, size ? size : 1, a);
    size_t chunks[] = {1, 7};
    for (size_t i = 0; i < 2; i++) {
        parse(data, size, chunks[i], b);
        if (!a->truncated && !b->truncated &&
            (a->len != b->len || memcmp(a->buf, b->buf, a->len) != 0)) {
            fprintf(stderr, "multipart: chunk size %zu changes the parse\n", chunks[i]);
            abort();
        }
    }
    free(a);
    free(b);
    return 0;
}
