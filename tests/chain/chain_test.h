/*
 * chain_test.h - what the chain tests share besides tests/check.h and
 * tests/test_util.h: hex comparison, key files and raw RPC calls.
 */
#ifndef ZKML_TESTS_CHAIN_TEST_H
#define ZKML_TESTS_CHAIN_TEST_H

#include "registry/chain/chain_internal.h"
#include "tests/check.h"
#include "tests/test_util.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

static inline int hex_equals(const uint8_t *data, size_t len, const char *hex)
{
    char buf[2 * 1024 + 1];
    if (len > 1024)
        return 0;
    chain_hex_plain(data, len, buf);
    if (hex[0] == '0' && hex[1] == 'x')
        hex += 2;
    return strcasecmp(buf, hex) == 0;
}

/* A key file with the given mode; returns its path in out. */
static inline int write_key_file(const char *dir, const char *name, const char *text, int mode,
                                 char *out, size_t outlen)
{
    snprintf(out, outlen, "%s/%s", dir, name);
    FILE *f = fopen(out, "w");
    if (!f)
        return -1;
    fputs(text, f);
    fclose(f);
    return chmod(out, (mode_t)mode);
}

/* A raw JSON-RPC call for checks; returns the result or NULL. */
static inline cJSON *test_rpc(const char *url, const char *method, const char *params)
{
    chain_rpc *rpc;
    zkml_error err;
    cJSON *result = NULL;
    if (chain_rpc_open(url, 10000, &rpc, &err))
        return NULL;
    if (chain_rpc_call(rpc, method, params, &result, NULL, &err))
        fprintf(stderr, "%s: %s\n", method, err.message);
    chain_rpc_close(rpc);
    return result;
}

#endif
