/*
 * fuzz_abi_values.c - the Infernet routes' parsers of untrusted bytes: hex
 * text (chain_hex_decode), abi.encode(int256[]) (chain_abi_decode_values)
 * and a proof's abi.encode(a, b, c, signals) (chain_abi_decode_proof). The
 * first input byte picks which; none may crash or leak, and whatever a
 * decoder accepts must encode back to exactly the same bytes (each accepts
 * only the canonical encoding).
 */
#include "registry/chain/chain.h"

#include <stdlib.h>
#include <string.h>

static void values(const uint8_t *data, size_t len)
{
    zkml_error err;
    int64_t *v = NULL;
    size_t n = 0;
    if (chain_abi_decode_values("data", data, len, &v, &n, &err))
        return;
    zkml_buf back = {0};
    chain_abi_encode_values(v, n, &back);
    if (!back.oom && (back.len != len || memcmp(back.data, data, len)))
        abort();
    zkml_buf_free(&back);
    free(v);
}

static void proof(const uint8_t *data, size_t len)
{
    zkml_error err;
    uint8_t *words = NULL;
    size_t n = 0;
    if (chain_abi_decode_proof("proof", data, len, &words, &n, &err))
        return;
    zkml_buf back = {0};
    chain_abi_encode_proof(words, n, &back);
    if (!back.oom && (back.len != len || memcmp(back.data, data, len)))
        abort();
    zkml_buf_free(&back);
    free(words);
}

static void hex(const uint8_t *data, size_t len)
{
    char *text = malloc(len + 1);
    if (!text)
        return;
    memcpy(text, data, len);
    text[len] = '\0';
    zkml_error err;
    uint8_t *bytes = NULL;
    size_t n = 0;
    if (chain_hex_decode("data", text, &bytes, &n, &err) == 0)
        values(bytes, n);
    free(bytes);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (data[0] % 3 == 1)
        hex(data + 1, size - 1);
    else if (data[0] % 3 == 2)
        proof(data + 1, size - 1);
    else
        values(data + 1, size - 1);
    return 0;
}
