/* error.c - filling zkml_error values, and the ZKML_VERIFY failure. */
#include "common/common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int zkml_fail(zkml_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

int zkml_error_prefix(zkml_error *err, const char *fmt, ...)
{
    if (!err)
        return ZKML_EINTERNAL;
    char prefix[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    /* Shift the old message right to make room; a long message loses its tail. */
    size_t cap = sizeof err->message - 1;
    size_t plen = strlen(prefix);
    if (plen + 2 > cap)
        plen = cap - 2;
    size_t mlen = strnlen(err->message, cap);
    if (plen + 2 + mlen > cap)
        mlen = cap - plen - 2;
    memmove(err->message + plen + 2, err->message, mlen);
    memcpy(err->message, prefix, plen);
    err->message[plen] = ':';
    err->message[plen + 1] = ' ';
    err->message[plen + 2 + mlen] = 0;
    return err->code;
}

const char *zkml_error_code_name(int code)
{
    switch (code) {
    case ZKML_OK: return "ok";
    case ZKML_EINVAL: return "invalid_input";
    case ZKML_EIO: return "io_error";
    case ZKML_ENOMEM: return "out_of_memory";
    case ZKML_ENOTFOUND: return "not_found";
    case ZKML_EUNAVAILABLE: return "unavailable";
    case ZKML_ERETRY: return "retryable";
    case ZKML_EREJECTED: return "rejected";
    case ZKML_ECONFLICT: return "conflict";
    default: return "internal";
    }
}

#ifdef ZKML_VERIFY_CHECKS
void zkml_verify_failed(const char *file, int line, const char *cond)
{
    fprintf(stderr, "%s:%d: invariant violated: %s\n", file, line, cond);
    abort();
}
#endif
