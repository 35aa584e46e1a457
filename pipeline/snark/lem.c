/*
 * lem.c - the LEM and uncompressed point encodings (contracts in lem.h).
 */
#include "pipeline/snark/lem.h"
#include "pipeline/snark/field.h"

#include <endian.h>
#include <string.h>

static void put_limbs_le(uint8_t out[32], const uint64_t v[4])
{
    for (int i = 0; i < 4; i++)
        for (int k = 0; k < 8; k++)
            out[8 * i + k] = (uint8_t)(v[i] >> (8 * k));
}

static void limbs_le(uint64_t v[4], const uint8_t in[32])
{
    memcpy(v, in, 32);
    for (int i = 0; i < 4; i++)
        v[i] = le64toh(v[i]);
}

/* -1 if the value is not below p. */
static int get_limbs_le(uint64_t v[4], const uint8_t in[32])
{
    limbs_le(v, in);
    return limbs_geq(v, FP_MODULUS.m) ? -1 : 0;
}

static int all_zero(const uint8_t *p, size_t n)
{
    uint64_t acc = 0, w;
    for (size_t i = 0; i < n; i += sizeof w) {
        memcpy(&w, p + i, sizeof w);
        acc |= w;
    }
    return acc == 0;
}

void lem_put_g1(uint8_t out[LEM_G1], const g1_affine *p)
{
    memset(out, 0, LEM_G1);
    if (p->infinity)
        return;
    put_limbs_le(out, p->x.v);
    put_limbs_le(out + 32, p->y.v);
}

void lem_put_g2(uint8_t out[LEM_G2], const g2_affine *p)
{
    memset(out, 0, LEM_G2);
    if (p->infinity)
        return;
    put_limbs_le(out, p->x.c0.v);
    put_limbs_le(out + 32, p->x.c1.v);
    put_limbs_le(out + 64, p->y.c0.v);
    put_limbs_le(out + 96, p->y.c1.v);
}

int lem_get_g1(g1_affine *p, const uint8_t in[LEM_G1])
{
    memset(p, 0, sizeof *p);
    if (all_zero(in, LEM_G1)) {
        p->infinity = 1;
        return 0;
    }
    if (get_limbs_le(p->x.v, in) || get_limbs_le(p->y.v, in + 32))
        return -1;
    return g1_is_on_curve(p) ? 0 : -1;
}

int lem_get_g2(g2_affine *p, const uint8_t in[LEM_G2])
{
    memset(p, 0, sizeof *p);
    if (all_zero(in, LEM_G2)) {
        p->infinity = 1;
        return 0;
    }
    if (get_limbs_le(p->x.c0.v, in) || get_limbs_le(p->x.c1.v, in + 32) ||
        get_limbs_le(p->y.c0.v, in + 64) || get_limbs_le(p->y.c1.v, in + 96))
        return -1;
    return g2_is_on_curve(p) ? 0 : -1;
}

void lem_read_g1(g1_affine *p, const uint8_t in[LEM_G1])
{
    memset(p, 0, sizeof *p);
    p->infinity = all_zero(in, LEM_G1);
    limbs_le(p->x.v, in);
    limbs_le(p->y.v, in + 32);
}

void lem_read_g2(g2_affine *p, const uint8_t in[LEM_G2])
{
    memset(p, 0, sizeof *p);
    p->infinity = all_zero(in, LEM_G2);
    limbs_le(p->x.c0.v, in);
    limbs_le(p->x.c1.v, in + 32);
    limbs_le(p->y.c0.v, in + 64);
    limbs_le(p->y.c1.v, in + 96);
}

void unc_put_g1(uint8_t out[LEM_G1], const g1_affine *p)
{
    memset(out, 0, LEM_G1);
    if (p->infinity)
        return;
    fp_to_bytes_be(out, &p->x);
    fp_to_bytes_be(out + 32, &p->y);
}

void unc_put_g2(uint8_t out[LEM_G2], const g2_affine *p)
{
    memset(out, 0, LEM_G2);
    if (p->infinity)
        return;
    fp_to_bytes_be(out, &p->x.c1);
    fp_to_bytes_be(out + 32, &p->x.c0);
    fp_to_bytes_be(out + 64, &p->y.c1);
    fp_to_bytes_be(out + 96, &p->y.c0);
}
