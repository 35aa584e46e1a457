/* poseidon_cost.c - prints the R1CS constraints of one Poseidon permutation of
 * each width t = 2..17 (circomlib's constants and rounds, as pipeline/circuit
 * builds it), for bench/evaluate.sh's report. */
#include "pipeline/snark/snark.h"

#include <stdio.h>

int main(void)
{
    for (int t = 2; t <= 17; t++)
        printf("%s%llu", t > 2 ? " " : "", (unsigned long long)poseidon_constraints(t, 0));
    printf("\n");
    return 0;
}
