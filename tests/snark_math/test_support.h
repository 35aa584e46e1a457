/* test_support.h - helpers shared by the snark_math tests (see test_support.c). */
#ifndef ZKML_TEST_SNARK_SUPPORT_H
#define ZKML_TEST_SNARK_SUPPORT_H

#include "pipeline/snark/pairing.h"

/* The next value of one seeded tests/test_util.h generator. */
uint64_t rng_next(void);
void random_fr(fr_t *r);
void random_fp(fp_t *r);
/* A point on the twist that is not in the order-r subgroup; -1 if none found. */
int twist_point_outside_subgroup(g2_affine *out);

#endif
