/*
 * test_support.c - deterministic random field elements and points for the
 * snark_math tests, and a twist point outside the G2 subgroup.
 */
#include "tests/snark_math/test_support.h"
#include "tests/test_util.h"

static test_rng rng = {0x243f6a8885a308d3ULL}; /* test-only, single-threaded */

uint64_t rng_next(void)
{
    return test_rng_u64(&rng);
}

void random_fr(fr_t *r)
{
    uint8_t b[32];
    do {
        for (int i = 0; i < 32; i++)
            b[i] = (uint8_t)rng_next();
        b[31] &= 0x3f;
    } while (fr_from_bytes_le(r, b) != 0);
}

void random_fp(fp_t *r)
{
    uint8_t b[32];
    do {
        for (int i = 0; i < 32; i++)
            b[i] = (uint8_t)rng_next();
        b[0] &= 0x3f;
    } while (fp_from_bytes_be(r, b) != 0);
}

/* A point of the twist outside the order-r subgroup: solve y^2 = x^3 + b'
 * for successive x (the cofactor is huge, so the first hit is outside). */
int twist_point_outside_subgroup(g2_affine *out)
{
    for (int tries = 0; tries < 200; tries++) {
        fp2_t x, rhs, y;
        fp_t n, t, half, two;
        random_fp(&x.c0);
        random_fp(&x.c1);
        fp2_sqr(&rhs, &x);
        fp2_mul(&rhs, &rhs, &x);
        fp2_add(&rhs, &rhs, &TWIST_B);
        /* sqrt(a0 + a1 u): n = sqrt(a0^2 + a1^2), y0 = sqrt((a0 +- n)/2), y1 = a1 / (2 y0). */
        fp_sqr(&n, &rhs.c0);
        fp_sqr(&t, &rhs.c1);
        fp_add(&n, &n, &t);
        if (!fp_sqrt(&n, &n))
            continue;
        fp_from_u64(&two, 2);
        fp_inv(&half, &two);
        fp_add(&t, &rhs.c0, &n);
        fp_mul(&t, &t, &half);
        if (!fp_sqrt(&y.c0, &t)) {
            fp_sub(&t, &rhs.c0, &n);
            fp_mul(&t, &t, &half);
            if (!fp_sqrt(&y.c0, &t))
                continue;
        }
        fp_mul(&t, &y.c0, &two);
        fp_inv(&t, &t);
        fp_mul(&y.c1, &rhs.c1, &t);
        out->x = x;
        out->y = y;
        out->infinity = 0;
        return 0;
    }
    return -1;
}
