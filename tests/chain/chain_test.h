/*
 * chain_test.h - what the chain tests share: CHECK macros that report the
 * line and keep going, and a throwaway anvil in a temporary folder.
 */
#ifndef ZKML_TESTS_CHAIN_TEST_H
#define ZKML_TESTS_CHAIN_TEST_H

#include "registry/chain/chain_internal.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

static int test_failures;

#define CHECK(cond)                                                              \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            test_failures++;                                                     \
        }                                                                        \
    } while (0)

#define CHECK_OK(expr, err)                                                      \
    do {                                                                         \
        int check_rc_ = (expr);                                                  \
        if (check_rc_ != 0) {                                                    \
            fprintf(stderr, "%s:%d: %s failed (%d): %s\n", __FILE__, __LINE__, #expr, \
                    check_rc_, (err)->message);                                  \
            test_failures++;                                                     \
        }                                                                        \
    } while (0)

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

/* A fresh temporary folder (mkdtemp) in out. */
static inline int make_temp_dir(char *out, size_t outlen)
{
    const char *base = getenv("TMPDIR");
    snprintf(out, outlen, "%s/zkml-chain-XXXXXX", base && *base ? base : "/tmp");
    return mkdtemp(out) ? 0 : -1;
}

/* Removes a temporary folder and what is in it (one level of files). */
static inline void remove_temp_dir(const char *dir)
{
    char command[4200];
    snprintf(command, sizeof command, "rm -rf '%s'", dir);
    if (system(command) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
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
