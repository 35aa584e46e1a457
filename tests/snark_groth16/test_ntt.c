/*
 * test_ntt.c - the NTT against the naive O(n^2) DFT on small sizes, against
 * Horner evaluation at sampled points on a threaded size, inverse(forward)
 * round trips, the coset transform against Horner at g * w^i, and the root of unity: w_28 = 5^((r-1)/2^28) of exact order 2^28.
 * The transforms run on both paths (test_transforms).
 */
#include "pipeline/snark/fp_ifma.h"
#include "pipeline/snark/ntt.h"
#include "tests/snark_groth16/test_circuit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/check.h"
#include "tests/test_util.h"

static void horner(fr_t *out, const fr_t *coeffs, size_t n, const fr_t *x)
{
    fr_zero(out);
    for (size_t i = n; i-- > 0;) {
        fr_mul(out, out, x);
        fr_add(out, out, &coeffs[i]);
    }
}

static void test_root(void)
{
    /* t = (r - 1) / 2^28 from r's limbs; 5^t by square and multiply. */
    static const uint64_t r[4] = {0x43e1f593f0000001ULL, 0x2833e84879b97091ULL,
                                  0xb85045b68181585dULL, 0x30644e72e131a029ULL};
    uint64_t t[4];
    for (int i = 0; i < 4; i++)
        t[i] = (r[i] >> 28) | (i < 3 ? r[i + 1] << 36 : 0);
    fr_t five, acc, w, one, minus_one;
    fr_from_u64(&five, 5);
    fr_one(&acc);
    for (int bit = 255; bit >= 0; bit--) {
        fr_sqr(&acc, &acc);
        if (t[bit / 64] >> (bit % 64) & 1)
            fr_mul(&acc, &acc, &five);
    }
    fr_root_of_unity(&w, 28);
    CHECK(fr_eq(&w, &acc), "w_28 != 5^t");
    fr_one(&one);
    fr_neg(&minus_one, &one);
    for (int i = 0; i < 27; i++)
        fr_sqr(&w, &w);
    CHECK(fr_eq(&w, &minus_one), "w_28^(2^27) != -1");
    fr_sqr(&w, &w);
    CHECK(fr_eq(&w, &one), "w_28^(2^28) != 1");
}

/* A random polynomial of 2^log_n coefficients and its evaluations on the
 * domain (ntt_forward); 0 when the domain was refused. */
static int random_evaluations(ntt_domain *d, uint32_t log_n, test_rng *rng, fr_t **coeffs,
                              fr_t **evals, int threads)
{
    zkml_error err;
    if (ntt_domain_init(d, log_n, &err)) {
        CHECK(0, "domain: %s", err.message);
        return 0;
    }
    size_t n = d->n;
    *coeffs = malloc(n * sizeof **coeffs);
    *evals = malloc(n * sizeof **evals);
    for (size_t i = 0; i < n; i++)
        test_rng_fr(rng, &(*coeffs)[i]);
    memcpy(*evals, *coeffs, n * sizeof **evals);
    ntt_forward(d, *evals, threads);
    return 1;
}

static void test_size(uint32_t log_n, int threads, int naive)
{
    ntt_domain d;
    test_rng rng = {0x1234 + log_n};
    fr_t *coeffs, *a, w, x, expect;
    if (!random_evaluations(&d, log_n, &rng, &coeffs, &a, threads))
        return;
    size_t n = d.n;
    fr_root_of_unity(&w, log_n);
    size_t samples = naive ? n : 16;
    for (size_t s = 0; s < samples; s++) {
        size_t i = naive ? s : (size_t)(test_rng_u64(&rng) % n);
        fr_pow_u64(&x, &w, i);
        horner(&expect, coeffs, n, &x);
        CHECK(fr_eq(&a[i], &expect), "2^%u: evaluation %zu differs from the DFT", log_n, i);
    }
    ntt_inverse(&d, a, threads);
    CHECK(memcmp(a, coeffs, n * sizeof *a) == 0, "2^%u: inverse(forward(x)) != x", log_n);
    free(coeffs);
    free(a);
    ntt_domain_free(&d);
}

/* ntt_to_coset: from evaluations on the domain to evaluations at g * w^i. */
static void test_coset(uint32_t log_n, int threads)
{
    ntt_domain d;
    zkml_error err;
    test_rng rng = {0x777 + log_n};
    fr_t *coeffs, *a, *factors = NULL, g, w, x, expect;
    if (!random_evaluations(&d, log_n, &rng, &coeffs, &a, threads))
        return;
    size_t n = d.n;
    fr_root_of_unity(&g, log_n + 1);
    CHECK(ntt_coset_factors(&factors, &d, &g, threads, &err) == 0, "factors: %s", err.message);
    ntt_to_coset(&d, a, factors, threads);
    fr_root_of_unity(&w, log_n);
    size_t samples = n <= 64 ? n : 24;
    for (size_t s = 0; s < samples; s++) {
        size_t i = n <= 64 ? s : (size_t)(test_rng_u64(&rng) % n);
        fr_pow_u64(&x, &w, i);
        fr_mul(&x, &x, &g);
        horner(&expect, coeffs, n, &x);
        CHECK(fr_eq(&a[i], &expect), "2^%u: coset evaluation %zu differs", log_n, i);
    }
    free(factors);
    free(coeffs);
    free(a);
    ntt_domain_free(&d);
}

/* Every transform on both paths: the IFMA butterflies where the CPU has
 * them (stages of 16 pairs and more), and the portable ones (ZKML_IFMA=0). */
static void test_transforms(void)
{
    for (uint32_t k = 0; k <= 7; k++)
        test_size(k, 1, 1);
    test_size(5, 2, 1);
    test_size(13, 2, 0);
    test_size(14, 3, 0);
    test_size(15, 2, 0);
    for (uint32_t k = 0; k <= 6; k++)
        test_coset(k, 1);
    test_coset(12, 2);
    test_coset(15, 2);
    test_coset(16, 3);
}

int main(void)
{
    test_root();
    printf("NTT: IFMA path %s\n", fp_ifma_usable() ? "checked" : "not available here");
    if (fp_ifma_usable())
        test_transforms();
    TEST_PORTABLE(test_transforms());
    printf("%s\n", failures ? "FAILED" : "ok");
    return failures != 0;
}
