/* test_buf.c - common/buf.c: the growable buffer and the checked array growth,
 * including the sizes that must fail instead of wrapping around. */
#include "common/common.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/check.h"

static void test_buf_text(void)
{
    zkml_buf b = {0};
    zkml_buf_puts(&b, "abc");
    zkml_buf_put_byte(&b, '-');
    zkml_buf_printf(&b, "%d/%s", 42, "x");
    CHECK(!b.oom && b.len == 8 && !strcmp((const char *)b.data, "abc-42/x"), "text: '%s'",
          b.data ? (const char *)b.data : "(null)");
    /* Growth across many doublings keeps every byte and the NUL. */
    for (int i = 0; i < 10000; i++)
        zkml_buf_put_byte(&b, (uint8_t)('a' + i % 26));
    CHECK(!b.oom && b.len == 10008 && b.data[b.len] == 0 && b.data[8] == 'a' &&
              b.data[10007] == (uint8_t)('a' + 9999 % 26),
          "long buffer: len %zu", b.len);
    char *out = NULL;
    zkml_error err;
    CHECK(zkml_buf_detach(&b, &out, &err) == 0 && out && strlen(out) == 10008, "detach");
    CHECK(b.data == NULL && b.len == 0 && b.cap == 0, "detach leaves the buffer empty");
    free(out);
    /* An empty buffer detaches as "" (callers may print it). */
    CHECK(zkml_buf_detach(&b, &out, &err) == 0 && out && out[0] == 0, "empty detach");
    free(out);
}

static void test_buf_overflow(void)
{
    zkml_buf b = {0};
    zkml_buf_puts(&b, "keep");
    /* A length that would wrap len + n + 1 around: oom, never a short
     * allocation followed by a huge copy (data is not even read). */
    zkml_buf_put(&b, "", SIZE_MAX);
    CHECK(b.oom && b.len == 4 && !strcmp((const char *)b.data, "keep"), "SIZE_MAX put: oom %d",
          b.oom);
    zkml_buf_put(&b, "more", 4);
    zkml_buf_printf(&b, "%s", "more");
    CHECK(b.len == 4, "writes after oom are no-ops: len %zu", b.len);
    char *out = (char *)&b;
    zkml_error err = {0};
    CHECK(zkml_buf_detach(&b, &out, &err) == ZKML_ENOMEM && out == NULL && err.code == ZKML_ENOMEM,
          "detach after oom");
    CHECK(b.data == NULL && !b.oom, "a failed detach frees the buffer");
    zkml_buf_free(&b);
}

static void test_array_grow(void)
{
    uint64_t *a = NULL;
    size_t cap = 0;
    CHECK(zkml_array_grow((void **)&a, &cap, 1, sizeof *a) == 0 && a && cap >= 1, "first grow");
    for (size_t i = 0; i < 1000; i++) {
        CHECK(zkml_array_grow((void **)&a, &cap, i + 1, sizeof *a) == 0 && cap >= i + 1,
              "grow to %zu", i + 1);
        a[i] = i * 3;
    }
    int kept = 1;
    for (size_t i = 0; i < 1000; i++)
        kept &= a[i] == i * 3;
    CHECK(kept, "values kept across growth");
    CHECK(cap < 4000, "growth doubles, not more: cap %zu", cap);
    size_t before = cap;
    CHECK(zkml_array_grow((void **)&a, &cap, 10, sizeof *a) == 0 && cap == before,
          "no shrink, no realloc when it fits");

    /* need * elem overflows size_t: refused, array untouched. */
    uint64_t *keep = a;
    CHECK(zkml_array_grow((void **)&a, &cap, SIZE_MAX / sizeof *a + 1, sizeof *a) == ZKML_ENOMEM &&
              a == keep && cap == before,
          "overflowing need accepted: cap %zu", cap);
    CHECK(zkml_array_grow((void **)&a, &cap, SIZE_MAX, 2) == ZKML_ENOMEM && a == keep,
          "SIZE_MAX elements of 2 bytes accepted");
    free(a);
}

int main(void)
{
    test_buf_text();
    test_buf_overflow();
    test_array_grow();
    return check_exit("test_buf");
}
