/*
 * bench_snark_math.c - times the BN254 arithmetic the prover and verifier
 * rest on: fp_mul, fr_mul, G1 mixed addition and doubling, batch-affine G1
 * addition, the G2 subgroup check, one pairing, and a pairing
 * check of 4 pairs (the shape of a Groth16 verification), in thread CPU time
 * so other load on the machine inflates the numbers less. Prints one line
 * per measurement; scripts may append the output to bench/RESULTS.md.
 */
#include "pipeline/snark/curve.h" /* snark.h, plus the r * Q subgroup check */
#include "pipeline/snark/g1_ifma.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* CPU time: the machine is shared */
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(void)
{
    enum { FIELD_OPS = 10000000, ADDS = 1000000, PAIRINGS = 50 };
    fp_t a, b;
    fp_from_u64(&a, 123456789);
    fp_from_u64(&b, 987654321);
    double t0 = now_ns();
    for (int i = 0; i < FIELD_OPS; i++)
        fp_mul(&a, &a, &b); /* dependent chain: latency, not throughput */
    double fp_ns = (now_ns() - t0) / FIELD_OPS;

    fr_t x, y;
    fr_from_u64(&x, 42);
    fr_from_u64(&y, 4242);
    t0 = now_ns();
    for (int i = 0; i < FIELD_OPS; i++)
        fr_mul(&x, &x, &y);
    double fr_ns = (now_ns() - t0) / FIELD_OPS;

    g1_affine g;
    g1_jac acc;
    g1_generator(&g);
    g1_to_jac(&acc, &g);
    g1_double(&acc, &acc);
    t0 = now_ns();
    for (int i = 0; i < ADDS; i++)
        g1_add_affine(&acc, &acc, &g);
    double madd_ns = (now_ns() - t0) / ADDS;
    t0 = now_ns();
    for (int i = 0; i < ADDS; i++)
        g1_double(&acc, &acc);
    double dbl_ns = (now_ns() - t0) / ADDS;

    /* Batch-affine additions (the MSM's bucket step), 1024 independent sums a batch. */
    enum { BATCH = 1024, BATCH_ROUNDS = 300 };
    g1_affine *pa = malloc(BATCH * sizeof *pa), *pb = malloc(BATCH * sizeof *pb);
    size_t scratch_bytes = BATCH * sizeof(fp_t);
    if (g1_ifma_batch_scratch(BATCH) > scratch_bytes)
        scratch_bytes = g1_ifma_batch_scratch(BATCH);
    void *scratch = malloc(scratch_bytes);
    if (!pa || !pb || !scratch)
        return 1;
    g1_jac walk = acc;
    for (int i = 0; i < BATCH; i++) {
        g1_add_affine(&walk, &walk, &g);
        g1_to_affine(&pa[i], &walk);
        pb[i] = g;
    }
    t0 = now_ns();
    for (int i = 0; i < BATCH_ROUNDS; i++)
        g1_batch_add_affine(pa, pa, pb, BATCH, scratch);
    double batch_ns = (now_ns() - t0) / ((double)BATCH * BATCH_ROUNDS);
    int batch_ok = g1_is_on_curve(&pa[BATCH - 1]);
    /* the same, sixteen pairs per vector value (AVX-512 IFMA), where the CPU has it */
    double ifma_ns = 0;
    if (fp_ifma_usable()) {
        t0 = now_ns();
        for (int i = 0; i < BATCH_ROUNDS; i++)
            g1_ifma_batch_add(pa, pa, pb, BATCH, scratch);
        ifma_ns = (now_ns() - t0) / ((double)BATCH * BATCH_ROUNDS);
        batch_ok = batch_ok && g1_is_on_curve(&pa[BATCH - 1]);
    }
    free(pa);
    free(pb);
    free(scratch);

    g2_affine q;
    g2_generator(&q);
    enum { SUBGROUP_CHECKS = 50 };
    int in_subgroup = 0;
    t0 = now_ns();
    for (int i = 0; i < SUBGROUP_CHECKS; i++)
        in_subgroup += g2_is_in_subgroup(&q);
    double psi_check_us = (now_ns() - t0) / SUBGROUP_CHECKS / 1e3;
    t0 = now_ns();
    for (int i = 0; i < SUBGROUP_CHECKS; i++)
        in_subgroup += g2_is_in_subgroup_by_order(&q);
    double order_check_us = (now_ns() - t0) / SUBGROUP_CHECKS / 1e3;

    fp12_t e;
    t0 = now_ns();
    for (int i = 0; i < PAIRINGS; i++)
        bn254_pairing(&e, &g, &q);
    double pairing_us = (now_ns() - t0) / PAIRINGS / 1e3;

    /* e(-3G, H) e(G, H) e(G, H) e(G, H) = 1: four real Miller loops, a true check. */
    g1_affine ps[4] = {g, g, g, g};
    g2_affine qs[4] = {q, q, q, q};
    g1_jac j;
    g1_to_jac(&j, &g);
    g1_double(&j, &j);
    g1_add_affine(&j, &j, &g);
    g1_neg(&j, &j);
    g1_to_affine(&ps[0], &j);
    int ok = 0;
    t0 = now_ns();
    for (int i = 0; i < PAIRINGS; i++)
        ok += bn254_pairing_check(ps, qs, 4);
    double check_ms = (now_ns() - t0) / PAIRINGS / 1e6;

    printf("fp_mul %.1f ns/op (%s)\n", fp_ns, fp_is_zero(&a) ? "zero" : "ok");
    printf("fr_mul %.1f ns/op (%s)\n", fr_ns, fr_is_zero(&x) ? "zero" : "ok");
    printf("g1_add_affine %.1f ns/op, g1_double %.1f ns/op\n", madd_ns, dbl_ns);
    printf("g1_batch_add_affine %.1f ns/sum (batches of %d, %s)\n", batch_ns, BATCH,
           batch_ok ? "ok" : "off curve");
    if (ifma_ns > 0)
        printf("g1_ifma_batch_add %.1f ns/sum (16 per vector value, same batches)\n", ifma_ns);
    else
        printf("g1_ifma_batch_add: no AVX-512 IFMA on this CPU\n");
    printf("g2_is_in_subgroup %.1f us (r * Q check %.1f us; %d of %d true)\n", psi_check_us,
           order_check_us, in_subgroup, 2 * SUBGROUP_CHECKS);
    printf("pairing %.1f us\n", pairing_us);
    printf("pairing_check of 4 pairs %.2f ms (%d of %d true)\n", check_ms, ok, PAIRINGS);
    return 0;
}
