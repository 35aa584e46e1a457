/*
 * ptau.h - internal: snarkjs Powers of Tau files (.ptau), the phase 1 of a
 * Groth16 ceremony (Hermez's powersOfTau28_hez_final_NN.ptau and files made
 * by `snarkjs powersoftau`).
 *
 * Layout (iden3 container "ptau", version 1; points LEM, see lem.h):
 *   1 header: u32 n8 (32), q (n8 bytes, must be BN254's p), u32 power,
 *     u32 ceremonyPower;
 *   2 tauG1: 2^(power+1) - 1 G1 points [tau^i]_1;
 *   3 tauG2, 4 alphaTauG1, 5 betaTauG1: 2^power points each;
 *   6 betaG2: one G2 point; 7 the contributions (u32 count first);
 *   a file prepared for phase 2 adds the Lagrange bases: for each domain
 *   size 2^k, k = 0..power, the 2^k points [L_j(tau)]: 12 from tauG1 (with
 *   k = power+1 too), 13 from tauG2, 14 alphaTauG1, 15 betaTauG1. The basis
 *   of the domain of n points therefore starts at point n - 1.
 * ptau_parse checks the header, the curve and every section's size; points
 * are checked (range and curve) as they are read.
 */
#ifndef ZKML_SNARK_PTAU_H
#define ZKML_SNARK_PTAU_H

#include "pipeline/snark/binfile.h"
#include "pipeline/snark/groth16.h"

#define PTAU_MAX_POWER 28 /* the 2-adicity of r: no larger domain exists */

enum { PTAU_TAU_G1, PTAU_TAU_G2, PTAU_ALPHA_G1, PTAU_BETA_G1, PTAU_N_BASES };

typedef struct ptau {
    binfile bf;
    void *map; /* ptau_open's mapping, NULL after ptau_parse */
    size_t map_len;
    uint32_t power, ceremony_power, n_contributions;
    int prepared;                          /* has the Lagrange sections 12..15 */
    const uint8_t *powers[PTAU_N_BASES];   /* sections 2..5 */
    const uint8_t *lagrange[PTAU_N_BASES]; /* sections 12..15, NULL unless prepared */
    const uint8_t *beta_g2;                /* section 6 */
} ptau;

int ptau_parse(ptau *pt, const uint8_t *data, size_t len, const char *name, zkml_error *err);
int ptau_open(ptau *pt, const char *path, zkml_error *err);
void ptau_close(ptau *pt);
/* Lets go of the pages of the file read so far (ptau_open's mapping; nothing
 * for ptau_parse's caller's data): the setup reads each part of the file once
 * and keeping the parts read resident made its peak memory twice the key's. */
void ptau_release(const ptau *pt);
/* Refuses a file too small for a domain of 2^log_n points (naming the power
 * needed) or not prepared for phase 2. */
int ptau_check_domain(const ptau *pt, uint32_t log_n, zkml_error *err);
/* Point i of a basis: base is PTAU_*; lagrange selects sections 12..15.
 * Fails naming the section, the index and the byte offset. */
int ptau_g1(const ptau *pt, int base, int lagrange, size_t i, g1_affine *out, zkml_error *err);
int ptau_g2(const ptau *pt, int lagrange, size_t i, g2_affine *out, zkml_error *err);
/* A point read again, without the range and curve checks: only for one that
 * ptau_g1 / ptau_g2 accepted before (a setup reads each point of its domain
 * about five times). */
void ptau_g1_again(const ptau *pt, int base, int lagrange, size_t i, g1_affine *out);
void ptau_g2_again(const ptau *pt, int lagrange, size_t i, g2_affine *out);
int ptau_beta_g2(const ptau *pt, g2_affine *out, zkml_error *err);
/* Makes a prepared ptau of this power here (ptau_local.c): tau, alpha and
 * beta from getrandom, wiped; for testing only (its maker knew tau). With
 * cache, a file another process made at path meanwhile is kept and ours
 * dropped: a setup that took the first one's phase 1 (another worker, a
 * parallel test) would otherwise have its ptau replaced under it, and its
 * key would no longer verify against the file ceremony.json names. */
int ptau_make_local(const char *path, uint32_t power, int threads, int cache, zkml_error *err);

#endif
