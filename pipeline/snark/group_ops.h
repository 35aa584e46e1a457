/*
 * group_ops.h - internal: what the MSM (msm.c) and the fixed-base
 * multiplication (fixed_base.c) share: the operations of G1 and G2 behind one
 * table, so one loop serves both groups, and the cutting of a scalar into
 * signed digits.
 */
#ifndef ZKML_SNARK_GROUP_OPS_H
#define ZKML_SNARK_GROUP_OPS_H

#include "pipeline/snark/snark.h"

#include <stddef.h>
#include <stdint.h>

typedef struct group_ops {
    size_t aff_size, jac_size;
    void (*jac_zero)(void *r);
    int (*aff_is_inf)(const void *p);
    void (*aff_set_inf)(void *p);
    void (*aff_neg)(void *p);
    void (*add_aff)(void *r, const void *p, int negate); /* r += (negate ? -p : p) */
    void (*add)(void *r, const void *b);                 /* r += b */
    void (*dbl)(void *r);
    void (*jac_neg)(void *r); /* r = -r */
    /* lhs[i] += rhs[i] for n affine pairs with one shared inversion (sixteen
     * pairs per vector value where fp_ifma_usable), with batch_scratch(n)
     * bytes of scratch */
    void (*batch_add)(void *lhs, const void *rhs, size_t n, void *scratch);
    size_t (*batch_scratch)(size_t n);
    int (*batch_to_affine)(void *out, const void *in, size_t n); /* -1: out of memory */
} group_ops;

extern const group_ops G1_OPS, G2_OPS;

#define DIGIT_ZERO 0xffffu /* a digit is (|d| - 1) << 1 | (d < 0), or this */

/* Cuts the normal-form scalar s into nwin signed c-bit digits (c <= 16),
 * digit w stored at out[w * stride]: a window value v (plus the carry from the
 * window below) above 2^(c-1) becomes v - 2^c with a carry into the next
 * window, so |d| <= 2^(c-1); with nwin * c >= bits + 1 the top window never
 * carries out. */
void signed_digits(uint16_t *out, size_t stride, const uint64_t s[4], uint32_t c, uint32_t nwin);

#endif
