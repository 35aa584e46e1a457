/*
 * r1cs_internal.h - internal: R1CS and witness parsing from memory and the
 * evaluation of one linear combination, shared by r1cs.c, wtns.c and the
 * Groth16 code.
 */
#ifndef ZKML_SNARK_R1CS_INTERNAL_H
#define ZKML_SNARK_R1CS_INTERNAL_H

#include "pipeline/snark/groth16.h"

/* Parses an iden3 .r1cs image; name is used in messages. cs is left empty on failure. */
int r1cs_parse(r1cs *cs, const uint8_t *data, size_t len, const char *name, zkml_error *err);
/* cs's terms into compressed rows (on huge pages) and their coefficients'
 * table, taken constraint by constraint, A, B, C, as a file holds them (so
 * that r1cs_read_rows of its file gives the same table); on failure the rows
 * are freed. */
int r1cs_to_rows(const r1cs *cs, pk_matrix rows[3], coeff_table *coeffs, zkml_error *err);
/* The circuit at path straight into compressed rows and their coefficients'
 * table (as r1cs_to_rows makes them), its counts into cs (cs->constraints
 * NULL), with r1cs_read's checks: no r1cs in between, which held every term a
 * second time (a CIFAR CNN's 140 MB pool, then its copy's
 * page faults, a tenth of its setup). On failure the rows are freed. */
int r1cs_read_rows(r1cs *cs, pk_matrix rows[3], coeff_table *coeffs, const char *path,
                   zkml_error *err);
/* The same from an image in memory; name is used in messages. */
int r1cs_parse_rows(r1cs *cs, pk_matrix rows[3], coeff_table *coeffs, const uint8_t *data,
                    size_t len, const char *name, zkml_error *err);
/* Parses a .wtns image; *w is malloc'ed. */
int wtns_parse(fr_t **w, size_t *n, const uint8_t *data, size_t len, const char *name,
               zkml_error *err);
/* sum(coeff * w[wire]); the wires must be < the witness length (checked by the caller). */
void r1cs_lc_eval(fr_t *out, const r1cs_lc *lc, const fr_t *w);

#endif
