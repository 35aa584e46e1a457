/*
 * buf.c - the one growable buffer and the one checked array growth of the
 * project (libgit2's habit: a single git_buf instead of one per file).
 *
 * Writes never fail loudly: a failed or overflowing growth sets oom and
 * later writes do nothing, so an encoder checks once at the end. Every size
 * computation is checked, since a length near SIZE_MAX from a hostile input
 * must fail, not wrap around to a small allocation.
 */
#include "common/common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Small first capacities: an R1CS holds millions of short linear combinations. */
enum { ARRAY_MIN_CAP = 4, BUF_MIN_CAP = 256 };

/* max(need, 2 * cap, min_cap), or 0 if that many elements of elem bytes
 * would not fit in a size_t. */
static size_t grown_cap(size_t cap, size_t need, size_t elem, size_t min_cap)
{
    size_t ncap = cap <= SIZE_MAX / 2 ? 2 * cap : need;
    if (ncap < need)
        ncap = need;
    if (ncap < min_cap)
        ncap = min_cap;
    return elem && ncap > SIZE_MAX / elem ? 0 : ncap;
}

int zkml_array_grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t ncap = grown_cap(*cap, need, elem, ARRAY_MIN_CAP);
    void *grown = ncap ? realloc(*p, ncap * elem) : NULL;
    if (!grown)
        return ZKML_ENOMEM;
    *p = grown;
    *cap = ncap;
    return 0;
}

/* Room for n more bytes and the NUL after them; 0, or -1 with oom set. */
static int buf_reserve(zkml_buf *b, size_t n)
{
    if (b->oom)
        return -1;
    if (n > SIZE_MAX - 1 - b->len) {
        b->oom = 1;
        return -1;
    }
    size_t need = b->len + n + 1;
    if (need <= b->cap)
        return 0;
    size_t ncap = grown_cap(b->cap, need, 1, BUF_MIN_CAP);
    uint8_t *grown = ncap ? realloc(b->data, ncap) : NULL;
    if (!grown) {
        b->oom = 1;
        return -1;
    }
    b->data = grown;
    b->cap = ncap;
    return 0;
}

void zkml_buf_put(zkml_buf *b, const void *data, size_t n)
{
    if (n == 0 || buf_reserve(b, n) != 0)
        return;
    memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = 0;
}

void zkml_buf_put_byte(zkml_buf *b, uint8_t byte)
{
    zkml_buf_put(b, &byte, 1);
}

void zkml_buf_puts(zkml_buf *b, const char *s)
{
    zkml_buf_put(b, s, strlen(s));
}

void zkml_buf_printf(zkml_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = 1;
        return;
    }
    if (n == 0 || buf_reserve(b, (size_t)n) != 0)
        return;
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

int zkml_buf_detach(zkml_buf *b, char **out, zkml_error *err)
{
    *out = NULL;
    if (b->oom || buf_reserve(b, 0) != 0) {
        zkml_buf_free(b);
        return zkml_fail(err, ZKML_ENOMEM, "out of memory building text");
    }
    b->data[b->len] = 0; /* an empty buffer has had no NUL written yet */
    *out = (char *)b->data;
    memset(b, 0, sizeof *b);
    return 0;
}

void zkml_buf_free(zkml_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}
