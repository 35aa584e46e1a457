/*
 * g2_ifma.h - internal: G2 with sixteen pairs per vector value (AVX-512
 * IFMA, fp_ifma.h): the batch affine addition behind G2_OPS.batch_add, for
 * the proof's B MSM, the direct setup's b2 fixed-base tables and the G2 sums
 * of the setup from a ptau (batch_ifma.c, written once with G1's). Call it
 * only when fp_ifma_usable().
 */
#ifndef ZKML_SNARK_G2_IFMA_H
#define ZKML_SNARK_G2_IFMA_H

#include "pipeline/snark/snark.h"

#include <stddef.h>

/* g2_batch_add_affine's contract (snark.h: every case, r may alias a or b)
 * for n pairs, with scratch of g2_ifma_batch_scratch(n) bytes. */
size_t g2_ifma_batch_scratch(size_t n);
void g2_ifma_batch_add(g2_affine *r, const g2_affine *a, const g2_affine *b, size_t n,
                       void *scratch);

#endif
