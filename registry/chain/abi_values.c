/*
 * abi_values.c - a list of integers as `abi.encode(int256[])`: how a chain
 * request hands a model its input (Infernet's `data` hex, the fixed-point
 * values at the input scale), how the service hands a consumer contract its
 * outputs, and what ModelRegistry.attest returns. The bytes come from
 * callers we do not trust: every error names the byte offset it found.
 */
#include "registry/chain/chain_internal.h"

#include <stdlib.h>
#include <string.h>

/* Word at byte pos as an int64: a sign-extended int256 whose value fits. */
static int word_to_i64(const uint8_t *w, int64_t *value)
{
    uint8_t fill = (w[24] & 0x80) ? 0xff : 0x00;
    for (int k = 0; k < 24; k++)
        if (w[k] != fill)
            return -1;
    uint64_t v = 0;
    for (int k = 24; k < 32; k++)
        v = (v << 8) | w[k];
    *value = (int64_t)v;
    return 0;
}

int chain_abi_decode_values(const char *what, const uint8_t *data, size_t len, int64_t **values,
                            size_t *n, zkml_error *err)
{
    *values = NULL;
    *n = 0;
    uint64_t offset, count;
    if (len < 64 || len % 32)
        return zkml_fail(err, ZKML_EINVAL,
                         "%s: %zu bytes is not abi.encode(int256[]) (an offset word, a length "
                         "word, then 32 bytes a value)",
                         what, len);
    if (abi_read_u64(data, len, 0, 0, &offset, err) || offset != 32)
        return zkml_fail(err, ZKML_EINVAL,
                         "%s: byte 0: the offset word must be 32 (0x20), as abi.encode(int256[]) "
                         "writes it",
                         what);
    if (abi_read_u64(data, len, 32, 0, &count, err) || count != (len - 64) / 32)
        return zkml_fail(err, ZKML_EINVAL,
                         "%s: byte 32: the length word does not match the %zu values that follow",
                         what, (len - 64) / 32);
    int64_t *v = malloc(count ? count * sizeof *v : 1);
    if (!v)
        return zkml_fail(err, ZKML_ENOMEM, "%s: out of memory", what);
    for (size_t i = 0; i < count; i++) {
        if (word_to_i64(data + 64 + 32 * i, &v[i])) {
            free(v);
            return zkml_fail(err, ZKML_EINVAL,
                             "%s: byte %zu: value %zu is outside the signed 64-bit range", what,
                             64 + 32 * i, i);
        }
    }
    *values = v;
    *n = count;
    return 0;
}

/* The head of a lone dynamic array: its offset (32) and its count. */
static void put_array_head(size_t n, zkml_buf *out)
{
    uint8_t word[32];
    abi_word_from_u64(32, word);
    zkml_buf_put(out, word, 32);
    abi_word_from_u64(n, word);
    zkml_buf_put(out, word, 32);
}

void chain_abi_encode_words(const uint8_t *words, size_t n, zkml_buf *out)
{
    put_array_head(n, out);
    if (n)
        zkml_buf_put(out, words, 32 * n);
}

void chain_abi_encode_values(const int64_t *values, size_t n, zkml_buf *out)
{
    uint8_t word[32];
    put_array_head(n, out);
    for (size_t i = 0; i < n; i++) {
        memset(word, values[i] < 0 ? 0xff : 0x00, 24);
        for (int k = 0; k < 8; k++)
            word[31 - k] = (uint8_t)((uint64_t)values[i] >> (8 * k));
        zkml_buf_put(out, word, 32);
    }
}

/* abi.encode(uint256[2] a, uint256[2][2] b, uint256[2] c, uint256[] signals):
 * the eight proof words in place, the offset word 9 * 32, the count, the
 * signals. A consumer contract decodes it and passes it to attest. */
enum { PROOF_HEAD = 9 * 32 };

void chain_abi_encode_proof(const uint8_t *words, size_t n_words, zkml_buf *out)
{
    uint8_t word[32];
    zkml_buf_put(out, words, 256);
    abi_word_from_u64(PROOF_HEAD, word);
    zkml_buf_put(out, word, 32);
    abi_word_from_u64(n_words - 8, word);
    zkml_buf_put(out, word, 32);
    zkml_buf_put(out, words + 256, 32 * (n_words - 8));
}

int chain_abi_decode_proof(const char *what, const uint8_t *data, size_t len, uint8_t **words,
                           size_t *n_words, zkml_error *err)
{
    *words = NULL;
    *n_words = 0;
    uint64_t offset, count;
    if (len < PROOF_HEAD + 64 || len % 32)
        return zkml_fail(err, ZKML_EINVAL,
                         "%s: %zu bytes is not abi.encode(uint256[2], uint256[2][2], uint256[2], "
                         "uint256[]) with at least one signal",
                         what, len);
    if (abi_read_u64(data, len, 256, 0, &offset, err) || offset != PROOF_HEAD)
        return zkml_fail(err, ZKML_EINVAL, "%s: byte 256: the signals' offset word must be 288",
                         what);
    if (abi_read_u64(data, len, PROOF_HEAD, 0, &count, err) || count == 0 ||
        count != (len - PROOF_HEAD - 32) / 32)
        return zkml_fail(err, ZKML_EINVAL,
                         "%s: byte 288: the signal count does not match the %zu signals that "
                         "follow (at least one)",
                         what, (len - PROOF_HEAD - 32) / 32);
    uint8_t *w = malloc(32 * (8 + count));
    if (!w)
        return zkml_fail(err, ZKML_ENOMEM, "%s: out of memory", what);
    memcpy(w, data, 256);
    memcpy(w + 256, data + PROOF_HEAD + 32, 32 * count);
    *words = w;
    *n_words = 8 + count;
    return 0;
}
