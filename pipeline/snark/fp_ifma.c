/*
 * fp_ifma.c - the constants of fp_ifma.h's vectors, made once from field.h's,
 * and the check that the CPU can run them.
 */
#include "pipeline/snark/fp_ifma.h"

#include "pipeline/snark/field.h"

#include <stdlib.h>
#include <string.h>

#ifdef FP_IFMA_BUILT
#include <pthread.h>

fpv_consts FPV, FRV;
static pthread_once_t consts_once = PTHREAD_ONCE_INIT;

/* A 256-bit integer as five 52-bit limbs. */
static void limbs52(uint64_t out[5], const uint64_t a[4])
{
    out[0] = a[0] & FPV_MASK52;
    out[1] = (a[0] >> 52 | a[1] << 12) & FPV_MASK52;
    out[2] = (a[1] >> 40 | a[2] << 24) & FPV_MASK52;
    out[3] = (a[2] >> 28 | a[3] << 36) & FPV_MASK52;
    out[4] = a[3] >> 16;
}

/* x = 2^n x mod q for x < q. */
static void shift_mod(uint64_t x[4], int n, const mont_modulus *q)
{
    for (int i = 0; i < n; i++) {
        limbs_add(x, x, x); /* no carry out: x < q < 2^254 */
        if (limbs_geq(x, q->m))
            limbs_sub(x, x, q->m);
    }
}

static void make_modulus(fpv_consts *c, const mont_modulus *q)
{
    uint64_t t[4];
    limbs52(c->p, q->m);
    limbs_add(t, q->m, q->m);
    limbs52(c->p2, t);
    c->p_inv = q->neg_inv & FPV_MASK52;
    memcpy(t, q->r1, sizeof t); /* 2^256 mod q */
    limbs52(c->from_mont, t);
    shift_mod(t, 4, q);
    limbs52(c->one, t);
    shift_mod(t, 4, q);
    limbs52(c->to_mont, t);
}

static void make_consts(void)
{
    make_modulus(&FPV, &FP_MODULUS);
    make_modulus(&FRV, &FR_MODULUS);
}

int fp_ifma_usable(void)
{
    const char *env = getenv("ZKML_IFMA");
    if ((env && !strcmp(env, "0")) || !__builtin_cpu_supports("avx512f") ||
        !__builtin_cpu_supports("avx512ifma"))
        return 0;
    pthread_once(&consts_once, make_consts);
    return 1;
}

#else

int fp_ifma_usable(void)
{
    return 0;
}

#endif
