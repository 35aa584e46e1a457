/*
 * multipart.c - streaming multipart/form-data parser; contract in multipart.h.
 *
 * The body is a preamble, then parts, each introduced by the delimiter
 * "\r\n--<boundary>" (the first may lack the CRLF), then "--" after the last
 * delimiter. One KMP matcher over the delimiter runs in the preamble and in
 * part bodies; bytes that turn out not to start a delimiter are handed on as
 * data (in a body) or dropped (in the preamble).
 */
#include "server/multipart.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum state {
    ST_PREAMBLE,    /* before the first delimiter: bytes are dropped */
    ST_AFTER_DELIM, /* after a delimiter: "--", or padding and CRLF */
    ST_AFTER_DASH,  /* saw one '-' after a delimiter */
    ST_AFTER_CR,    /* saw CR after a delimiter */
    ST_HEADERS,     /* collecting one part's header block */
    ST_BODY,        /* a part's bytes */
    ST_DONE,        /* after the closing delimiter: the epilogue is dropped */
};

struct multipart_parser {
    multipart_callbacks cb;
    void *ctx;
    enum state state;
    char delim[MULTIPART_BOUNDARY_MAX + 5]; /* "\r\n--" boundary */
    size_t delim_len;
    size_t fail[MULTIPART_BOUNDARY_MAX + 5]; /* KMP: longest proper border of delim[0..m) */
    size_t match;                            /* delimiter bytes matched so far */
    char headers[MULTIPART_HEADERS_MAX + 1];
    size_t headers_len;
    int parts;
};

/* ---- header values ------------------------------------------------------- */

static int is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* Finds parameter key in a header value "type; a=b; c=\"d e\"" and copies its
 * (unquoted) value into out. Returns 1 found, 0 absent, <0 too long or malformed. */
static int header_param(const char *value, const char *key, char *out, size_t outlen)
{
    const char *p = strchr(value, ';');
    size_t keylen = strlen(key);
    while (p && *p == ';') {
        p++;
        while (is_space(*p))
            p++;
        const char *name = p;
        while (*p && *p != '=' && *p != ';' && !is_space(*p))
            p++;
        size_t namelen = (size_t)(p - name);
        while (is_space(*p))
            p++;
        if (*p != '=') {
            if (*p && *p != ';')
                return -1;
            continue;
        }
        p++;
        while (is_space(*p))
            p++;
        int wanted = namelen == keylen && strncasecmp(name, key, keylen) == 0;
        size_t n = 0;
        if (*p == '"') {
            for (p++; *p && *p != '"'; p++) {
                if (*p == '\\' && p[1])
                    p++;
                if (wanted) {
                    if (n + 1 >= outlen)
                        return -1;
                    out[n++] = *p;
                }
            }
            if (*p != '"')
                return -1;
            p++;
        } else {
            for (; *p && *p != ';' && !is_space(*p); p++) {
                if (wanted) {
                    if (n + 1 >= outlen)
                        return -1;
                    out[n++] = *p;
                }
            }
        }
        if (wanted) {
            out[n] = '\0';
            return 1;
        }
        while (is_space(*p))
            p++;
    }
    return 0;
}

int multipart_boundary(const char *content_type, char out[MULTIPART_BOUNDARY_MAX + 1],
                       zkml_error *err)
{
    static const char type[] = "multipart/form-data";
    if (!content_type || strncasecmp(content_type, type, sizeof type - 1) != 0 ||
        (content_type[sizeof type - 1] && content_type[sizeof type - 1] != ';' &&
         !is_space(content_type[sizeof type - 1])))
        return zkml_fail(err, ZKML_EINVAL, "the request body must be multipart/form-data (got %s)",
                         content_type ? content_type : "no Content-Type");
    int r = header_param(content_type, "boundary", out, MULTIPART_BOUNDARY_MAX + 1);
    if (r <= 0 || out[0] == '\0')
        return zkml_fail(err, ZKML_EINVAL,
                         "Content-Type multipart/form-data needs a boundary of 1 to %d characters",
                         MULTIPART_BOUNDARY_MAX);
    for (const char *c = out; *c; c++)
        if (*c == '\r' || *c == '\n')
            return zkml_fail(err, ZKML_EINVAL, "multipart boundary contains a line break");
    return ZKML_OK;
}

/* ---- parser --------------------------------------------------------------- */

int multipart_new(const char *boundary, const multipart_callbacks *cb, void *ctx,
                  multipart_parser **out, zkml_error *err)
{
    size_t blen = strlen(boundary);
    if (blen == 0 || blen > MULTIPART_BOUNDARY_MAX)
        return zkml_fail(err, ZKML_EINVAL, "multipart boundary must have 1 to %d characters",
                         MULTIPART_BOUNDARY_MAX);
    multipart_parser *p = calloc(1, sizeof *p);
    if (!p)
        return zkml_fail(err, ZKML_ENOMEM, "multipart parser: out of memory");
    p->cb = *cb;
    p->ctx = ctx;
    memcpy(p->delim, "\r\n--", 4);
    memcpy(p->delim + 4, boundary, blen);
    p->delim_len = blen + 4;
    /* fail[m] for m >= 1: the standard KMP prefix function, shifted by one. */
    p->fail[0] = p->fail[1] = 0;
    for (size_t m = 1, k = 0; m < p->delim_len; m++) {
        while (k > 0 && p->delim[m] != p->delim[k])
            k = p->fail[k];
        if (p->delim[m] == p->delim[k])
            k++;
        p->fail[m + 1] = k;
    }
    /* The first delimiter may open the body without a CRLF before it. */
    p->state = ST_PREAMBLE;
    p->match = 2;
    *out = p;
    return ZKML_OK;
}

void multipart_free(multipart_parser *p)
{
    free(p);
}

/* Hands bytes of the current part on; the preamble's bytes are dropped. */
static int emit(multipart_parser *p, const uint8_t *data, size_t len, zkml_error *err)
{
    if (p->state != ST_BODY || len == 0)
        return ZKML_OK;
    return p->cb.part_data(p->ctx, data, len, err);
}

static int parse_headers(multipart_parser *p, zkml_error *err)
{
    multipart_part part;
    memset(&part, 0, sizeof part);
    int have_disposition = 0;
    p->headers[p->headers_len] = '\0';
    char *line = p->headers;
    while (*line) {
        char *end = strstr(line, "\r\n");
        if (!end)
            break;
        *end = '\0';
        char *colon = strchr(line, ':');
        if (!colon)
            return zkml_fail(err, ZKML_EINVAL, "multipart part %d: malformed header line",
                             p->parts);
        *colon = '\0';
        char *value = colon + 1;
        while (is_space(*value))
            value++;
        if (!strcasecmp(line, "Content-Disposition")) {
            if (strncasecmp(value, "form-data", 9) != 0)
                return zkml_fail(err, ZKML_EINVAL,
                                 "multipart part %d: Content-Disposition must be form-data",
                                 p->parts);
            if (header_param(value, "name", part.name, sizeof part.name) <= 0)
                return zkml_fail(err, ZKML_EINVAL,
                                 "multipart part %d: Content-Disposition has no valid name",
                                 p->parts);
            int f = header_param(value, "filename", part.filename, sizeof part.filename);
            if (f < 0)
                return zkml_fail(err, ZKML_EINVAL,
                                 "multipart part %d: malformed or too long filename", p->parts);
            part.has_filename = f == 1;
            have_disposition = 1;
        } else if (!strcasecmp(line, "Content-Type")) {
            size_t n = strlen(value);
            if (n >= sizeof part.content_type)
                n = sizeof part.content_type - 1;
            memcpy(part.content_type, value, n);
        }
        line = end + 2;
    }
    if (!have_disposition)
        return zkml_fail(err, ZKML_EINVAL, "multipart part %d has no Content-Disposition",
                         p->parts);
    return p->cb.part_begin(p->ctx, &part, err);
}

/* One byte of a part's header block; the block ends at an empty line. */
static int header_byte(multipart_parser *p, uint8_t c, zkml_error *err)
{
    if (p->headers_len >= MULTIPART_HEADERS_MAX)
        return zkml_fail(err, ZKML_EINVAL, "multipart part %d: headers exceed %d bytes", p->parts,
                         MULTIPART_HEADERS_MAX);
    p->headers[p->headers_len++] = (char)c;
    size_t n = p->headers_len;
    int blank_first = n == 2 && !memcmp(p->headers, "\r\n", 2);
    if (!blank_first && !(n >= 4 && !memcmp(p->headers + n - 4, "\r\n\r\n", 4)))
        return ZKML_OK;
    if (blank_first)
        p->headers_len = 0;
    else
        p->headers_len = n - 2; /* keep each line's CRLF, drop the blank line */
    int rc = parse_headers(p, err);
    if (rc)
        return rc;
    p->state = ST_BODY;
    p->match = 0;
    return ZKML_OK;
}

/* The delimiter just completed. */
static int delimiter_found(multipart_parser *p, zkml_error *err)
{
    if (p->state == ST_BODY) {
        int rc = p->cb.part_end(p->ctx, err);
        if (rc)
            return rc;
    }
    p->state = ST_AFTER_DELIM;
    p->match = 0;
    return ZKML_OK;
}

/* Runs the delimiter matcher over data (in the preamble or a body); returns
 * how many bytes it consumed (it stops right after a delimiter) or <0. */
static long scan_for_delimiter(multipart_parser *p, const uint8_t *data, size_t len,
                               zkml_error *err)
{
    size_t i = 0;
    while (i < len) {
        if (p->match == 0) {
            /* Every delimiter starts with CR: skip straight to the next one. */
            const uint8_t *cr = memchr(data + i, '\r', len - i);
            size_t n = cr ? (size_t)(cr - (data + i)) : len - i;
            if (emit(p, data + i, n, err))
                return -1;
            i += n;
            if (!cr)
                break;
        }
        uint8_t c = data[i++];
        while (p->match > 0 && c != (uint8_t)p->delim[p->match]) {
            size_t f = p->fail[p->match];
            if (emit(p, (const uint8_t *)p->delim, p->match - f, err))
                return -1;
            p->match = f;
        }
        if (c == (uint8_t)p->delim[p->match])
            p->match++;
        else if (emit(p, &c, 1, err))
            return -1;
        if (p->match == p->delim_len) {
            if (delimiter_found(p, err))
                return -1;
            return (long)i;
        }
    }
    return (long)i;
}

int multipart_feed(multipart_parser *p, const uint8_t *data, size_t len, zkml_error *err)
{
    size_t i = 0;
    while (i < len) {
        switch (p->state) {
        case ST_PREAMBLE:
        case ST_BODY: {
            long n = scan_for_delimiter(p, data + i, len - i, err);
            if (n < 0)
                return err ? err->code : ZKML_EINVAL;
            i += (size_t)n;
            break;
        }
        case ST_AFTER_DELIM:
            if (data[i] == '-')
                p->state = ST_AFTER_DASH;
            else if (data[i] == '\r')
                p->state = ST_AFTER_CR;
            else if (!is_space((char)data[i]))
                return zkml_fail(err, ZKML_EINVAL, "multipart: malformed boundary line");
            i++;
            break;
        case ST_AFTER_DASH:
            if (data[i++] != '-')
                return zkml_fail(err, ZKML_EINVAL, "multipart: malformed closing boundary");
            p->state = ST_DONE;
            break;
        case ST_AFTER_CR:
            if (data[i++] != '\n')
                return zkml_fail(err, ZKML_EINVAL, "multipart: malformed boundary line");
            if (++p->parts > MULTIPART_PARTS_MAX)
                return zkml_fail(err, ZKML_EINVAL, "multipart: more than %d parts",
                                 MULTIPART_PARTS_MAX);
            p->state = ST_HEADERS;
            p->headers_len = 0;
            break;
        case ST_HEADERS:
            if (header_byte(p, data[i++], err))
                return err ? err->code : ZKML_EINVAL;
            break;
        case ST_DONE: return ZKML_OK;
        }
    }
    return ZKML_OK;
}

int multipart_finish(multipart_parser *p, zkml_error *err)
{
    if (p->state != ST_DONE)
        return zkml_fail(err, ZKML_EINVAL,
                         "multipart body ended before its closing boundary (truncated upload?)");
    return ZKML_OK;
}
