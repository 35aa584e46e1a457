/*
 * modinv_props.c - mont_inv (modinv.c's divsteps) against the slow obvious
 * reference, Fermat's a^(m-2) by mont_pow, for both moduli: every single bit
 * 2^k and 2^k - 1, m - 2^k, the small and the top values, inputs whose
 * divsteps swap at every step or never (runs of ones and of zeros), and
 * random ones; and a * (1/a) = 1 for each nonzero a. The tests build runs
 * with ZKML_VERIFY live, so each round's exact division is checked too.
 */
#include "pipeline/snark/field.h"

#include <stdio.h>
#include <string.h>

#include "tests/check.h"
#include "tests/test_util.h"

static size_t checked;

static void fermat(uint64_t r[4], const uint64_t a[4], const mont_modulus *q)
{
    static const uint64_t two[4] = {2, 0, 0, 0};
    uint64_t e[4];
    limbs_sub(e, q->m, two);
    mont_pow(r, a, e, q);
}

/* a reduced below m first: mont_inv's contract. */
static void check_one(const char *name, const uint64_t in[4], const mont_modulus *q)
{
    uint64_t a[4], want[4], got[4], one[4];
    memcpy(a, in, sizeof a);
    while (limbs_geq(a, q->m))
        limbs_sub(a, a, q->m);
    fermat(want, a, q);
    mont_inv(got, a, q);
    CHECK(memcmp(got, want, sizeof got) == 0,
          "%s: 1/%016llx%016llx%016llx%016llx differs from Fermat's", name,
          (unsigned long long)a[3], (unsigned long long)a[2], (unsigned long long)a[1],
          (unsigned long long)a[0]);
    if (!mont_is_zero(a)) {
        mont_mul(one, a, got, q);
        CHECK(memcmp(one, q->r1, sizeof one) == 0, "%s: a * (1/a) is not one", name);
    }
    checked++;
}

static void check_modulus(const char *name, const mont_modulus *q, test_rng *rng)
{
    uint64_t a[4];
    for (uint64_t small = 0; small < 64; small++) {
        uint64_t v[4] = {small, 0, 0, 0};
        check_one(name, v, q);
        limbs_sub(a, q->m, (uint64_t[4]){small + 1, 0, 0, 0});
        check_one(name, a, q); /* m - 1 - small */
    }
    for (int k = 0; k < 254; k++) {
        uint64_t bit[4] = {0, 0, 0, 0}, below[4], one[4] = {1, 0, 0, 0};
        bit[k / 64] = (uint64_t)1 << (k % 64);
        check_one(name, bit, q);
        limbs_sub(below, bit, one);
        check_one(name, below, q); /* 2^k - 1: a run of ones */
        if (limbs_geq(q->m, bit)) {
            limbs_sub(a, q->m, bit);
            check_one(name, a, q);
        }
    }
    for (int i = 0; i < 20000; i++) {
        for (int l = 0; l < 4; l++)
            a[l] = test_rng_u64(rng);
        a[3] &= (i % 3 == 0) ? 0x3fffffffffffffffULL : 0x0fffffffffffffffULL >> (i % 60);
        check_one(name, a, q);
    }
}

int main(void)
{
    test_rng rng = {0x6d6f64696e76ULL};
    check_modulus("fp", &FP_MODULUS, &rng);
    check_modulus("fr", &FR_MODULUS, &rng);
    printf("mont_inv: %zu inverses checked against Fermat's\n", checked);
    return check_exit("modinv_props");
}
