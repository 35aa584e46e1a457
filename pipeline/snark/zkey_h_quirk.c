/*
 * zkey_h_quirk.c - the last H point of snarkjs's circuit hash when the
 * circuit's domain is the ptau's full power (contract in zkey.h).
 *
 * Above 2^14 points snarkjs hashes H point n - 1 too, [tau^(2n-1)]_1 -
 * [tau^(n-1)]_1 (zkey_init.c says why). With n = 2^power the ptau's tauG1
 * (section 2) ends at tau^(2n-2), so snarkjs reads the 64 bytes that follow
 * that section in the file as if they were a point in LEM form. In files
 * written section after section (snarkjs's own, Hermez's, ours) those are
 * section 3's 12-byte header and the first 52 bytes of tauG2[0], the G2
 * generator: the same bytes for every file of a power, and both coordinates
 * they make are above p. snarkjs's WebAssembly field code (wasmcurves)
 * computes on such unreduced 256-bit values without reducing them first, and
 * its additions and subtractions wrap modulo 2^256, so the result is not that
 * of the point these bytes are congruent to: to get snarkjs's bytes we must
 * repeat its arithmetic word for word. Its steps, on 256-bit integers:
 *   add(a, b): a + b, less p when that carries or reaches p (mod 2^256);
 *   sub(a, b): a - b, plus p when that borrows (mod 2^256);
 *   mul(a, b): Montgomery's a*b/2^256 exactly, less p once when it carries
 *     or reaches p;
 * and the point subtraction is its Jacobian "mmadd-2007-bl" addition of the
 * read bytes and -[tau^(n-1)]_1 (negated as sub(0, y)). From there on it only
 * multiplies and inverts (to affine by a batch inversion, then out of
 * Montgomery form), which keep the value modulo p even for unreduced inputs,
 * so we finish in our own field code. Reducing the bytes modulo p first would
 * give another point, and another circuit hash.
 * Checked against snarkjs at power 15 (tests/ceremony/big_domain.sh).
 */
#include "pipeline/snark/field.h"
#include "pipeline/snark/lem.h"
#include "pipeline/snark/zkey.h"

#include <string.h>

typedef uint64_t w256[4];

static void w_add(w256 r, const w256 a, const w256 b)
{
    if (limbs_add(r, a, b) || limbs_geq(r, FP_MODULUS.m))
        limbs_sub(r, r, FP_MODULUS.m);
}

static void w_sub(w256 r, const w256 a, const w256 b)
{
    if (limbs_sub(r, a, b))
        limbs_add(r, r, FP_MODULUS.m);
}

/* Montgomery multiplication with a sixth word, so that it is exact for any
 * 256-bit inputs: t = (a*b + m*p) / 2^256 < 2^256 + p. */
static void w_mul(w256 r, const w256 a, const w256 b)
{
    uint64_t t[6] = {0};
    for (int i = 0; i < 4; i++) {
        u128 c = 0;
        for (int j = 0; j < 4; j++) {
            c += (u128)a[j] * b[i] + t[j];
            t[j] = (uint64_t)c;
            c >>= 64;
        }
        c += t[4];
        t[4] = (uint64_t)c;
        t[5] = (uint64_t)(c >> 64);
        uint64_t m = t[0] * FP_MODULUS.neg_inv;
        c = ((u128)m * FP_MODULUS.m[0] + t[0]) >> 64;
        for (int j = 1; j < 4; j++) {
            c += (u128)m * FP_MODULUS.m[j] + t[j];
            t[j - 1] = (uint64_t)c;
            c >>= 64;
        }
        c += t[4];
        t[3] = (uint64_t)c;
        t[4] = t[5] + (uint64_t)(c >> 64);
    }
    memcpy(r, t, sizeof(w256));
    if (t[4] || limbs_geq(r, FP_MODULUS.m))
        limbs_sub(r, r, FP_MODULUS.m);
}

/* A 256-bit value as the field element it is congruent to. */
static void w_to_fp(fp_t *r, const w256 a)
{
    memcpy(r->v, a, sizeof(w256));
    while (limbs_geq(r->v, FP_MODULUS.m))
        limbs_sub(r->v, r->v, FP_MODULUS.m);
}

static void w_load(w256 r, const uint8_t in[32])
{
    for (int i = 0; i < 4; i++) {
        r[i] = 0;
        for (int k = 7; k >= 0; k--)
            r[i] = r[i] << 8 | in[8 * i + k];
    }
}

/* snarkjs's (x1, y1) + (x2, y2) in Jacobian coordinates, x1 != x2. */
static void w_add_affine(w256 x3, w256 y3, w256 z3, const w256 x1, const w256 y1, const w256 x2,
                         const w256 y2)
{
    w256 h, d, hh, i, j, r, v, r2, v2, yj;
    w_sub(h, x2, x1);
    w_sub(d, y2, y1);
    w_mul(hh, h, h);
    w_add(i, hh, hh);
    w_add(i, i, i);
    w_mul(j, h, i);
    w_add(r, d, d);
    w_mul(v, x1, i);
    w_mul(r2, r, r);
    w_add(v2, v, v);
    w_sub(x3, r2, j);
    w_sub(x3, x3, v2);
    w_mul(yj, y1, j);
    w_add(yj, yj, yj);
    w_sub(y3, v, x3);
    w_mul(y3, y3, r);
    w_sub(y3, y3, yj);
    w_add(z3, h, h);
}

int zkey_hash_h_past_end(b2 *h, const ptau *pt, size_t n, zkml_error *err)
{
    size_t at = (size_t)(pt->powers[PTAU_TAU_G1] - pt->bf.data) + (2 * n - 1) * LEM_G1;
    static const w256 zero = {0};
    w256 x1, y1, y2, x3, y3, z3;
    g1_affine lo, out = {0};
    if (at + LEM_G1 > pt->bf.len)
        return zkml_fail(err, ZKML_EINVAL,
                         "%s: the circuit's domain is the file's full power (2^%u) and section "
                         "2 is at the end of the file: snarkjs's circuit hash would read "
                         "past it; use a ptau of power %u",
                         pt->bf.name, pt->power, pt->power + 1);
    if (ptau_g1(pt, PTAU_TAU_G1, 0, n - 1, &lo, err))
        return err->code;
    w_load(x1, pt->bf.data + at);
    w_load(y1, pt->bf.data + at + 32);
    w_sub(y2, zero, lo.y.v);
    if (!memcmp(x1, zero, sizeof x1) && !memcmp(y1, zero, sizeof y1)) {
        out = lo; /* snarkjs takes zero bytes for the point at infinity */
        fp_neg(&out.y, &lo.y);
    } else if (!memcmp(x1, lo.x.v, sizeof x1) && !memcmp(y1, y2, sizeof y1)) {
        return zkml_fail(err, ZKML_EINVAL,
                         "%s: the 64 bytes after section 2 (byte offset %zu) are -[tau^%zu]_1: "
                         "snarkjs doubles it, which we do not reproduce",
                         pt->bf.name, at, n - 1);
    } else {
        fp_t x, y, z, zi, zi2;
        w_add_affine(x3, y3, z3, x1, y1, lo.x.v, y2);
        w_to_fp(&x, x3);
        w_to_fp(&y, y3);
        w_to_fp(&z, z3);
        out.infinity = fp_is_zero(&z); /* wasmcurves writes zeros then, as we do */
        fp_inv(&zi, &z);
        fp_sqr(&zi2, &zi);
        fp_mul(&out.x, &x, &zi2);
        fp_mul(&zi2, &zi2, &zi);
        fp_mul(&out.y, &y, &zi2);
    }
    b2_g1(h, &out);
    return 0;
}
