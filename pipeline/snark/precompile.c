/*
 * precompile.c - the EVM's BN254 precompiles over raw call data, with the
 * EVM's rules: 0x06 ecAdd and 0x07 ecMul zero-pad short input and ignore
 * extra bytes; 0x08 ecPairing needs a multiple of 192 bytes. A coordinate
 * >= p, a point off its curve, or a G2 point outside the order-r subgroup
 * fails the call (-1), as in go-ethereum.
 */
#include "pipeline/snark/pairing.h"

#include <string.h>

/* Copies in[0..len) into a zero-filled buffer of n bytes (n <= 128). */
static void padded_input(uint8_t *buf, size_t n, const uint8_t *in, size_t len)
{
    memset(buf, 0, n);
    if (len > 0)
        memcpy(buf, in, len < n ? len : n);
}

int bn254_ecadd(uint8_t out[64], const uint8_t *in, size_t len)
{
    uint8_t buf[128];
    g1_affine a, b, sum;
    g1_jac ja;
    padded_input(buf, sizeof buf, in, len);
    if (g1_from_evm(&a, buf) != 0 || g1_from_evm(&b, buf + 64) != 0)
        return -1;
    g1_to_jac(&ja, &a);
    g1_add_affine(&ja, &ja, &b);
    g1_to_affine(&sum, &ja);
    g1_to_evm(out, &sum);
    return 0;
}

int bn254_ecmul(uint8_t out[64], const uint8_t *in, size_t len)
{
    uint8_t buf[96];
    g1_affine a, prod;
    g1_jac ja;
    padded_input(buf, sizeof buf, in, len);
    if (g1_from_evm(&a, buf) != 0)
        return -1;
    g1_to_jac(&ja, &a);
    g1_mul_be(&ja, &ja, buf + 64);
    g1_to_affine(&prod, &ja);
    g1_to_evm(out, &prod);
    return 0;
}

/* Decodes and multiplies in passes of a few pairs, so any number of pairs
 * runs in constant memory with one final exponentiation. */
int bn254_ecpairing(uint8_t out[32], const uint8_t *in, size_t len)
{
    enum { PAIR_BYTES = 192, PASS = 8 };
    if (len % PAIR_BYTES != 0)
        return -1;
    size_t n = len / PAIR_BYTES;
    fp12_t f, part, e;
    fp12_one(&f);
    for (size_t done = 0; done < n; done += PASS) {
        g1_affine p[PASS];
        g2_affine q[PASS];
        size_t k = n - done < PASS ? n - done : PASS;
        for (size_t i = 0; i < k; i++) {
            const uint8_t *pair = in + (done + i) * PAIR_BYTES;
            if (g1_from_evm(&p[i], pair) != 0 || g2_from_evm(&q[i], pair + 64) != 0)
                return -1;
        }
        bn254_miller_loop(&part, p, q, k);
        fp12_mul(&f, &f, &part);
    }
    bn254_final_exp(&e, &f);
    memset(out, 0, 32);
    out[31] = (uint8_t)fp12_is_one(&e);
    return 0;
}
