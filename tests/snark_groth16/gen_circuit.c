/*
 * gen_circuit.c - writes a test circuit and its witness:
 *   snark_groth16_gen N_CONSTRAINTS N_PUB_OUT N_PUB_IN SEED OUT.r1cs OUT.wtns
 */
#include "tests/snark_groth16/test_circuit.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: %s N_CONSTRAINTS N_PUB_OUT N_PUB_IN SEED OUT.r1cs OUT.wtns\n",
                argv[0]);
        return 2;
    }
    zkml_error err = {0};
    r1cs cs;
    fr_t *w;
    if (test_circuit_build(
            &cs, &w, (uint32_t)strtoul(argv[1], NULL, 10), (uint32_t)strtoul(argv[2], NULL, 10),
            (uint32_t)strtoul(argv[3], NULL, 10), strtoull(argv[4], NULL, 10), &err) ||
        r1cs_write(&cs, argv[5], &err) || wtns_write(w, cs.n_wires, argv[6], &err)) {
        fprintf(stderr, "%s: %s\n", argv[0], err.message);
        return 2;
    }
    {
        r1cs back;
        fr_t *wb;
        size_t nb;
        if (r1cs_read(&back, argv[5], &err) || wtns_read(&wb, &nb, argv[6], &err) ||
            r1cs_check_witness(&back, wb, nb, &err)) {
            fprintf(stderr, "%s: reading back: %s\n", argv[0], err.message);
            return 2;
        }
        r1cs_free(&back);
        free(wb);
    }
    printf("%u constraints, %u wires\n", cs.n_constraints, cs.n_wires);
    r1cs_free(&cs);
    free(w);
    return 0;
}
