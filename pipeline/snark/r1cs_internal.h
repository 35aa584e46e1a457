/*
 * r1cs_internal.h - internal: R1CS and witness parsing from memory and the
 * evaluation of one linear combination, shared by r1cs.c, wtns.c and the
 * Groth16 code.
 */
#ifndef ZKML_SNARK_R1CS_INTERNAL_H
#define ZKML_SNARK_R1CS_INTERNAL_H

#include "pipeline/snark/snark.h"

/* Parses an iden3 .r1cs image; name is used in messages. cs is left empty on failure. */
int r1cs_parse(r1cs *cs, const uint8_t *data, size_t len, const char *name, zkml_error *err);
/* Parses a .wtns image; *w is malloc'ed. */
int wtns_parse(fr_t **w, size_t *n, const uint8_t *data, size_t len, const char *name,
               zkml_error *err);
/* sum(coeff * w[wire]); the wires must be < the witness length (checked by the caller). */
void r1cs_lc_eval(fr_t *out, const r1cs_lc *lc, const fr_t *w);

#endif
