/*
 * keccak.c - Keccak-256 as Ethereum uses it (the original Keccak padding
 * 0x01 ... 0x80, not SHA3-256's 0x06), for function selectors.
 */
#include "pipeline/evm/evm.h"

#include <string.h>

enum { KECCAK_RATE = 136 };

static const uint64_t round_constants[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};

/* Rotation offsets and the lane permutation of rho and pi, walked in the
 * order pi visits the lanes starting from lane 1. */
static const unsigned rho_offsets[24] = {
    1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 2, 14, 27, 41, 56, 8, 25, 43, 62, 18, 39, 61, 20, 44,
};
static const unsigned pi_lanes[24] = {
    10, 7, 11, 17, 18, 3, 5, 16, 8, 21, 24, 4, 15, 23, 19, 13, 12, 2, 20, 14, 22, 9, 6, 1,
};

static uint64_t rotl64(uint64_t x, unsigned n)
{
    return (x << n) | (x >> (64 - n));
}

static void keccak_f1600(uint64_t s[25])
{
    for (int round = 0; round < 24; round++) {
        uint64_t c[5];
        for (int x = 0; x < 5; x++)
            c[x] = s[x] ^ s[x + 5] ^ s[x + 10] ^ s[x + 15] ^ s[x + 20];
        for (int x = 0; x < 5; x++) {
            uint64_t d = c[(x + 4) % 5] ^ rotl64(c[(x + 1) % 5], 1);
            for (int y = 0; y < 25; y += 5)
                s[y + x] ^= d;
        }
        uint64_t carried = s[1];
        for (int i = 0; i < 24; i++) {
            uint64_t next = s[pi_lanes[i]];
            s[pi_lanes[i]] = rotl64(carried, rho_offsets[i]);
            carried = next;
        }
        for (int y = 0; y < 25; y += 5) {
            uint64_t row[5];
            memcpy(row, s + y, sizeof row);
            for (int x = 0; x < 5; x++)
                s[y + x] = row[x] ^ (~row[(x + 1) % 5] & row[(x + 2) % 5]);
        }
        s[0] ^= round_constants[round];
    }
}

static void absorb_block(uint64_t s[25], const uint8_t *block)
{
    for (int i = 0; i < KECCAK_RATE / 8; i++) {
        uint64_t lane = 0;
        for (int b = 7; b >= 0; b--)
            lane = (lane << 8) | block[8 * i + b];
        s[i] ^= lane;
    }
    keccak_f1600(s);
}

void evm_keccak256(uint8_t out[32], const void *data, size_t len)
{
    uint64_t s[25] = {0};
    const uint8_t *p = data;
    for (; len >= KECCAK_RATE; p += KECCAK_RATE, len -= KECCAK_RATE)
        absorb_block(s, p);
    uint8_t last[KECCAK_RATE] = {0};
    if (len)
        memcpy(last, p, len);
    last[len] ^= 0x01;
    last[KECCAK_RATE - 1] ^= 0x80;
    absorb_block(s, last);
    for (int i = 0; i < 32; i++)
        out[i] = (uint8_t)(s[i / 8] >> (8 * (i % 8)));
}
