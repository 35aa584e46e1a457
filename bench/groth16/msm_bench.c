/* msm_bench.c - times a G1 MSM of 2^k random points and scalars: msm_bench K [THREADS [BITS]]
 * (BITS: the scalars are cut to their low BITS bits, as GLV's halves would be).
 * Prints the wall ms and the process CPU ms of the MSM: on a shared machine
 * the CPU time is the steadier of the two. */
#include "pipeline/snark/msm.h"
#include "tests/snark_groth16/test_circuit.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double cpu_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
    size_t n = (size_t)1 << (argc > 1 ? atoi(argv[1]) : 16);
    int threads = argc > 2 ? atoi(argv[2]) : 0;
    int bits = argc > 3 ? atoi(argv[3]) : 256;
    g1_jac *jac = malloc(n * sizeof *jac), step, out;
    g1_affine *pts = malloc(n * sizeof *pts), g;
    fr_t *k = malloc(n * sizeof *k), s;
    test_rng rng = {42};
    zkml_error err;
    if (!jac || !pts || !k)
        return 2;
    g1_generator(&g);
    g1_to_jac(&step, &g);
    test_rng_fr(&rng, &s);
    g1_mul(&step, &step, &s);
    g1_to_jac(&jac[0], &g);
    for (size_t i = 1; i < n; i++)
        g1_add(&jac[i], &jac[i - 1], &step);
    g1_batch_to_affine(pts, jac, n);
    for (size_t i = 0; i < n; i++) {
        uint8_t le[32];
        test_rng_fr(&rng, &k[i]);
        fr_to_bytes_le(le, &k[i]);
        for (int b = bits; b < 256; b++)
            le[b / 8] &= (uint8_t) ~(1u << (b % 8));
        if (fr_from_bytes_le(&k[i], le))
            return 2;
    }
    int64_t t0 = zkml_monotonic_ms();
    double c0 = cpu_ms();
    if (msm_g1(&out, pts, k, n, threads, &err))
        return 2;
    printf("%lld ms wall, %.0f ms CPU\n", (long long)(zkml_monotonic_ms() - t0), cpu_ms() - c0);
    return 0;
}
