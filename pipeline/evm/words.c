/*
 * words.c - 256-bit EVM words: BN254's field orders, hex output and the
 * verifyProof selector.
 */
#include "pipeline/evm/evm.h"
#include "pipeline/evm/evm_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const evm_word evm_field_q = {
    0x30, 0x64, 0x4e, 0x72, 0xe1, 0x31, 0xa0, 0x29, 0xb8, 0x50, 0x45, 0xb6, 0x81, 0x81, 0x58, 0x5d,
    0x97, 0x81, 0x6a, 0x91, 0x68, 0x71, 0xca, 0x8d, 0x3c, 0x20, 0x8c, 0x16, 0xd8, 0x7c, 0xfd, 0x47,
};
const evm_word evm_field_r = {
    0x30, 0x64, 0x4e, 0x72, 0xe1, 0x31, 0xa0, 0x29, 0xb8, 0x50, 0x45, 0xb6, 0x81, 0x81, 0x58, 0x5d,
    0x28, 0x33, 0xe8, 0x48, 0x79, 0xb9, 0x70, 0x91, 0x43, 0xe1, 0xf5, 0x93, 0xf0, 0x00, 0x00, 0x01,
};

void evm_word_to_hex(char out[65], const evm_word w)
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = digits[w[i] >> 4];
        out[2 * i + 1] = digits[w[i] & 15];
    }
    out[64] = '\0';
}

void evm_verify_proof_selector(uint8_t out[4], size_t n_public)
{
    char signature[96];
    int len = snprintf(signature, sizeof signature,
                       "verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[%zu])", n_public);
    uint8_t hash[32];
    evm_keccak256(hash, signature, (size_t)len);
    memcpy(out, hash, 4);
}
