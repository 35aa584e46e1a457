/*
 * groth16.h - internal: Groth16 keys and proofs in memory, the proving-key
 * file, and the snarkjs JSON writers.
 *
 * The QAP follows snarkjs: domain size n = the smallest power of two above
 * n_constraints + n_public, constraint k at w_n^k, one extra A row per public
 * signal s (0..n_public) holding wire s, and H computed on the odd points of
 * the 2n-domain, so H_i = [L^{2n}_{2i+1}(tau) / delta]_1.
 */
#ifndef ZKML_SNARK_GROTH16_H
#define ZKML_SNARK_GROTH16_H

#include "pipeline/snark/snark.h"

/* One constraint matrix in compressed rows: row k is terms start[k] ..
 * start[k+1], term t the coefficient coeff_at[t] of the key's table
 * (coeff_table) times wire[t]. */
typedef struct pk_matrix {
    uint64_t *start; /* n_constraints + 1 */
    uint32_t *wire;
    uint32_t *coeff_at;
} pk_matrix;

/* The distinct coefficients of a key's three matrices, each once, in the
 * order the terms first use them, v[0] = 1 (the coefficient of most terms:
 * the prover adds those without a product). Why a table: circuits use few
 * values (a CIFAR CNN's 3.7M terms have 7,916), so a term costs 4 bytes for
 * its coefficient instead of 32 (that CNN's proving key 302 -> 198 MB, its
 * ten-row evaluation key 2.95 -> 1.90 GB). */
typedef struct coeff_table {
    fr_t *v;
    uint32_t n;
} coeff_table;

/* Builds a coeff_table while terms are read: each coefficient's index,
 * added when new (open addressing over the values). */
typedef struct coeff_dict {
    coeff_table t;
    uint32_t cap;   /* room in t.v */
    uint32_t *slot; /* index + 1 of the value hashed there, 0 for none */
    uint32_t mask;  /* slots - 1: a power of two above twice t.n */
    uint64_t seed;  /* the hash's key (coeff_table.c) */
} coeff_dict;

/* A table holding 1 at index 0; -1 when out of memory. */
int coeff_dict_init(coeff_dict *d);
/* *at = the index of c, added if new; -1 when out of memory. */
int coeff_dict_add(coeff_dict *d, const fr_t *c, uint32_t *at);
/* Hands the table to out (out->v is then the caller's to free), frees the rest. */
void coeff_dict_finish(coeff_dict *d, coeff_table *out);
void coeff_dict_free(coeff_dict *d);

typedef struct groth16_pk {
    uint32_t n_vars, n_public, n_constraints, log_n;
    pk_matrix m[3]; /* A, B, C */
    coeff_table coeffs;
    g1_affine alpha1, beta1, delta1;
    g2_affine beta2, delta2;
    g1_affine *a_query, *b1_query; /* n_vars */
    g2_affine *b2_query;           /* n_vars */
    g1_affine *c_query;            /* n_vars - n_public - 1: wires n_public+1 .. */
    g1_affine *h_query;            /* 2^log_n */
    /* pk_read maps the key file (copy-on-write) and points the arrays above
     * into it; NULL for a key built in memory, whose arrays are malloc'd. */
    void *mapping;
    size_t mapping_len;
} groth16_pk;

/* The domain size for a circuit: log2 of the smallest power of two >= n_constraints
 * + n_public + 1; fails beyond 2^27 (the 2n-domain must exist). */
int groth16_domain_log(uint32_t n_constraints, uint32_t n_public, uint32_t *log_n, zkml_error *err);

void groth16_pk_free(groth16_pk *pk);
int groth16_setup(const r1cs *cs, groth16_pk *pk, groth16_vk *vk, int threads, zkml_error *err);

int pk_write(const groth16_pk *pk, const char *path, zkml_error *err);
int pk_read(groth16_pk *pk, const char *path, zkml_error *err);
/* Drops the whole pages of len bytes at p, inside a mapped key, from this
 * process's memory once the prover is done with them: they are clean pages
 * of the file, so a later read maps them again from it (the file is only
 * ever replaced by a rename, never rewritten in place). Nothing for a key
 * built in memory. The mapping is private and writable, and dropping a page
 * discards a write to it (the file's bytes come back): never release a part
 * that this process wrote into and still needs written. */
void groth16_pk_release(const groth16_pk *pk, const void *p, size_t len);

/* snarkjs JSON writers (the readers are public, in snark.h). */
int vk_json_write(const groth16_vk *vk, const char *path, zkml_error *err);

/* Uniform nonzero Fr element from getrandom(2). */
int fr_random(fr_t *out, zkml_error *err);
/* lag[j] = L_j(tau) * scale on the domain of 2^log_n points, or with odd set
 * on the odd points w_2n^(2j+1) of the 2n-domain (fixed-base multiplication
 * of the results: fixed_base.h). */
int groth16_lagrange_at(fr_t *lag, uint32_t log_n, int odd, const fr_t *tau, const fr_t *scale,
                        zkml_error *err);
/* The counts and the domain from the circuit, and its matrices in the key's
 * compressed rows (r1cs_to_rows). */
int groth16_pk_shape(groth16_pk *pk, const r1cs *cs, zkml_error *err);
/* The same from the .r1cs file at r1cs_path, read straight into the rows
 * (r1cs_read_rows); the matrices are pk's (groth16_pk_free) even on failure. */
int groth16_pk_shape_file(groth16_pk *pk, const char *r1cs_path, zkml_error *err);

#endif
