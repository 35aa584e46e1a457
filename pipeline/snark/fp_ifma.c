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

fpv_consts FPV;
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

/* x = 2^n x mod p for x < p. */
static void shift_mod(uint64_t x[4], int n)
{
    for (int i = 0; i < n; i++) {
        limbs_add(x, x, x); /* no carry out: x < p < 2^254 */
        if (limbs_geq(x, FP_MODULUS.m))
            limbs_sub(x, x, FP_MODULUS.m);
    }
}

static void make_consts(void)
{
    uint64_t t[4];
    limbs52(FPV.p, FP_MODULUS.m);
    limbs_add(t, FP_MODULUS.m, FP_MODULUS.m);
    limbs52(FPV.p2, t);
    FPV.p_inv = FP_MODULUS.neg_inv & FPV_MASK52;
    memcpy(t, FP_MODULUS.r1, sizeof t); /* 2^256 mod p */
    limbs52(FPV.from_mont, t);
    shift_mod(t, 4);
    limbs52(FPV.one, t);
    shift_mod(t, 4);
    limbs52(FPV.to_mont, t);
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
