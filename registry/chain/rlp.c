/*
 * rlp.c - Recursive Length Prefix encoding (Ethereum yellow paper, appendix B)
 * into a growable byte buffer (zkml_buf), and a strict reader that accepts only canonical
 * encodings (what our own transactions and tests need).
 */
#include "registry/chain/chain_internal.h"

#include <stdlib.h>
#include <string.h>

/* A header: short form for payloads under 56 bytes, else the length's own length. */
static void rlp_put_header(zkml_buf *b, uint8_t short_base, size_t payload_len)
{
    if (payload_len < 56) {
        zkml_buf_put_byte(b, (uint8_t)(short_base + payload_len));
        return;
    }
    uint8_t be[sizeof(size_t)];
    int n = 0;
    for (size_t v = payload_len; v; v >>= 8)
        n++;
    for (int i = 0; i < n; i++)
        be[i] = (uint8_t)(payload_len >> (8 * (n - 1 - i)));
    zkml_buf_put_byte(b, (uint8_t)(short_base + 55 + n));
    zkml_buf_put(b, be, (size_t)n);
}

void rlp_put_bytes(zkml_buf *b, const uint8_t *data, size_t len)
{
    if (len == 1 && data[0] < 0x80) {
        zkml_buf_put_byte(b, data[0]);
        return;
    }
    rlp_put_header(b, 0x80, len);
    zkml_buf_put(b, data, len);
}

void rlp_put_uint(zkml_buf *b, uint64_t value)
{
    uint8_t be[8];
    int n = 0;
    for (uint64_t v = value; v; v >>= 8)
        n++;
    for (int i = 0; i < n; i++)
        be[i] = (uint8_t)(value >> (8 * (n - 1 - i)));
    rlp_put_bytes(b, be, (size_t)n);
}

void rlp_put_word(zkml_buf *b, const uint8_t word[32])
{
    size_t skip = 0;
    while (skip < 32 && word[skip] == 0)
        skip++;
    rlp_put_bytes(b, word + skip, 32 - skip);
}

void rlp_put_list(zkml_buf *b, const uint8_t *payload, size_t payload_len)
{
    rlp_put_header(b, 0xc0, payload_len);
    zkml_buf_put(b, payload, payload_len);
}

/* Reads a long-form length of n bytes; rejects leading zeros and short values. */
static int rlp_long_length(const uint8_t *p, size_t avail, int n, size_t *out)
{
    if ((size_t)n > avail || n > (int)sizeof(size_t) || p[0] == 0)
        return -1;
    size_t v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 8) | p[i];
    if (v < 56)
        return -1;
    *out = v;
    return 0;
}

int rlp_read(const uint8_t *data, size_t len, rlp_item *item)
{
    if (len == 0)
        return -1;
    uint8_t h = data[0];
    size_t header = 1, payload_len;
    item->is_list = h >= 0xc0;
    if (h < 0x80) {
        item->payload = data;
        item->payload_len = 1;
        item->total_len = 1;
        return 0;
    }
    uint8_t base = item->is_list ? 0xc0 : 0x80;
    if (h - base < 56) {
        payload_len = (size_t)(h - base);
    } else {
        int n = h - base - 55;
        if (rlp_long_length(data + 1, len - 1, n, &payload_len) != 0)
            return -1;
        header += (size_t)n;
    }
    if (payload_len > len - header)
        return -1;
    /* A single byte below 0x80 must be encoded as itself. */
    if (!item->is_list && payload_len == 1 && data[header] < 0x80)
        return -1;
    item->payload = data + header;
    item->payload_len = payload_len;
    item->total_len = header + payload_len;
    return 0;
}
