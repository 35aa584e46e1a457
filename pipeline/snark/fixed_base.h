/*
 * fixed_base.h - internal: many multiples k_i * G of one generator G of G1 or
 * G2 (the setup's query points), far cheaper than one scalar multiplication
 * each. A table holds d * 2^(c w) * G for every window w and digit
 * 1 <= d <= 2^(c-1); a scalar cut into signed c-bit digits is then the sum of
 * one table point (or its negation) per window, and those sums are formed for
 * a batch of scalars at a time in affine coordinates, sharing one inversion.
 * The window c is chosen from the number of multiplications the table will
 * serve, balancing its construction against the additions it saves.
 */
#ifndef ZKML_SNARK_FIXED_BASE_H
#define ZKML_SNARK_FIXED_BASE_H

#include "pipeline/snark/snark.h"

#include <stddef.h>

typedef struct fixed_base fixed_base;

/* The table of G1's generator (g2 = 0) or G2's, for about n_mults products. */
int fixed_base_new(fixed_base **out, int g2, size_t n_mults, int threads, zkml_error *err);
void fixed_base_free(fixed_base *fb);
/* out[i] = scalars[i] * G for i < n: affine points of the table's group
 * (g1_affine or g2_affine), in the caller's array. Every buffer that held
 * digits of the scalars or partial sums is wiped before it is freed. */
int fixed_base_mul(const fixed_base *fb, const fr_t *scalars, size_t n, void *out, int threads,
                   zkml_error *err);
/* The same into a new array of n points; *out is malloc'ed (NULL on failure). */
int fixed_base_mul_alloc(const fixed_base *fb, const fr_t *scalars, size_t n, void **out,
                         int threads, zkml_error *err);

#endif
