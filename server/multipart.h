/*
 * multipart.h - a streaming multipart/form-data parser (RFC 7578 / RFC 2046).
 *
 * The caller feeds the request body in chunks of any size; the parser calls
 * back at each part's start (with its name, filename and content type), with
 * the part's bytes as they arrive, and at its end. Nothing is buffered but one
 * part's headers (bounded), so a 256 MB upload streams to disk in constant
 * memory. A boundary split across two chunks is found all the same (KMP over
 * the delimiter "\r\n--<boundary>").
 */
#ifndef ZKML_SERVER_MULTIPART_H
#define ZKML_SERVER_MULTIPART_H

#include "common/common.h"

#include <stddef.h>
#include <stdint.h>

enum {
    MULTIPART_BOUNDARY_MAX = 70,  /* RFC 2046 */
    MULTIPART_NAME_MAX = 255,     /* a field name or a filename */
    MULTIPART_HEADERS_MAX = 8192, /* bytes of headers in one part */
    MULTIPART_PARTS_MAX = 32,
};

typedef struct multipart_part {
    char name[MULTIPART_NAME_MAX + 1];         /* form field name */
    char filename[MULTIPART_NAME_MAX + 1];     /* "" when the part is no file */
    char content_type[MULTIPART_NAME_MAX + 1]; /* "" when not given */
    int has_filename;
} multipart_part;

typedef struct multipart_callbacks {
    int (*part_begin)(void *ctx, const multipart_part *part, zkml_error *err);
    int (*part_data)(void *ctx, const uint8_t *data, size_t len, zkml_error *err);
    int (*part_end)(void *ctx, zkml_error *err);
} multipart_callbacks;

typedef struct multipart_parser multipart_parser;

/* Extracts the boundary from a Content-Type header value
 * ("multipart/form-data; boundary=..."), quoted or not. */
int multipart_boundary(const char *content_type, char out[MULTIPART_BOUNDARY_MAX + 1],
                       zkml_error *err);

int multipart_new(const char *boundary, const multipart_callbacks *cb, void *ctx,
                  multipart_parser **out, zkml_error *err);
void multipart_free(multipart_parser *p);
/* Feeds the next chunk. A callback's error stops the parse and is returned. */
int multipart_feed(multipart_parser *p, const uint8_t *data, size_t len, zkml_error *err);
/* The body has ended: fails unless the closing boundary was seen. */
int multipart_finish(multipart_parser *p, zkml_error *err);

#endif
