/* fuzz_ptau.c - the .ptau reader on arbitrary bytes, and the point reads a setup makes. */
#include "pipeline/snark/ptau.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ptau pt;
    zkml_error err;
    g1_affine p;
    g2_affine q;
    if (ptau_parse(&pt, data, size, "fuzz.ptau", &err))
        return 0;
    ptau_beta_g2(&pt, &q, &err);
    for (size_t i = 0; i < 4; i++) {
        for (int b = 0; b < PTAU_N_BASES; b++) {
            ptau_g1(&pt, b, 0, i, &p, &err);
            ptau_g1(&pt, b, 1, i, &p, &err);
        }
        ptau_g2(&pt, 0, i, &q, &err);
        ptau_g2(&pt, 1, i, &q, &err);
    }
    ptau_check_domain(&pt, 1, &err);
    return 0;
}
