/*
 * fuzz_evm_points.c - feeds arbitrary bytes to the EVM point decoders and the
 * three precompiles. The first byte picks the entry point; the rest is the
 * call data. Decoded points must be on their curves (and G2 in its subgroup),
 * and a successful precompile's output must decode again.
 */
#include "pipeline/snark/snark.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    uint8_t sel = data[0];
    const uint8_t *in = data + 1;
    size_t len = size - 1;
    uint8_t out[64];
    g1_affine p;
    g2_affine q;
    switch (sel % 5) {
    case 0:
        if (bn254_ecadd(out, in, len) == 0 && g1_from_evm(&p, out) != 0)
            abort();
        break;
    case 1:
        if (bn254_ecmul(out, in, len) == 0 && g1_from_evm(&p, out) != 0)
            abort();
        break;
    case 2:
        if (len > 192 * 4) /* keep each run fast */
            len = 192 * 4;
        if (bn254_ecpairing(out, in, len) == 0 && (out[31] > 1 || out[0] != 0))
            abort();
        break;
    case 3:
        if (len >= 64 && g1_from_evm(&p, in) == 0 && !g1_is_on_curve(&p))
            abort();
        break;
    default:
        if (len >= 128 && g2_from_evm(&q, in) == 0 &&
            (!g2_is_on_curve(&q) || !g2_is_in_subgroup(&q)))
            abort();
        break;
    }
    return 0;
}
