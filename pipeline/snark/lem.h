/*
 * lem.h - internal: the point encodings of snarkjs's binary files.
 *
 * "LEM" (.ptau, .zkey): affine, each coordinate in Montgomery form (x*R mod
 * p), 32 bytes little-endian, G2 as x.c0 x.c1 y.c0 y.c1; infinity is all
 * zeros. On a little-endian machine that is exactly our in-memory limbs.
 * "Uncompressed" (what snarkjs hashes: the circuit hash, contribution
 * hashes): normal form, big-endian, G2 as x.c1 x.c0 y.c1 y.c0; infinity is
 * all zeros too.
 */
#ifndef ZKML_SNARK_LEM_H
#define ZKML_SNARK_LEM_H

#include "pipeline/snark/snark.h"

#define LEM_G1 64
#define LEM_G2 128

void lem_put_g1(uint8_t out[LEM_G1], const g1_affine *p);
void lem_put_g2(uint8_t out[LEM_G2], const g2_affine *p);
/* -1 if a coordinate is >= p or the point is not on its curve (no subgroup
 * check: G1 has cofactor 1; callers check G2 where it matters). */
int lem_get_g1(g1_affine *p, const uint8_t in[LEM_G1]);
int lem_get_g2(g2_affine *p, const uint8_t in[LEM_G2]);
/* The same without the checks, for bytes lem_get_* has accepted before. */
void lem_read_g1(g1_affine *p, const uint8_t in[LEM_G1]);
void lem_read_g2(g2_affine *p, const uint8_t in[LEM_G2]);
void unc_put_g1(uint8_t out[LEM_G1], const g1_affine *p);
void unc_put_g2(uint8_t out[LEM_G2], const g2_affine *p);

#endif
